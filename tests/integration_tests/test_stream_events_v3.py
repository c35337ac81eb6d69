"""langchain-core's content-block protocol, end to end against the emulator.

``stream_events(version="v3")`` (and its async twin) returns a
``ChatModelStream`` whose typed projections (``.text``, ``.reasoning``,
``.tool_calls``, ``.output``) are built from the chunks ``_stream`` yields.
These tests hold the package to that protocol: text deltas in the order the
service sent them, thoughts as reasoning, tool calls whose arguments are one
complete JSON object when the call finishes (also when Vertex streams them in
``partialArgs`` pieces), images as image blocks and usage on the finished
message. The protocol is in langchain-core 1.7.2 (our floor) and 1.8, so both
ends of the range run these; a version without it skips the module.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.tools import tool

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import PNG_1X1, GeminiEmulator, Reply
from tests.unit_tests.test_relay_answers import WEATHER_ARGS, _streamed_call

pytest.importorskip(
    "langchain_core.language_models.chat_model_stream",
    reason="this langchain-core has no stream_events(version='v3')",
)

MODEL = "gemini-3-flash-preview"


@tool
def get_weather(location: str, days: int = 1) -> str:
    """Weather forecast for a place."""
    return "sunny"


@pytest.fixture(autouse=True)
def _no_beta_warning() -> Iterator[None]:
    """v3 is beta in langchain-core: its warning is not what is tested here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is in beta.*")
        yield


def _llm(emulator: GeminiEmulator) -> ChatCometGemini:
    return ChatCometGemini(base_url=emulator.url, api_key="test", model=MODEL)


def _types(content: Any) -> list[str]:
    return [block["type"] for block in content]


def test_text_deltas_arrive_in_order_and_sum_to_the_output(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.stream("Hel", "lo ", "world", usage=(4, 3)))
    stream = _llm(emulator).stream_events("hi", version="v3")
    assert list(stream.text) == ["Hel", "lo ", "world"]
    assert str(stream.text) == "Hello world"
    message = stream.output
    assert _types(message.content) == ["text"]
    assert message.text == "Hello world"
    assert message.usage_metadata == {
        "input_tokens": 4,
        "output_tokens": 3,
        "total_tokens": 7,
    }
    assert message.response_metadata["finish_reason"] == "STOP"
    assert emulator.requests[0].action == "streamGenerateContent"


def test_thoughts_are_reasoning_and_thinking_tokens_are_counted(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.thought("Let me think.", "42", usage=(5, 3, 7)))
    stream = _llm(emulator).stream_events("hi", version="v3")
    assert "".join(stream.reasoning) == "Let me think."
    assert str(stream.text) == "42"
    message = stream.output
    assert _types(message.content) == ["reasoning", "text"]
    assert message.usage_metadata == {
        "input_tokens": 5,
        "output_tokens": 10,
        "total_tokens": 15,
        "output_token_details": {"reasoning": 7},
    }


def test_a_tool_call_finishes_with_its_whole_arguments(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.tool_call("get_weather", {"location": "Lisbon", "days": 2}))
    stream = _llm(emulator).bind_tools([get_weather]).stream_events("hi", version="v3")
    (call,) = stream.tool_calls.get()
    assert (call["name"], call["args"]) == (
        "get_weather",
        {"location": "Lisbon", "days": 2},
    )
    assert stream.output.tool_calls == [call | {"type": "tool_call"}]
    body = emulator.requests[0].body
    assert body["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"


def test_arguments_streamed_in_pieces_are_valid_json_when_the_call_finishes(
    emulator: GeminiEmulator,
) -> None:
    """Vertex streams arguments as ``partialArgs``: the deltas the protocol
    carries, joined, parse to the same object the finished call holds."""
    emulator.queue(Reply(events=_streamed_call()))
    stream = _llm(emulator).bind_tools([get_weather]).stream_events("hi", version="v3")
    deltas = list(stream.tool_calls)
    (call,) = stream.tool_calls.get()
    assert call["args"] == WEATHER_ARGS
    pieces = "".join(d.get("args") or "" for d in deltas)
    if pieces:  # the projection carries the argument text as it grew
        assert json.loads(pieces) == WEATHER_ARGS
    assert not stream.output.invalid_tool_calls


def test_an_image_answer_is_an_image_block(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.image(text="here"))
    stream = _llm(emulator).stream_events("draw", version="v3")
    events = list(stream)
    message = stream.output
    assert _types(message.content) == ["text", "image"]
    image = message.content[1]
    assert image["mime_type"] == "image/png"
    assert base64.b64decode(image["base64"]) == PNG_1X1
    started = [
        e["content"]["type"] for e in events if e["event"] == "content-block-start"
    ]
    assert started == ["text", "image"]
    assert events[-1]["event"] == "message-finish"


async def test_async_twin_streams_the_same_protocol(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.stream("Hel", "lo", usage=(2, 2)))
    emulator.queue(Reply(events=_streamed_call()))
    llm = _llm(emulator)
    stream = await llm.astream_events("hi", version="v3")
    assert [delta async for delta in stream.text] == ["Hel", "lo"]
    message = await stream.output
    assert message.text == "Hello"
    assert message.usage_metadata == {
        "input_tokens": 2,
        "output_tokens": 2,
        "total_tokens": 4,
    }
    calls = await llm.bind_tools([get_weather]).astream_events("hi", version="v3")
    finished = await calls.output
    assert [(c["name"], c["args"]) for c in finished.tool_calls] == [
        ("get_weather", WEATHER_ARGS)
    ]
