"""Every buffer bounded (issue 21), the pure parts: the event-stream decoder and
streamed function-call arguments. Over HTTP (gzip bombs, media budgets, a
line that never ends from a real socket): tests/integration_tests/test_hostile.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_cometgemini import ChatCometGemini, _calls
from langchain_cometgemini._errors import GeminiStreamError
from langchain_cometgemini._limits import (
    MAX_CALL_PIECES,
    MAX_EVENT_BYTES,
    MAX_RESPONSE_BYTES,
)
from langchain_cometgemini._response import (
    StreamState,
    final_chunk,
    parse_event,
    response_to_result,
)
from langchain_cometgemini._sse import SSEDecoder

MODEL = "gemini-2.5-flash"


# -- the event-stream decoder ---------------------------------------------------


def test_a_line_that_never_ends_is_refused_once_past_the_limit() -> None:
    decoder = SSEDecoder(limit=1000)
    decoder.feed(b"data: ")
    with pytest.raises(GeminiStreamError) as info:
        for _ in range(100):
            decoder.feed(b"x" * 100)  # never a line ending
    assert "1,000 bytes" in str(info.value)
    assert "max_event_bytes" in str(info.value)


def test_a_long_line_in_one_chunk_is_refused() -> None:
    decoder = SSEDecoder(limit=1000)
    with pytest.raises(GeminiStreamError, match="max_event_bytes"):
        decoder.feed(b"data: " + b"x" * 2000 + b"\n\n")


def test_an_event_of_many_short_lines_is_refused() -> None:
    decoder = SSEDecoder(limit=1000)
    with pytest.raises(
        GeminiStreamError,
        match=r"One event of the event stream passed .* \(max_event_bytes\)",
    ):
        for _ in range(100):
            decoder.feed(b"data: " + b"1" * 50 + b"\n")  # no blank line: one event


def test_events_under_the_limit_pass_and_the_count_restarts_per_event() -> None:
    decoder = SSEDecoder(limit=100)
    event = b"data: " + json.dumps({"t": "x" * 60}).encode() + b"\n\n"
    assert len(event) < 100
    events = [e for _ in range(50) for e in decoder.feed(event)]
    assert events == [{"t": "x" * 60}] * 50
    assert decoder.close() == []


def test_defaults_are_far_above_real_answers() -> None:
    llm = ChatCometGemini(api_key="k")
    assert llm.max_event_bytes == MAX_EVENT_BYTES == 64 << 20
    assert llm.max_response_bytes == MAX_RESPONSE_BYTES == 256 << 20
    assert llm.max_call_pieces == MAX_CALL_PIECES == 100_000
    assert llm.max_media_bytes == 20_000_000
    big = "x" * (8 << 20)  # an 8 MiB event (a large image in base64) passes
    assert SSEDecoder().feed(b'data: "' + big.encode() + b'"\n\n') == [big]


def test_blank_lines_before_the_body_are_not_kept() -> None:
    decoder = SSEDecoder(limit=1000)
    for _ in range(10_000):  # ten times the limit, all blank: nothing to hold
        assert decoder.feed(b"\r\n") == []
    assert decoder.feed(b'data: {"a": 1}\r\n\r\n') == [{"a": 1}]


# -- streamed function-call arguments ----------------------------------------------


def _event(*parts: dict[str, Any], finish: bool = False) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        candidate["finishReason"] = "STOP"
    return {"candidates": [candidate]}


def _piece(path: str, **value: Any) -> dict[str, Any]:
    return {"functionCall": {"willContinue": True, "partialArgs": [
        {"jsonPath": path, **value}]}}  # fmt: skip


def _stream(events: list[dict[str, Any]], limit: int = MAX_CALL_PIECES) -> Any:
    state = StreamState(model=MODEL, max_call_pieces=limit)
    chunks = [parse_event(event, state) for event in events]
    # Joined in one go (chunk by chunk, langchain-core re-parses the
    # arguments each time: its cost, not the parser's).
    return chunks[0] + [*chunks[1:], final_chunk(state)]


def _long_call(pieces: int) -> list[dict[str, Any]]:
    """One call in ``2 * pieces`` pieces: a string grown ``pieces`` times, then
    ``pieces`` keys of their own."""
    events = [_event({"functionCall": {"name": "f", "willContinue": True}})]
    for _ in range(pieces):
        events.append(_event(_piece("$.text", stringValue="ab", willContinue=True)))
    for i in range(pieces):
        events.append(_event(_piece(f"$.k{i}", stringValue="v" * 10)))
    events.append(_event({"functionCall": {}}, finish=True))
    return events


class _Counting:
    """``json`` for _calls, counting the characters ``dumps`` writes."""

    def __init__(self) -> None:
        self.written = 0

    def dumps(self, value: Any, **options: Any) -> str:
        text = json.dumps(value, **options)
        self.written += len(text)
        return text

    def loads(self, text: str) -> Any:
        return json.loads(text)


def test_assembly_is_linear_in_the_size_of_the_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """4,000 pieces, half of them growing one string: the argument text is
    written once, not once per piece (which was 4,000 times its size)."""
    counting = _Counting()
    monkeypatch.setattr(_calls, "json", counting)
    message = _stream(_long_call(2000))
    args = message.tool_calls[0]["args"]
    assert args["text"] == "ab" * 2000
    assert args["k1999"] == "v" * 10
    size = len(json.dumps(args))
    assert counting.written < 3 * size  # linear: a few passes at most
    assert len(message.tool_call_chunks) == 1  # all chunks joined into one call


def test_the_stream_text_parses_to_the_invoke_arguments() -> None:
    events = _long_call(50)
    streamed = _stream(events)
    state = StreamState(model=MODEL)
    last = None
    for event in events:
        last = parse_event(event, state)
    assert last is not None
    merged = {**events[0]}
    unary_parts = [p for e in events for p in e["candidates"][0]["content"]["parts"]]
    merged = _event(*unary_parts, finish=True)
    unary = response_to_result(merged, MODEL).generations[0].message
    assert streamed.tool_calls[0]["args"] == unary.tool_calls[0]["args"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("index", ["1000000000000000", "9" * 5000, "100001"])
def test_a_huge_list_index_is_refused_before_allocating(index: str) -> None:
    event = _event(
        {"functionCall": {"name": "f", "willContinue": True}},
        _piece(f"$.items[{index}]", numberValue=1),
    )
    with pytest.raises(GeminiStreamError) as info:
        parse_event(event, StreamState(model=MODEL))
    assert "max_call_pieces" in str(info.value)
    assert "100,000" in str(info.value)


def test_too_many_pieces_are_refused_naming_the_setting() -> None:
    events = _long_call(30)
    with pytest.raises(GeminiStreamError, match=r"of 50 pieces \(max_call_pieces\)"):
        _stream(events, limit=50)
    assert _stream(events, limit=60).tool_calls[0]["args"]["text"] == "ab" * 30


def test_the_limit_is_the_models_setting() -> None:
    parts = [{"jsonPath": f"$.k{i}", "numberValue": i} for i in range(20)]
    answer = _event({"functionCall": {"name": "f", "partialArgs": parts}}, finish=True)
    assert response_to_result(answer, MODEL).generations[0].message.tool_calls
    with pytest.raises(GeminiStreamError, match="max_call_pieces"):
        response_to_result(answer, MODEL, max_call_pieces=10)


def test_a_path_deeper_than_64_steps_is_refused() -> None:
    event = _event(
        {"functionCall": {"name": "f", "willContinue": True}},
        _piece("$" + ".a" * 65, numberValue=1),
    )
    with pytest.raises(GeminiStreamError, match="Too deep"):
        parse_event(event, StreamState(model=MODEL))
    ok = _event(
        {"functionCall": {"name": "f", "willContinue": True}},
        _piece("$" + ".a" * 64, numberValue=1),
        {"functionCall": {}},
        finish=True,
    )
    assert parse_event(ok, StreamState(model=MODEL)).tool_call_chunks
