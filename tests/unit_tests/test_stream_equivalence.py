"""Streaming and invoke agree: the sum of a stream's chunks is the unary message.

For every recording, the answer is served both ways by the emulator (which
splits a unary answer into several events when the client streams, and merges
stream events for a unary request), and the aggregated stream must equal the
invoke result in content, tool calls, signatures, usage and finish metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._response import SIGNATURES_KEY
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests import recordings

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_NAMES = [
    n
    for n in recordings.names()
    if recordings.load(n)["status"] == 200
    and len(recordings.load(n).get("response_json", {}).get("candidates", [1])) <= 1
]


@pytest.fixture(scope="module")
def emu() -> Iterator[GeminiEmulator]:
    with GeminiEmulator() as server:
        yield server


def _both(
    emu: GeminiEmulator, reply: Reply, model: str
) -> tuple[AIMessage, AIMessageChunk]:
    llm = ChatCometGemini(base_url=emu.url, api_key="test", model=model)
    emu.queue(reply)
    unary = llm.invoke("hi")
    emu.queue(reply)
    chunks = list(llm.stream("hi"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert sum(1 for c in chunks if c.usage_metadata) <= 1
    assert isinstance(unary, AIMessage)
    return unary, total


def _calls(message: AIMessage) -> list[tuple[str, object, object]]:
    """Tool calls with their signatures; ids are generated per call when the
    service sends none, so they are compared through the signature map only."""
    sigs = message.additional_kwargs.get(SIGNATURES_KEY, {})
    return [(c["name"], c["args"], sigs.get(c["id"])) for c in message.tool_calls]


def _content(message: AIMessage) -> object:
    """Content with generated code-block ids (made per call) left out."""
    if isinstance(message.content, str):
        return message.content
    return [
        {k: v for k, v in b.items() if not (k == "id" and UUID.fullmatch(str(v)))}
        if isinstance(b, dict)
        else b
        for b in message.content
    ]


def _same(unary: AIMessage, total: AIMessageChunk) -> None:
    assert _content(total) == _content(unary)
    assert _calls(total) == _calls(unary)
    assert len(total.additional_kwargs.get(SIGNATURES_KEY, {})) == len(
        unary.additional_kwargs.get(SIGNATURES_KEY, {})
    )
    assert total.usage_metadata == unary.usage_metadata
    for key in ("finish_reason", "model_name", "grounding_metadata"):
        assert total.response_metadata.get(key) == unary.response_metadata.get(key)


def test_signed_answer_split_over_events_aggregates_like_invoke(
    emu: GeminiEmulator,
) -> None:
    reply = Reply.thought("let me think", "the answer is forty-two")
    unary, total = _both(emu, reply, "gemini-3-flash-preview")
    _same(unary, total)
    assert total.text == "the answer is forty-two"
    text_blocks = [
        b for b in total.content if isinstance(b, dict) and b["type"] == "text"
    ]
    assert len(text_blocks) == 1 and text_blocks[0]["extras"]["signature"]


@pytest.mark.parametrize("name", _NAMES)
def test_recording_streams_like_it_invokes(emu: GeminiEmulator, name: str) -> None:
    recording = recordings.load(name)
    reply = Reply.from_recording(recording)
    unary, total = _both(emu, reply, recording["model"])
    _same(unary, total)
