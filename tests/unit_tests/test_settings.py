"""The settings table (``_settings``): the docs agree with it, per-call values are
validated as the constructor validates them, and values are normalized once.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import ValidationError

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._settings import RequestSettings, Wire
from langchain_cometgemini.chat_models import _TABLE

DOCS = Path(__file__).resolve().parents[2] / "docs" / "index.md"
OWN_FIELDS = {
    name: field
    for name, field in ChatCometGemini.model_fields.items()
    if name not in BaseChatModel.model_fields
}
PARAM = re.compile(r"`(\w+)`(?: \(`(\w+)`\))?")


def _docs_rows() -> dict[str, dict[str, str]]:
    """docs/index.md's parameter table: one dict of cells per parameter named."""
    lines = DOCS.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| parameter"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows: dict[str, dict[str, str]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        values = [cell.strip() for cell in line.strip("|").split("|")]
        cells = dict(zip(header, values, strict=True))
        for name, alias in PARAM.findall(cells["parameter (alias)"]):
            assert name not in rows, f"docs/index.md lists {name!r} twice"
            rows[name] = {**cells, "alias": alias}
    return rows


def _code(cell: str) -> str:
    """The first `code` span of a cell, or "" when it has none."""
    match = re.search(r"`([^`]*)`", cell)
    return match.group(1) if match else ""


def _doc_default(name: str) -> str | None:
    """The default as the docs must show it, or None when it comes from the env."""
    field = OWN_FIELDS[name]
    if field.default_factory is not None:
        if field.default_factory not in (dict, list):
            return None
        return repr(field.default_factory())  # type: ignore[call-arg]
    default = field.default
    return f'"{default}"' if isinstance(default, str) else repr(default)


DOC_ROWS = _docs_rows()


def test_docs_table_lists_every_setting_once() -> None:
    own = {name for name in DOC_ROWS if name not in BaseChatModel.model_fields}
    missing, unknown = set(OWN_FIELDS) - own, own - set(OWN_FIELDS)
    assert not missing and not unknown, (
        "docs/index.md's parameter table and ChatCometGemini's fields differ: "
        f"missing {sorted(missing)}, unknown {sorted(unknown)}"
    )


@pytest.mark.parametrize("name", sorted(OWN_FIELDS))
def test_docs_row_agrees_with_the_settings_table(name: str) -> None:
    """Alias, default, per-call mark and request key, as the declarations say."""
    row, field = DOC_ROWS.get(name), OWN_FIELDS[name]
    assert row is not None, f"docs/index.md's parameter table has no row for {name!r}"
    expected = {
        "alias": field.alias or "",
        "per call": "✓" if name in _TABLE.call else "",
        "request key": _TABLE.where.get(name, ""),
    }
    found = {
        "alias": row["alias"],
        "per call": row["per call"],
        "request key": _code(row["request key"]),
    }
    assert found == expected, f"docs/index.md row of {name!r}"
    default = _doc_default(name)
    if default is not None:
        assert _code(row["default"]) == default, f"docs/index.md default of {name!r}"


def test_every_request_setting_has_a_wire_marker() -> None:
    """A request setting without a marker would be accepted and never sent."""
    unmarked = [
        name
        for name, field in RequestSettings.model_fields.items()
        if not any(isinstance(item, Wire) for item in field.metadata)
    ]
    assert unmarked == []
    assert set(RequestSettings.model_fields) <= _TABLE.call


def test_aliases_still_construct() -> None:
    llm = ChatCometGemini(
        api_key="k",
        model_name="gemini-3-flash-preview",
        max_output_tokens=5,
        stop_sequences=["x"],
        candidate_count=2,
        request_timeout=3,
        cometapi_api_key="k2",
    )
    assert (llm.model, llm.max_tokens, llm.stop, llm.n, llm.timeout) == (
        "gemini-3-flash-preview",
        5,
        ["x"],
        2,
        3,
    )
    assert llm.api_key is not None and llm.api_key.get_secret_value() == "k2"


