r"""Incremental decoder for the ``text/event-stream`` bodies Gemini streams.

Pure and byte-oriented: it is fed raw chunks exactly as they come off the
socket (split anywhere, even inside a multi-byte UTF-8 character or between
the ``\r`` and ``\n`` of the service's ``\r\n\r\n`` separators) and
returns the JSON payload of every event that is complete. Unlike a
line-iterator that silently drops an unterminated last event, ``close()``
raises when the body ended in the middle of one, so a truncated stream never
passes for a finished one. See https://html.spec.whatwg.org/multipage/server-sent-events.html

Relays send streams their own ways, and each is read as the service meant:
a UTF-8 byte-order mark before the first line is dropped (it would otherwise
hide the first ``data:`` field); an OpenAI-style ``data: [DONE]`` is an end
marker, not an event; comments and fields other than ``data`` are skipped.
A body whose first character is ``[`` or ``{`` is not an event stream at all
but plain JSON (Gemini's own answer without ``alt=sse``: an array of
responses; or a relay's single response): it is read whole and its
responses returned, in order, when the body ends.
"""

from __future__ import annotations

from typing import Any

from langchain_cometgemini._errors import GeminiStreamError
from langchain_cometgemini._json import loads
from langchain_cometgemini._limits import MAX_EVENT_BYTES, exceeded

__all__ = ["SSEDecoder"]

_BOM = b"\xef\xbb\xbf"
_DONE = b"[DONE]"
_SSE, _JSON = 1, 2  # what the body turned out to be (0: not known yet)


class SSEDecoder:
    """Turn a byte stream into the JSON objects of its ``data:`` events.

    ``limit`` bounds one line and one event's data, in bytes (the model's
    ``max_event_bytes``): a line that never ends is refused once past it,
    not buffered until memory runs out.
    """

    __slots__ = ("_data", "_data_size", "_kind", "_limit", "_pending", "_size")

    def __init__(self, limit: int = MAX_EVENT_BYTES) -> None:
        self._pending: list[bytes] = []  # bytes of the current, unfinished line
        self._size = 0  # their length (SSE bodies only)
        self._data: list[bytes] = []  # data lines of the current event
        self._data_size = 0
        self._kind = 0
        self._limit = limit

    def feed(self, chunk: bytes) -> list[Any]:
        """Consume ``chunk``; return the events it completed, parsed as JSON."""
        if self._kind != _SSE:
            chunk = self._sniff(chunk)
        if not chunk:
            return []
        self._size += len(chunk)
        if b"\n" not in chunk and b"\r" not in chunk:
            # Mid-line (a long base64 image, say): defer joining so that a
            # large event costs O(n), not O(n^2).
            self._pending.append(chunk)
            if self._size > self._limit:
                raise self._too_long("line")
            return []
        self._pending.append(chunk)
        buf = b"".join(self._pending)
        lines = buf.splitlines(keepends=True)
        last = lines[-1]
        # Keep back an unterminated line, and a line ending in a bare "\r"
        # whose "\n" may be in the next chunk.
        self._pending = [lines.pop()] if not last.endswith(b"\n") else []
        self._size = len(self._pending[0]) if self._pending else 0
        events: list[Any] = []
        for line in lines:
            if len(line) > self._limit:
                raise self._too_long("line")
            self._line(line.rstrip(b"\r\n"), events)
        if self._size > self._limit:
            raise self._too_long("line")
        return events

    def _too_long(self, what: str) -> GeminiStreamError:
        self._pending, self._data = [], []
        return GeminiStreamError(
            exceeded(f"One {what} of the event stream", self._limit, "max_event_bytes")
        )

    def _sniff(self, chunk: bytes) -> bytes:
        """Until the body's first character is known, hold the bytes back.

        Returns what the SSE parser is to read: nothing while undecided or
        for a JSON body (kept whole in ``_pending``), else the bytes so far
        without a leading byte-order mark.
        """
        if self._kind == _JSON:
            self._pending.append(chunk)
            return b""
        self._pending.append(chunk)
        head = b"".join(self._pending)
        if _BOM.startswith(head[:3]) and len(head) < 3:
            return b""  # perhaps a mark split across chunks
        head = head.removeprefix(_BOM)
        start = head.lstrip()
        if not start:
            # Only blank so far: nothing to keep (an endless run of blanks
            # must not grow, nor be joined again on every chunk).
            self._pending = []
            return b""
        if start[:1] in (b"[", b"{"):
            self._kind, self._pending = _JSON, [start]
            return b""
        self._kind, self._pending = _SSE, []
        return head

    def close(self) -> list[Any]:
        """Finish the stream; raise if it stopped inside an event."""
        if self._kind != _SSE:
            return self._close_json()
        events: list[Any] = []
        if self._pending:
            tail = b"".join(self._pending)
            self._pending = []
            if tail.rstrip() in (b"data: [DONE]", b"data:[DONE]"):
                pass  # the end marker, without its line ending
            elif tail.endswith(b"\r"):
                # One line ended by a bare "\r" (the last chunk's "\n" never
                # came). It ends the event only if it is itself blank.
                self._line(tail[:-1], events)
            elif tail.strip():
                raise GeminiStreamError(
                    "The event stream ended in the middle of an event "
                    f"({len(tail)} bytes with no line ending); the answer is "
                    "incomplete."
                )
        if self._data:
            self._data = []
            raise GeminiStreamError(
                "The event stream ended before its last event was terminated "
                "by a blank line; the answer is incomplete."
            )
        return events

    def _close_json(self) -> list[Any]:
        """The responses of a body that is plain JSON (or of an empty body)."""
        body = b"".join(self._pending).strip()
        self._pending = []
        if self._kind != _JSON:
            return []  # empty, or only blank lines: no events
        data = _parse(body)
        return data if isinstance(data, list) else [data]

    def _line(self, line: bytes, events: list[Any]) -> None:
        if not line:
            if self._data:
                payload = b"\n".join(self._data)
                self._data, self._data_size = [], 0
                if payload != _DONE:
                    events.append(_parse(payload))
            return
        if line.startswith(b"data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(b" ") else value)
            self._data_size += len(value)
            if self._data_size > self._limit:
                raise self._too_long("event")
        # Comments (":") and the event/id/retry fields carry nothing Gemini uses.


def _parse(payload: bytes) -> Any:
    try:
        return loads(payload)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError; deep nesting
        snippet = payload[:200].decode("utf-8", errors="replace")
        raise GeminiStreamError(
            f"The service sent a stream event that is not valid JSON ({exc}): "
            f"{snippet!r}"
        ) from None
