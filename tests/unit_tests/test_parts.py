"""The part-kind table: each kind both ways, media sniffing, linear joining."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langchain_cometgemini._parts import BLOCK_BUILDERS, PARSED_KINDS, PART_KINDS
from langchain_cometgemini._request import build_contents
from langchain_cometgemini._response import response_to_result


def _answer(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": parts}}]}


def _parse(parts: list[dict[str, Any]]) -> AIMessage:
    message = response_to_result(_answer(parts), "gemini-2.5-flash").generations[0]
    assert isinstance(message.message, AIMessage)
    return message.message


def _sent_back(message: AIMessage) -> list[dict[str, Any]]:
    _, contents = build_contents([HumanMessage("q"), message], model="gemini-2.5-flash")
    return list(contents[-1]["parts"])


SIGNED = "c2lnbmF0dXJl"
ROUND_TRIPS = {
    "text": {"text": "hello", "thoughtSignature": SIGNED},
    "thought": {"text": "pondering", "thought": True, "thoughtSignature": SIGNED},
    "inlineData": {
        "inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="},
        "thoughtSignature": SIGNED,
    },
    "audio": {
        "inlineData": {"mimeType": "audio/L16;codec=pcm;rate=24000", "data": "AAAA"},
        "thoughtSignature": SIGNED,
    },
    "executableCode": {
        "executableCode": {"language": "PYTHON", "code": "print(1)"},
        "thoughtSignature": SIGNED,
    },
    "codeExecutionResult": {
        "codeExecutionResult": {"outcome": "OUTCOME_FAILED", "output": "boom"},
        "thoughtSignature": SIGNED,
    },
}


def test_every_parsed_kind_has_a_round_trip_case() -> None:
    converted = {kind.name for kind in PARSED_KINDS} - {"functionCall"}
    assert converted == set(ROUND_TRIPS)


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_parsed_kind_goes_back_as_it_came(name: str) -> None:
    part = ROUND_TRIPS[name]
    assert _sent_back(_parse([part])) == [part]


@pytest.mark.parametrize(
    "part",
    [
        {"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/v.mp4"}},
        {"functionResponse": {"name": "f", "response": {}}},
        {"inlineData": {"mimeType": "video/mp4", "data": "AAAAIGZ0eXA="}},
        {"hologram": {"depth": 3}, "thoughtSignature": SIGNED},
    ],
    ids=["fileData", "functionResponse", "video", "unknown"],
)
def test_kinds_not_converted_are_kept_whole_and_sent_back(part: dict[str, Any]) -> None:
    message = _parse([part])
    assert message.content == [{"type": "non_standard", "value": part, "index": 0}]
    assert _sent_back(message) == [part]


def test_function_call_part_becomes_a_tool_call_and_goes_back() -> None:
    part = {
        "functionCall": {"id": "c1", "name": "f", "args": {"x": 1}},
        "thoughtSignature": SIGNED,
    }
    message = _parse([part])
    assert message.content == ""
    assert [c["id"] for c in message.tool_calls] == ["c1"]
    assert _sent_back(message) == [part]


def test_every_block_builder_belongs_to_one_kind() -> None:
    owners = [t for kind in PART_KINDS for t in kind.from_blocks]
    assert len(owners) == len(set(owners)) == len(BLOCK_BUILDERS)


# -- RIFF media: the form at bytes 8-12 decides -----------------------------------


def _riff(form: bytes) -> str:
    return base64.b64encode(b"RIFF\x24\x00\x00\x00" + form + b"\x00" * 20).decode()


@pytest.mark.parametrize(
    ("kind", "form", "mime"),
    [
        ("audio", b"WAVE", "audio/wav"),
        ("file", b"WAVE", "audio/wav"),
        ("image", b"WEBP", "image/webp"),
        ("video", b"AVI ", "video/avi"),
        ("file", b"XXXX", "application/octet-stream"),
        ("image", b"XXXX", "image/png"),
    ],
)
def test_riff_media_without_mime_is_named_by_its_form(
    kind: str, form: bytes, mime: str
) -> None:
    block = {"type": kind, "base64": _riff(form)}
    _, contents = build_contents([HumanMessage([block])], model="gemini-2.5-flash")
    assert contents[0]["parts"][0]["inlineData"]["mimeType"] == mime


# -- many parts -------------------------------------------------------------------


def test_many_parts_join_like_langchain_merges_them() -> None:
    """20,000 parts (the joining was quadratic): a leading text run is one
    string, signed blocks stay apart, unsigned text continues a signed block."""
    parts: list[dict[str, Any]] = []
    for i in range(5_000):
        parts += [
            {"text": "a"},
            {"text": "b"},
            {"text": "t", "thought": True},
            {"text": "s", "thoughtSignature": f"sig{i}"},
        ]
    parts.append({"text": "tail"})
    content = _parse(parts).content
    assert isinstance(content, list)
    assert len(content) == 10_001
    assert content[:4] == [
        "ab",
        {"type": "thinking", "thinking": "t", "index": 0},
        {"type": "text", "text": "sab", "extras": {"signature": "sig0"}, "index": 1},
        {"type": "thinking", "thinking": "t", "index": 2},
    ]
    assert content[-1] == {
        "type": "text",
        "text": "stail",
        "extras": {"signature": "sig4999"},
        "index": 9_999,
    }
