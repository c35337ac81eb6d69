"""The class explains itself: signature, field descriptions, docstring, links.

``help(ChatCometGemini)`` shows the signature and the class docstring first;
both must name the settings as docs/index.md does, and every link a user
reads in an error must work outside a clone (absolute, to a page that exists).
"""

from __future__ import annotations

import inspect
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._errors import PROJECT_URL, docs_url
from langchain_cometgemini.testing import GeminiEmulator

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "langchain_cometgemini"
ALIASES = {
    "model_name",
    "cometapi_api_key",
    "request_timeout",
    "max_output_tokens",
    "stop_sequences",
    "candidate_count",
}


def documented_names() -> set[str]:
    """The parameter names in docs/index.md's table (first column, no aliases)."""
    text = (ROOT / "docs" / "index.md").read_text()
    names = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            first = re.sub(r"\(`[^`]*`\)", "", first)  # "(alias)" is not a name
            names.update(re.findall(r"`([a-z_]+)`", first))
    return names


def test_signature_names_are_the_documented_names() -> None:
    params = inspect.signature(ChatCometGemini).parameters
    names = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]
    assert names[:2] == ["model", "temperature"]
    assert set(names) <= documented_names()
    assert not ALIASES & set(params)
    # Every setting of this package is in the signature: nothing hidden.
    from langchain_core.language_models import BaseChatModel

    own = set(ChatCometGemini.model_fields) - set(BaseChatModel.model_fields)
    assert own <= set(names)
    assert list(params)[-1] == "kwargs"


def test_signature_is_readable() -> None:
    text = str(inspect.signature(ChatCometGemini))
    for noise in ("Annotated", "Wire(", "AfterValidator", "typing.", "<factory>"):
        assert noise not in text
    assert "model: str = 'gemini-2.5-flash'" in text
    assert "base_url: str = 'https://api.cometapi.com'" in text
    # Each parameter reads as one short declaration (the whole was ~5,300
    # characters of Annotated[..., Wire(...)] for 36 parameters).
    params = inspect.signature(ChatCometGemini).parameters.values()
    assert max(len(str(p)) for p in params) <= 80


def test_every_field_has_a_description() -> None:
    missing = [
        name
        for name, field in ChatCometGemini.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert missing == []


def test_the_parent_classes_keep_their_own_fields() -> None:
    from langchain_core.language_models import BaseChatModel

    assert (
        BaseChatModel.model_fields["cache"]
        is not (ChatCometGemini.model_fields["cache"])
    )


SECTIONS = [
    "Setup:",
    "Key init args:",
    "Instantiate:",
    "Invoke:",
    "Stream:",
    "Async:",
    "Tool calling:",
    "Structured output:",
    "Thinking:",
    "Image input and output:",
    "Token usage:",
    "Response metadata:",
]


def test_docstring_has_the_usual_sections_in_order_and_stays_short() -> None:
    doc = inspect.getdoc(ChatCometGemini) or ""
    positions = [doc.find(f"\n{section}\n") for section in SECTIONS]
    assert -1 not in positions, [
        s for s, p in zip(SECTIONS, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions)
    assert len(doc.splitlines()) <= 130
    assert docs_url("index.md") in doc  # not a relative docs/ path


def code_blocks(doc: str) -> list[str]:
    """The ``.. code-block:: python`` bodies of a docstring, dedented."""
    blocks = []
    for part in doc.split(".. code-block:: python")[1:]:
        body = []
        for line in part.splitlines()[1:]:
            if line.strip() and not line.startswith("        "):
                break
            body.append(line)
        blocks.append(textwrap.dedent("\n".join(body)))
    return blocks


def test_docstring_examples_run_against_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = code_blocks(inspect.getdoc(ChatCometGemini) or "")
    assert len(blocks) == len(SECTIONS) - 2  # every section but the first two
    namespace: dict[str, Any] = {"__name__": "__docstring__"}
    # The image example writes images/ into the working directory: tmp_path.
    # (Not monkeypatch.chdir: it reads the current directory first, which
    # another test session's tmp cleanup may have removed.)
    with GeminiEmulator() as emulator:
        monkeypatch.setenv("COMETAPI_BASE_URL", emulator.url)
        monkeypatch.setenv("COMETAPI_KEY", "test")
        os.chdir(tmp_path)
        try:
            for code in blocks:
                exec(compile(code, "<ChatCometGemini docstring>", "exec"), namespace)
        finally:
            os.chdir(ROOT)
    assert namespace["msg"].response_metadata["finish_reason"]
    assert [p.name for p in namespace["paths"]] == ["image_0.png"]
    assert namespace["answer"].capital


def test_project_urls_and_error_links_point_at_the_same_home() -> None:
    # tomllib is Python 3.11+; the tests also run on 3.10 (the floor).
    text = (ROOT / "pyproject.toml").read_text()
    section = text.split("[project.urls]\n", 1)[1].split("\n\n", 1)[0]
    urls = dict(re.findall(r'^(\w+) = "([^"]+)"$', section, re.MULTILINE))
    assert urls["Homepage"] == PROJECT_URL
    assert urls["Documentation"] == docs_url("index.md")


def test_every_docs_link_in_the_package_names_an_existing_page() -> None:
    pages = set()
    for source in PACKAGE.rglob("*.py"):
        pages.update(re.findall(r"docs_url\(\s*['\"]([^'\"#]+)", source.read_text()))
    assert pages, "error messages link the guide with docs_url(...)"
    assert {p for p in pages if not (ROOT / "docs" / p).exists()} == set()


def test_unknown_argument_error_links_the_parameter_table() -> None:
    with pytest.raises(TypeError) as info:
        ChatCometGemini(api_key="k", tempreature=0)
    assert docs_url("index.md") in str(info.value)


def test_field_descriptions_are_the_docstrings_pydantic_would_read() -> None:
    """attribute_docstrings finds what pydantic's use_attribute_docstrings
    does (which the package no longer asks for: it cost ~30 ms per class at
    import)."""
    from pydantic._internal._docs_extraction import extract_docstrings_from_cls

    from langchain_cometgemini._settings import RequestSettings
    from langchain_cometgemini._signature import attribute_docstrings

    for cls in (RequestSettings, ChatCometGemini):
        expected = extract_docstrings_from_cls(cls, use_inspect=True)
        assert attribute_docstrings(cls) == expected
        for name, text in expected.items():
            assert ChatCometGemini.model_fields[name].description == text
