"""Every buffer has a bound: the limits, their defaults and their errors.

Whatever the service (or a relay, or a host named in a message) sends, the
package holds at most this much of it. Each default is far above anything a
real answer reaches; each has a ``ChatCometGemini`` setting of the same name
to raise it; each error names the limit and that setting. docs/reliability.md
lists them all.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from langchain_cometgemini._errors import GeminiResponseError
from langchain_cometgemini._request import MAX_INLINE_BYTES

__all__ = [
    "MAX_CALL_PIECES",
    "MAX_EVENT_BYTES",
    "MAX_RESPONSE_BYTES",
    "Limits",
    "abounded",
    "bounded",
    "exceeded",
    "inflate",
    "too_large",
]

MAX_EVENT_BYTES = 64 << 20
"""One line, and one event, of an event stream (64 MiB). The largest real
event is one generated image or audio clip in base64: a few MB."""
MAX_RESPONSE_BYTES = 256 << 20
"""One answer, decompressed: a unary body, or all the bytes of a stream
(256 MiB). A gzip-encoded answer is counted as it expands."""
MAX_CALL_PIECES = 100_000
"""Pieces (``partialArgs`` items) of one streamed function call, and the
largest list index one may name. Real calls come in tens to thousands."""


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds one model applies (its settings of the same names)."""

    max_event_bytes: int = MAX_EVENT_BYTES
    max_response_bytes: int = MAX_RESPONSE_BYTES
    max_media_bytes: int = MAX_INLINE_BYTES
    max_call_pieces: int = MAX_CALL_PIECES


def exceeded(what: str, limit: int, setting: str, unit: str = "bytes") -> str:
    """The message for a bound passed: what, the limit, and the setting to raise."""
    return (
        f"{what} passed the limit of {limit:,} {unit} ({setting}). If this is "
        f"genuine, raise it: ChatCometGemini({setting}=...)."
    )


def too_large(limit: int) -> GeminiResponseError:
    """The error for an answer past ``max_response_bytes``."""
    return GeminiResponseError(
        exceeded("The answer (decompressed)", limit, "max_response_bytes")
    )


def bounded(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """``chunks`` (an answer's decoded bytes) as they come, until ``limit``.

    Counted after decompression, chunk by chunk: a gzip bomb is stopped once
    it has expanded past the limit, not after.
    """
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        yield chunk


async def abounded(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """Async twin of :func:`bounded`."""
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        yield chunk


_WBITS = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
"""The codings we ask for (``Accept-Encoding: gzip, deflate``), as zlib reads them."""


def inflate(data: bytes, coding: str, limit: int) -> bytes | None:
    """``data`` decoded from ``coding`` (gzip or deflate), or None for another.

    Decoded as httpx decodes a whole body (a deflate body may come without
    its zlib header; bytes after the gzip member are ignored), but never past
    ``limit``: zlib stops there, so a gzip bomb costs ``limit`` bytes at most.
    Raises ``zlib.error`` for a body that is not what its coding says.
    """
    wbits = _WBITS.get(coding)
    if wbits is None:
        return None
    try:
        return _inflate(data, wbits, limit)
    except zlib.error:
        if coding != "deflate":
            raise
        return _inflate(data, -zlib.MAX_WBITS, limit)  # raw deflate, no header


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    decoder = zlib.decompressobj(wbits)
    out = decoder.decompress(data, limit + 1)
    if len(out) > limit or decoder.unconsumed_tail:
        raise too_large(limit)
    out += decoder.flush()
    if len(out) > limit:
        raise too_large(limit)
    return out
