"""Fuzzing the whole read path, bytes in, and the way back out (issue 21).

test_fuzz_parser.py mutates recordings as Python objects and calls the
parser. Here the same structure-aware mutations (its ``mutated`` strategy,
over every recording) are joined by hostile ones (streamed call pieces with
bad, huge or deep paths; values nested thousands deep; ``NaN`` and
``Infinity``; truncated and salted bytes), serialized, and read as the
client reads them: a unary body through ``decode_json`` and the parser, an
error body through ``error_from_response``, a stream through the SSE decoder
(split at random) and ``parse_event``. Two properties:

- nothing but this package's own errors (``CometGeminiError``) comes out;
- every message that comes out can be sent back: it converts into the next
  request, which encodes as strict JSON (no NaN, no Infinity).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
    message_chunk_to_message,
)

from langchain_cometgemini import CometGeminiError
from langchain_cometgemini._body import encode
from langchain_cometgemini._errors import GeminiAPIError, error_from_response
from langchain_cometgemini._json import loads
from langchain_cometgemini._request import build_contents
from langchain_cometgemini._response import (
    StreamState,
    final_chunk,
    parse_event,
    response_to_result,
)
from langchain_cometgemini._retry import decode_json
from langchain_cometgemini._sse import SSEDecoder
from langchain_cometgemini._wire import SIGNATURES_KEY
from tests.unit_tests.test_fuzz_parser import PROFILE, json_value, mutated

MODEL = "gemini-2.5-flash"
DEEP = "\x00deep\x00"  # stands for a value nested thousands deep (see _serialize)
CONSTANT = "\x00constant\x00"  # stands for NaN / Infinity / -Infinity

paths = st.one_of(
    st.sampled_from(
        [
            "$.a",
            "$.a[0]",
            "$.a[1].b",
            "$['q\\'s']",
            '$["x\\q"]',
            "$[0]",
            "$.a[99999999999999999999]",
            "$.a[100001]",
            "$" + ".d" * 70,
            "$",
            "a",
            "$.a..b",
        ]
    ),
    st.text(max_size=12).map(lambda t: "$." + t),
)
values = st.one_of(
    st.fixed_dictionaries({"stringValue": st.text(max_size=8)}),
    st.fixed_dictionaries({"numberValue": st.one_of(st.integers(), st.just(CONSTANT))}),
    st.fixed_dictionaries({"structValue": st.one_of(json_value, st.just(DEEP))}),
    st.fixed_dictionaries({"nullValue": st.just("NULL_VALUE")}),
    st.fixed_dictionaries({"boolValue": json_value}),
    st.just({}),
)


@st.composite
def call_pieces(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A function call streamed in pieces, some of them hostile."""
    first: dict[str, Any] = {"name": draw(st.sampled_from(["f", "g", ""]))}
    first["willContinue"] = draw(st.booleans())
    pieces = [{"functionCall": first}]
    for _ in range(draw(st.integers(0, 4))):
        item = {"jsonPath": draw(paths), **draw(values)}
        if draw(st.booleans()):
            item["willContinue"] = True
        piece = {"partialArgs": [item], "willContinue": draw(st.booleans())}
        part: dict[str, Any] = {"functionCall": piece}
        if draw(st.integers(0, 3)) == 0:  # a signature on a later piece
            part["thoughtSignature"] = draw(st.sampled_from(["sig", "", 7]))
        pieces.append(part)
    if draw(st.booleans()):
        pieces.append({"functionCall": {}})
    return pieces


@st.composite
def hostile(draw: st.DrawFn) -> dict[str, Any]:
    """A mutated recording, maybe with hostile call pieces and values."""
    response = draw(mutated())
    candidates = response.get("candidates")
    if isinstance(candidates, list) and candidates and draw(st.booleans()):
        candidate = candidates[0]
        content = candidate.get("content") if isinstance(candidate, dict) else None
        parts = content.get("parts") if isinstance(content, dict) else None
        if isinstance(parts, list):
            at = draw(st.integers(0, len(parts)))
            parts[at:at] = draw(call_pieces())
    if draw(st.integers(0, 4)) == 0:
        response[draw(st.sampled_from(["usageMetadata", "newField"]))] = DEEP
    return response


def _serialize(response: Any, depth: int, constant: str) -> bytes:
    text = json.dumps(response)
    text = text.replace(json.dumps(DEEP), "[" * depth + "1" + "]" * depth)
    return text.replace(json.dumps(CONSTANT), constant).encode()


bodies = st.builds(
    _serialize,
    hostile(),
    st.sampled_from([3, 200, 990, 5000]),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999"]),
)


