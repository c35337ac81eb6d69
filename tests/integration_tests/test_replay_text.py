"""Replay every plain-text recording over the loopback emulator.

A recording counts as plain text when no part of its answer is a function
call, a thought, inline data or code execution. For each one the message
must carry exactly the recorded text, finish reason, model version and usage;
for streams the chunks must also add up to the unary parse of the same
answer, with usage reported on one chunk only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._response import response_to_result
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.recordings import events, load, names

_NOT_TEXT = frozenset(
    {"functionCall", "thought", "inlineData", "executableCode", "codeExecutionResult"}
)


def _parts(event: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for candidate in event.get("candidates") or []:
        parts.extend((candidate.get("content") or {}).get("parts") or [])
    return parts


def _is_plain_text(name: str) -> bool:
    recording = load(name)
    if recording["status"] != 200:
        return False
    all_parts = [p for e in events(recording) for p in _parts(e)]
    return not any(_NOT_TEXT & set(p) for p in all_parts)


PLAIN = [n for n in names() if _is_plain_text(n)]
STREAMED = [n for n in PLAIN if load(n)["stream"]]


@pytest.fixture(scope="module")
def server() -> Iterator[GeminiEmulator]:
    """One emulator for the module (starting one per recording is slow)."""
    with GeminiEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(server: GeminiEmulator) -> GeminiEmulator:
    server.reset()
    return server


def _expected(name: str) -> dict[str, Any]:
    evs = events(load(name))
    last = evs[-1]
    usage = last["usageMetadata"]
    version = [e["modelVersion"] for e in evs if e.get("modelVersion")][-1]
    return {
        "text": "".join(p.get("text", "") for e in evs for p in _parts(e)),
        "signed": any("thoughtSignature" in p for e in evs for p in _parts(e)),
        "finish_reason": last["candidates"][0]["finishReason"],
        "model_name": version,
        "usage": (
            usage.get("promptTokenCount", 0) + usage.get("toolUsePromptTokenCount", 0),
            usage.get("candidatesTokenCount", 0) + usage.get("thoughtsTokenCount", 0),
            usage["totalTokenCount"],
        ),
    }


def _check(message: AIMessage, expected: dict[str, Any]) -> None:
    if expected["signed"]:
        assert message.text == expected["text"]  # text blocks carrying signatures
    else:
        assert message.content == expected["text"]
    meta = message.response_metadata
    assert meta["finish_reason"] == expected["finish_reason"]
    assert meta["model_name"] == expected["model_name"]
    assert meta["model_provider"] == "google_genai"
    usage = message.usage_metadata
    assert usage is not None
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (
        expected["usage"]
    )


def test_coverage() -> None:
    """Guard the filter: most recordings are plain text, some streamed."""
    assert len(PLAIN) >= 50
    assert len(STREAMED) >= 4


@pytest.mark.parametrize("name", PLAIN)
def test_replay(name: str, emu: GeminiEmulator) -> None:
    recording = load(name)
    emu.queue(Reply.from_recording(recording))
    llm = ChatCometGemini(model=recording["model"], base_url=emu.url, api_key="test")
    expected = _expected(name)
    if not recording["stream"]:
        _check(llm.invoke("hi"), expected)
        assert emu.requests[0].action == "generateContent"
        return
    chunks = list(llm.stream("hi"))
    assert emu.requests[0].action == "streamGenerateContent"
    assert sum(c.usage_metadata is not None for c in chunks) == 1
    assert chunks[-1].chunk_position == "last"
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert isinstance(total, AIMessageChunk)
    _check(total, expected)
    assert len(chunks) >= len(events(recording))


@pytest.mark.parametrize("name", STREAMED)
def test_stream_sum_equals_unary_parse(name: str, emu: GeminiEmulator) -> None:
    recording = load(name)
    evs = events(recording)
    synthetic = copy.deepcopy(evs[-1])
    synthetic["candidates"][0]["content"] = {
        "role": "model",
        "parts": [p for e in evs for p in _parts(e)],
    }
    unary = response_to_result(synthetic, recording["model"]).generations[0].message
    emu.queue(Reply.from_recording(recording))
    llm = ChatCometGemini(model=recording["model"], base_url=emu.url, api_key="test")
    chunks = list(llm.stream("hi"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.text == unary.text
    assert total.content == unary.content
    assert total.usage_metadata == unary.usage_metadata
    assert (
        total.response_metadata["finish_reason"]
        == unary.response_metadata["finish_reason"]
    )
    assert (
        total.response_metadata["model_name"] == unary.response_metadata["model_name"]
    )


BLOCKED = {
    "promptFeedback": {
        "blockReason": "SAFETY",
        "safetyRatings": [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}
        ],
    },
    "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9},
    "modelVersion": "gemini-2.5-flash",
}


def test_blocked_prompt_unary(emu: GeminiEmulator) -> None:
    emu.queue(Reply(json=BLOCKED))
    llm = ChatCometGemini(base_url=emu.url, api_key="test")
    message = llm.invoke("something blocked")
    assert message.content == ""
    assert message.tool_calls == []
    feedback = message.response_metadata["prompt_feedback"]
    assert feedback["block_reason"] == "SAFETY"
    assert feedback["safety_ratings"][0]["probability"] == "HIGH"
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == 9


def test_blocked_prompt_stream(emu: GeminiEmulator) -> None:
    emu.queue(Reply(events=[BLOCKED]))
    llm = ChatCometGemini(base_url=emu.url, api_key="test")
    chunks = list(llm.stream("something blocked"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.content == ""
    assert total.response_metadata["prompt_feedback"]["block_reason"] == "SAFETY"
