"""``SSEDecoder``: framing, chunk boundaries and truncation.

The decoder sees bytes exactly as the socket delivers them, so every recorded
stream body is split at every byte offset and fed one byte at a time: the
events must not depend on where the chunks were cut.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_cometgemini._errors import GeminiStreamError
from langchain_cometgemini._sse import SSEDecoder
from tests.recordings import events, load, names

STREAMED = [n for n in names() if load(n)["stream"]]


def _decode(*chunks: bytes) -> list[Any]:
    decoder = SSEDecoder()
    out: list[Any] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.close())
    return out


def _body(name: str) -> bytes:
    return str(load(name)["response_sse"]).encode()


def _cuts(body: bytes) -> list[int]:
    """Every byte offset; for bodies over 10 kB (one 57 kB recording, which
    would take ~20 s) every offset within 8 bytes of a line break (where the
    framing logic lives) plus every 7th offset elsewhere.
    """
    if len(body) <= 10_000:
        return list(range(len(body) + 1))
    near = {
        i + d
        for i, byte in enumerate(body)
        if byte in b"\r\n"
        for d in range(-8, 9)
        if 0 <= i + d <= len(body)
    }
    return sorted(near | set(range(0, len(body) + 1, 7)))


def test_there_are_streamed_recordings() -> None:
    assert len(STREAMED) >= 5


@pytest.mark.parametrize("name", STREAMED)
def test_recording_whole_body(name: str) -> None:
    expected = events(load(name))
    assert len(expected) >= 1
    assert _decode(_body(name)) == expected


@pytest.mark.parametrize("name", STREAMED)
def test_recording_split_at_every_offset(name: str) -> None:
    body = _body(name)
    expected = events(load(name))
    for cut in _cuts(body):
        got = _decode(body[:cut], body[cut:])
        assert got == expected, f"split at byte {cut} changed the events"


@pytest.mark.parametrize("name", STREAMED)
def test_recording_one_byte_pieces(name: str) -> None:
    body = _body(name)
    pieces = [body[i : i + 1] for i in range(len(body))]
    assert _decode(*pieces) == events(load(name))


def test_events_surface_as_soon_as_complete() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a": 1}\r\n') == []
    assert decoder.feed(b"\r\n") == [{"a": 1}]
    assert decoder.feed(b'data: {"b": 2}\r\n\r\ndata: {"c"') == [{"b": 2}]
    assert decoder.feed(b": 3}\r\n\r\n") == [{"c": 3}]
    assert decoder.close() == []


@pytest.mark.parametrize("sep", [b"\n\n", b"\r\r", b"\r\n\r\n"])
def test_framings(sep: bytes) -> None:
    body = b'data: {"a": 1}' + sep + b'data: {"b": 2}' + sep
    assert _decode(body) == [{"a": 1}, {"b": 2}]
    # And with every split, since "\r" then "\n" may straddle chunks.
    for cut in range(len(body) + 1):
        assert _decode(body[:cut], body[cut:]) == [{"a": 1}, {"b": 2}]


def test_bare_cr_framing_ending_the_body() -> None:
    """A stream ending in ``\\r\\r`` is complete (no ``\\n`` will follow)."""
    assert _decode(b'data: {"a": 1}\r\r') == [{"a": 1}]


def test_comments_and_other_fields_are_ignored() -> None:
    body = (
        b": keep-alive\n\n"
        b"event: message\nid: 7\nretry: 1000\n: note\n"
        b'data: {"a": 1}\n\n'
        b":\n\n"
    )
    assert _decode(body) == [{"a": 1}]


def test_multi_line_data_joined_with_newline() -> None:
    body = b'data: {"a":\ndata:  [1,\ndata: 2]}\n\n'
    assert _decode(body) == [{"a": [1, 2]}]


def test_data_without_space_after_colon() -> None:
    assert _decode(b'data:{"a": 1}\n\n') == [{"a": 1}]


def test_multibyte_utf8_split_inside_character() -> None:
    payload = json.dumps({"t": "héllo 世界 🎉"}, ensure_ascii=False).encode()
    body = b"data: " + payload + b"\r\n\r\n"
    for cut in range(len(body) + 1):
        assert _decode(body[:cut], body[cut:]) == [{"t": "héllo 世界 🎉"}]


@pytest.mark.parametrize(
    "body",
    [
        b'data: {"a": 1}',  # no line ending at all
        b'data: {"a": 1}\r\n',  # line ended, event not terminated by a blank line
        b'data: {"a": 1}\n\ndata: {"b"',  # second event cut mid-JSON
        b'data: {"a": 1}\n\ndata: {"b": 2}\n',
    ],
)
def test_truncated_tail_raises(body: bytes) -> None:
    with pytest.raises(GeminiStreamError, match="incomplete"):
        _decode(body)


def test_truncated_recording_raises() -> None:
    body = _body(STREAMED[0])
    with pytest.raises(GeminiStreamError):
        _decode(body[:-3])


def test_invalid_json_event_raises() -> None:
    with pytest.raises(GeminiStreamError, match="not valid JSON"):
        _decode(b"data: {not json}\n\n")


def test_invalid_utf8_event_raises() -> None:
    with pytest.raises(GeminiStreamError, match="not valid JSON"):
        _decode(b'data: "\xff\xfe"\n\n')


def test_empty_body_gives_no_events() -> None:
    assert _decode(b"") == []
    assert _decode(b"\n\n\r\n") == []
