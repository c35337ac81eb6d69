"""The SSE decoder under hostile chunking, truncation and garbage.

``test_sse.py`` splits each recorded body once at every offset; here the
bodies also carry non-ASCII text (so cuts land inside multi-byte UTF-8
characters), are re-chunked at random by hypothesis, truncated at every
offset, and salted with garbage. The decoder must give exactly the events of
the unsplit body, or raise ``GeminiStreamError`` — never another exception,
never a partial answer passed off as complete.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langchain_cometgemini._errors import GeminiStreamError
from langchain_cometgemini._sse import SSEDecoder
from tests.recordings import events, load, names

settings.register_profile(
    "long",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "cometgemini-small",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(
    "long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "cometgemini-small"
)

STREAMED = [n for n in names() if load(n)["stream"]]
SMALL_STREAMS = [n for n in STREAMED if len(load(n)["response_sse"]) < 10_000]
NON_ASCII = "héllo — 日本語 🎉👍🏽 \u00e9\u0301 Ωμέγα"


def _frame(event: Any, sep: bytes = b"\r\n\r\n") -> bytes:
    return b"data: " + json.dumps(event, ensure_ascii=False).encode() + sep


def _non_ascii_body() -> tuple[bytes, list[Any]]:
    """A recorded stream whose texts are rewritten with multi-byte characters."""
    evts = events(load("test_google_model_stream__0"))
    out = []
    for number, event in enumerate(evts):
        event = json.loads(json.dumps(event))
        for cand in event.get("candidates", []):
            for part in cand.get("content", {}).get("parts", []):
                if "text" in part:
                    part["text"] = f"{NON_ASCII} {number} {part['text']}"
        out.append(event)
    return b"".join(_frame(e) for e in out), out


def _decode(chunks: list[bytes]) -> list[Any]:
    decoder = SSEDecoder()
    out: list[Any] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.close())
    return out


def _rechunk(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    edges = [0, *points, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges)]


NON_ASCII_BODY, NON_ASCII_EVENTS = _non_ascii_body()


def test_non_ascii_body_really_is_multibyte() -> None:
    assert len(NON_ASCII_BODY) > len(NON_ASCII_BODY.decode())
    assert _decode([NON_ASCII_BODY]) == NON_ASCII_EVENTS


def test_non_ascii_split_at_every_offset_and_pair_of_offsets() -> None:
    """Every single cut, and every pair of cuts 1-3 bytes apart (a character
    split into three pieces)."""
    body = NON_ASCII_BODY
    for cut in range(len(body) + 1):
        assert _decode([body[:cut], body[cut:]]) == NON_ASCII_EVENTS
        for gap in (1, 2, 3):
            assert _decode(_rechunk(body, [cut, cut + gap])) == NON_ASCII_EVENTS


def test_one_byte_at_a_time_every_recording() -> None:
    for name in STREAMED:
        body = str(load(name)["response_sse"]).encode()
        assert _decode([body[i : i + 1] for i in range(len(body))]) == events(
            load(name)
        )


@pytest.mark.parametrize("sep", [b"\n\n", b"\r\r", b"\r\n\r\n", b"\n\r\n"])
def test_other_legal_line_endings_give_the_same_events(sep: bytes) -> None:
    body = b"".join(_frame(e, sep) for e in NON_ASCII_EVENTS)
    for cut in range(len(body) + 1):
        assert _decode([body[:cut], body[cut:]]) == NON_ASCII_EVENTS


def _frame_ends(body: bytes) -> list[int]:
    """Offset just past the data line of each event (where a cut loses nothing
    but the blank line... which still leaves the event unterminated)."""
    ends, pos = [], 0
    for line in body.split(b"\r\n\r\n")[:-1]:
        pos += len(line) + 4
        ends.append(pos)
    return ends


@pytest.mark.parametrize("name", ["non_ascii", *SMALL_STREAMS])
def test_truncated_at_every_offset_is_a_prefix_or_our_error(name: str) -> None:
    """A body cut anywhere yields a prefix of its events and, unless the cut
    fell after a complete event, raises: a truncated answer never passes."""
    if name == "non_ascii":
        body, expected = NON_ASCII_BODY, NON_ASCII_EVENTS
    else:
        body = str(load(name)["response_sse"]).encode()
        expected = events(load(name))
    ends = _frame_ends(body)
    raised = 0
    for cut in range(len(body)):
        decoder = SSEDecoder()
        got = decoder.feed(body[:cut])
        try:
            got += decoder.close()
        except GeminiStreamError:
            raised += 1
            assert got == expected[: len(got)]
            continue
        assert got == expected[: len(got)]
        # Clean end: nothing but separator bytes after the last whole event.
        done = ends[len(got) - 1] if got else 0
        assert body[done:cut].strip(b"\r\n") == b""
        assert body[:cut].rstrip(b"\r\n") == body[:done].rstrip(b"\r\n")
    assert raised > len(body) * 0.9


@PROFILE
@given(st.sampled_from(STREAMED), st.lists(st.integers(0, 10**6), max_size=40))
def test_random_rechunking_gives_the_same_events(name: str, cuts: list[int]) -> None:
    body = str(load(name)["response_sse"]).encode()
    assert _decode(_rechunk(body, cuts)) == events(load(name))


@PROFILE
@given(st.lists(st.integers(0, 10**6), max_size=60))
def test_random_rechunking_non_ascii(cuts: list[int]) -> None:
    assert _decode(_rechunk(NON_ASCII_BODY, cuts)) == NON_ASCII_EVENTS


@PROFILE
@given(
    st.sampled_from(["non_ascii", *SMALL_STREAMS]),
    st.integers(0, 10**6),
    st.binary(min_size=1, max_size=12),
    st.lists(st.integers(0, 10**6), max_size=8),
)
def test_garbage_spliced_in_is_events_or_our_error(
    name: str, at: int, junk: bytes, cuts: list[int]
) -> None:
    """Junk bytes anywhere: every event that comes out is a real JSON value,
    or the decoder raises our error; nothing else escapes."""
    body = (
        NON_ASCII_BODY if name == "non_ascii" else load(name)["response_sse"].encode()
    )
    at %= len(body) + 1
    try:
        got = _decode(_rechunk(body[:at] + junk + body[at:], cuts))
    except GeminiStreamError:
        return
    assert isinstance(got, list)
    json.dumps(got)  # plain JSON values only


@PROFILE
@given(st.binary(max_size=300), st.lists(st.integers(0, 400), max_size=10))
def test_arbitrary_bytes_are_events_or_our_error(data: bytes, cuts: list[int]) -> None:
    try:
        got = _decode(_rechunk(data, cuts))
    except GeminiStreamError:
        return
    json.dumps(got)


def test_deeply_nested_event_is_our_error_not_recursion_error() -> None:
    payload = b"data: " + b"[" * 100_000 + b"]" * 100_000 + b"\r\n\r\n"
    with pytest.raises(GeminiStreamError, match="not valid JSON"):
        _decode([payload])


def test_invalid_utf8_inside_an_event_is_our_error() -> None:
    with pytest.raises(GeminiStreamError, match="not valid JSON"):
        _decode([b'data: {"text": "\xff\xfe"}\r\n\r\n'])


def test_large_event_in_tiny_chunks_is_linear() -> None:
    """A 4 MB base64 event fed in 64-byte chunks decodes (O(n), not O(n^2):
    quadratic joining would take minutes here; pytest-timeout guards it)."""
    blob = "A" * 4_000_000
    body = _frame({"data": blob})
    chunks = [body[i : i + 64] for i in range(0, len(body), 64)]
    assert _decode(chunks) == [{"data": blob}]