@st.composite
def salted(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` as sent, or cut short, or with a few bytes changed."""
    how = draw(st.integers(0, 5))
    if how == 0 and body:
        return body[: draw(st.integers(0, len(body) - 1))]
    if how == 1 and body:
        at = draw(st.integers(0, len(body) - 1))
        return body[:at] + draw(st.binary(min_size=1, max_size=4)) + body[at + 1 :]
    return body


def _send_back(message: AIMessage) -> None:
    """The next request with ``message`` in its history encodes as strict JSON."""
    history: list[BaseMessage] = [HumanMessage("q"), message]
    history += [ToolMessage("ok", tool_call_id=c["id"]) for c in message.tool_calls]
    if message.invalid_tool_calls:
        return  # refused before sending, by design (docs/reliability.md)
    _, contents = build_contents(history, model=MODEL)
    wire = encode({"contents": contents})
    loads(wire if isinstance(wire, bytes) else b"".join(wire))


def _unary(body: bytes) -> None:
    try:
        answer = decode_json(httpx.Response(200, content=body))
        result = response_to_result(answer, MODEL)
    except CometGeminiError:
        return
    for generation in result.generations:
        assert isinstance(generation.message, AIMessage)
        _send_back(generation.message)


def _stream(events: list[bytes], cuts: list[int]) -> None:
    wire = b"".join(b"data: " + event + b"\r\n\r\n" for event in events)
    decoder, state = SSEDecoder(), StreamState(model=MODEL)
    chunks = []
    try:
        start = 0
        for cut in [*sorted({min(c, len(wire)) for c in cuts}), len(wire)]:
            for event in decoder.feed(wire[start:cut]):
                chunks.append(parse_event(event, state))
            start = cut
        for event in decoder.close():
            chunks.append(parse_event(event, state))
        chunks.append(final_chunk(state))
    except CometGeminiError:
        return
    total = chunks[0] + chunks[1:] if len(chunks) > 1 else chunks[0]
    message = message_chunk_to_message(total)
    assert isinstance(message, AIMessage)
    _send_back(message)


@PROFILE
@given(st.data())
def test_any_unary_body_reads_or_raises_our_error(data: st.DataObject) -> None:
    _unary(data.draw(salted(data.draw(bodies))))


@PROFILE
@given(st.data())
def test_any_error_body_becomes_an_api_error(data: st.DataObject) -> None:
    body = data.draw(salted(data.draw(bodies)))
    status = data.draw(st.sampled_from([400, 401, 429, 500, 503, 302]))
    headers = {"retry-after": data.draw(st.sampled_from(["1", "nan", "inf", "x"]))}
    error = error_from_response(status, headers, body)
    assert isinstance(error, GeminiAPIError)
    assert len(str(error)) < 2000 + len(body)


@PROFILE
@given(st.data())
def test_any_stream_reads_or_raises_our_error(data: st.DataObject) -> None:
    events = [
        data.draw(salted(body))
        for body in data.draw(st.lists(bodies, min_size=1, max_size=4))
    ]
    cuts = data.draw(st.lists(st.integers(0, 4000), max_size=6))
    _stream(events, cuts)


def test_an_answer_holding_nan_is_refused_not_passed_on() -> None:
    call = '{"functionCall": {"name": "f", "args": {"x": NaN}}}'
    body = ('{"candidates": [{"content": {"parts": [' + call + "]}}]}").encode()
    try:
        decode_json(httpx.Response(200, content=body))
    except CometGeminiError as error:
        assert "NaN is not JSON" in str(error)
    else:
        raise AssertionError("an answer holding NaN was accepted")
    decoder = SSEDecoder()
    try:
        decoder.feed(b"data: " + body + b"\n\n")
    except CometGeminiError as error:
        assert "NaN is not JSON" in str(error)
    else:
        raise AssertionError("an event holding NaN was accepted")


def test_a_signature_on_a_continuation_piece_is_kept_under_the_call() -> None:
    """It raised a bare StopIteration ("generator raised StopIteration" once
    inside a stream) when the piece did not also close the call."""
    state = StreamState(model=MODEL)
    first = {"functionCall": {"name": "f", "id": "c7", "willContinue": True}}
    later = {
        "functionCall": {
            "willContinue": True,
            "partialArgs": [{"jsonPath": "$.a", "numberValue": 1}],
        },
        "thoughtSignature": "sig-late",
    }
    events = [{"candidates": [{"content": {"parts": [p]}}]} for p in (first, later)]
    chunks = [parse_event(event, state) for event in events]
    assert chunks[1].additional_kwargs[SIGNATURES_KEY] == {"c7": "sig-late"}
