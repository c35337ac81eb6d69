r"""Incremental decoder for the ``text/event-stream`` bodies Gemini streams.

Pure and byte-oriented: it is fed raw chunks exactly as they come off the
socket (split anywhere, even inside a multi-byte UTF-8 character or between
the ``\r`` and ``\n`` of the service's ``\r\n\r\n`` separators) and
returns the JSON payload of every event that is complete. Unlike a
line-iterator that silently drops an unterminated last event, ``close()``
raises when the body ended in the middle of one, so a truncated stream never
passes for a finished one. See https://html.spec.whatwg.org/multipage/server-sent-events.html
"""

from __future__ import annotations

import json
from typing import Any

from langchain_cometgemini._errors import GeminiStreamError

__all__ = ["SSEDecoder"]

_NEWLINES = (b"\n", b"\r")


class SSEDecoder:
    """Turn a byte stream into the JSON objects of its ``data:`` events."""

    __slots__ = ("_data", "_pending")

    def __init__(self) -> None:
        self._pending: list[bytes] = []  # bytes of the current, unfinished line
        self._data: list[bytes] = []  # data lines of the current event

    def feed(self, chunk: bytes) -> list[Any]:
        """Consume ``chunk``; return the events it completed, parsed as JSON."""
        if not chunk:
            return []
        if b"\n" not in chunk and b"\r" not in chunk:
            # Mid-line (a long base64 image, say): defer joining so that a
            # large event costs O(n), not O(n^2).
            self._pending.append(chunk)
            return []
        self._pending.append(chunk)
        buf = b"".join(self._pending)
        lines = buf.splitlines(keepends=True)
        last = lines[-1]
        # Keep back an unterminated line, and a line ending in a bare "\r"
        # whose "\n" may be in the next chunk.
        self._pending = [lines.pop()] if not last.endswith(b"\n") else []
        events: list[Any] = []
        for line in lines:
            self._line(line.rstrip(b"\r\n"), events)
        return events

    def close(self) -> list[Any]:
        """Finish the stream; raise if it stopped inside an event."""
        events: list[Any] = []
        if self._pending:
            tail = b"".join(self._pending)
            self._pending = []
            if tail.endswith(b"\r"):
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

    def _line(self, line: bytes, events: list[Any]) -> None:
        if not line:
            if self._data:
                payload = b"\n".join(self._data)
                self._data = []
                events.append(_parse(payload))
            return
        if line.startswith(b"data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(b" ") else value)
        # Comments (":") and the event/id/retry fields carry nothing Gemini uses.


def _parse(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError; deep nesting
        snippet = payload[:200].decode("utf-8", errors="replace")
        raise GeminiStreamError(
            f"The service sent a stream event that is not valid JSON ({exc}): "
            f"{snippet!r}"
        ) from None