# (field, value) given to the constructor and per call: same result or same error.
SAMPLES: list[tuple[str, Any]] = [
    ("temperature", 0.5),
    ("temperature", "1.5"),
    ("temperature", 2.1),
    ("top_p", -0.1),
    ("top_k", 0),
    ("max_tokens", "12"),
    ("stop", "END"),
    ("stop", ("a", "b")),
    ("n", 9),
    ("n", None),
    ("seed", 1.5),
    ("presence_penalty", -2.5),
    ("response_modalities", ["SMELL"]),
    ("response_json_schema", "not a dict"),
    ("image_config", {"image_size": "2k", "aspect_ratio": " 16:9 "}),
    ("image_config", {"image_size": "3K"}),
    ("image_config", "16:9"),
    ("thinking_budget", -2),
    ("thinking_level", "LOW"),
    ("reasoning_effort", "high"),
    ("logprobs", 21),
    ("media_resolution", "medium"),
    ("safety_settings", {"hate_speech": "none"}),
    ("safety_settings", [{"category": "HARM_CATEGORY_HARASSMENT"}]),
    ("safety_settings", "BLOCK_NONE"),
    ("model", None),
    ("model_kwargs", {"temperature": 1}),
    ("model_kwargs", {"seed": 3}),
]


def _errors(error: ValidationError) -> list[tuple[Any, ...]]:
    return [(e["type"], e["loc"], e["msg"]) for e in error.errors()]


@pytest.mark.parametrize(("name", "value"), SAMPLES)
def test_per_call_value_is_validated_as_the_constructor_does(
    name: str, value: Any
) -> None:
    llm = ChatCometGemini(api_key="k")
    try:
        built = getattr(ChatCometGemini(api_key="k", **{name: value}), name)
    except ValidationError as error:
        with pytest.raises(ValidationError) as per_call:
            llm._prepare([HumanMessage("hi")], None, {name: value}, {})
        assert per_call.value.title == error.title == "ChatCometGemini"
        assert _errors(per_call.value) == _errors(error)
        assert name in str(per_call.value)
    else:
        assert llm._options({name: value})[name] == built


def test_normalized_once_and_sent_as_stored() -> None:
    """The request carries the stored (validated) objects: nothing redone per call."""
    llm = ChatCometGemini(
        api_key="k",
        image_config={"aspect_ratio": "1:1", "image_size": "4k"},
        safety_settings={"hate_speech": "none"},
        media_resolution="low",
    )
    assert llm.image_config == {"aspectRatio": "1:1", "imageSize": "4K"}
    assert llm.media_resolution == "MEDIA_RESOLUTION_LOW"
    body = llm._prepare([HumanMessage("hi")], None, {}, {}).body
    assert body["generationConfig"]["imageConfig"] is llm.image_config
    assert body["safetySettings"] is llm.safety_settings
    # The stored forms validate to themselves (copies and loads() re-validate).
    again = ChatCometGemini(api_key="k", **llm.model_dump(include=set(_TABLE.call)))
    assert again._prepare([HumanMessage("hi")], None, {}, {}).body == body


def test_per_call_thinking_amount_replaces_the_instance_one() -> None:
    """docs/thinking.md: a per-call thinking setting replaces the instance's one."""
    llm = ChatCometGemini(api_key="k", thinking_level="low", include_thoughts=True)
    body = llm._prepare([HumanMessage("hi")], None, {"thinking_budget": 512}, {}).body
    assert body["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 512,
        "includeThoughts": True,
    }
    with pytest.raises(ValidationError, match="set one, not both"):
        llm._prepare(
            [HumanMessage("hi")],
            None,
            {"thinking_budget": 512, "thinking_level": "high"},
            {},
        )


def test_per_call_values_do_not_revalidate_the_connection() -> None:
    """The plain-http warning belongs to construction, not to every call."""
    with pytest.warns(UserWarning, match="plain http"):
        llm = ChatCometGemini(api_key="k", base_url="http://api.example.com")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm._prepare([HumanMessage("hi")], None, {"temperature": 0}, {})


def test_unknown_per_call_keyword_and_aliases_are_refused() -> None:
    """Per call, settings go by their field name (as before the table)."""
    llm = ChatCometGemini(api_key="k")
    with pytest.raises(TypeError, match="max_output_tokens"):
        llm._prepare([HumanMessage("hi")], None, {"max_output_tokens": 3}, {})
    with pytest.raises(TypeError, match="base_url"):
        llm._prepare([HumanMessage("hi")], None, {"base_url": "http://x"}, {})
