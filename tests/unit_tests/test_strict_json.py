"""Outbound JSON is valid JSON (issue 21): no NaN, no Infinity, no nesting
too deep to encode, whatever a tool or a setting holds.

The rule (docs/tool_results.md, docs/reliability.md): a tool result given as
*text* that is not strict JSON (``{"score": NaN}``, as ``json.dumps`` writes
it, or nesting too deep to read) is sent as the text it is; a *value*
holding NaN or Infinity anywhere in the request (tool call arguments, a tool
result object, ``model_kwargs``, a schema) is refused before sending, with
a ``ValueError`` naming where it stands.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._json import dumps, loads
from langchain_cometgemini.testing import GeminiEmulator, Reply


def _sent(emulator: GeminiEmulator) -> Any:
    """The body the emulator got, read as strictly as the service reads it
    (bytes: it was not strict JSON)."""
    body = emulator.requests[0].body
    assert isinstance(body, dict), f"not strict JSON on the wire: {body!r:.200}"
    return body


def _tool_turn(result: str | list[Any]) -> list[Any]:
    call = {"name": "score", "args": {"q": "x"}, "id": "c1"}
    return [
        HumanMessage("score it"),
        AIMessage("", tool_calls=[call]),
        ToolMessage(result, tool_call_id="c1"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        '{"score": NaN}',
        '{"score": Infinity, "low": -Infinity}',
        '{"big": 1e999}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["nan", "infinity", "overflow", "deep"],
)
def test_a_tool_result_text_that_is_not_strict_json_goes_as_text(
    emulator: GeminiEmulator, text: str
) -> None:
    emulator.queue(Reply.text("ok"))
    llm = ChatCometGemini(api_key="k", base_url=emulator.url)
    assert llm.invoke(_tool_turn(text)).text == "ok"
    sent = _sent(emulator)
    response = sent["contents"][-1]["parts"][0]["functionResponse"]["response"]
    assert response == {"output": text}  # the text itself, kept whole


def test_a_strict_json_tool_result_still_goes_as_an_object(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.text("ok"))
    llm = ChatCometGemini(api_key="k", base_url=emulator.url)
    llm.invoke(_tool_turn('{"score": 0.5}'))
    sent = _sent(emulator)
    part = sent["contents"][-1]["parts"][0]["functionResponse"]
    assert part["response"] == {"score": 0.5}


@pytest.mark.unserved_replies
@pytest.mark.parametrize(
    ("settings", "where"),
    [
        ({"model_kwargs": {"temperatureScale": float("nan")}}, "temperatureScale"),
        (
            {"response_json_schema": {"type": "number", "maximum": float("inf")}},
            "generationConfig.responseJsonSchema.maximum",
        ),
    ],
)
def test_a_setting_holding_nan_is_refused_naming_it(
    emulator: GeminiEmulator, settings: dict[str, Any], where: str
) -> None:
    emulator.queue(Reply.text("never asked"))
    llm = ChatCometGemini(api_key="k", base_url=emulator.url, **settings)
    with pytest.raises(ValueError, match="JSON has no NaN or Infinity") as info:
        llm.invoke("hi")
    assert where in str(info.value)
    assert emulator.requests == []


@pytest.mark.unserved_replies
def test_tool_call_arguments_holding_nan_are_refused(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.text("never asked"))
    call = {"name": "score", "args": {"weights": [1.0, float("-inf")]}, "id": "c1"}
    history = [
        HumanMessage("score it"),
        AIMessage("", tool_calls=[call]),
        ToolMessage("3", tool_call_id="c1"),
    ]
    llm = ChatCometGemini(api_key="k", base_url=emulator.url)
    with pytest.raises(ValueError) as info:
        llm.invoke(history)
    assert "-inf at contents[1].parts[0].functionCall.args.weights[1]" in str(
        info.value
    )
    assert emulator.requests == []


def test_nesting_too_deep_to_encode_is_a_clear_error() -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match="levels deep, too deep to encode"):
        dumps({"contents": deep})


def test_strict_loads_refuses_what_json_is_not() -> None:
    for text in ("NaN", "[Infinity]", '{"a": -Infinity}', "1e400"):
        with pytest.raises(ValueError):
            loads(text)
    assert loads('{"a": [1.5, 2, "NaN"]}') == {"a": [1.5, 2, "NaN"]}
