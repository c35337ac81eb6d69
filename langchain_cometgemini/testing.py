"""A loopback Gemini-protocol server for tests: ``GeminiEmulator``.

It speaks the REST shape of the service on 127.0.0.1 (an ephemeral port), so
``ChatCometGemini(base_url=emulator.url, api_key="test")`` is all a test
needs. Answers are scripted (queued, or chosen by a function of the request)
or replayed from a recording; every request is recorded for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["GeminiEmulator", "Reply", "RecordedRequest"]


@dataclass
class Reply:
    """One scripted answer.

    ``json`` for a unary body, ``events`` for a stream (each a JSON object or
    raw ``bytes`` sent as they are), or ``raw`` bytes for anything else.
    ``delay`` waits before answering; ``event_delay`` between stream events;
    ``drop`` closes the connection without an answer; ``cut_after`` ends a
    stream after that many bytes.
    """

    status: int = 200
    json: Any = None
    events: list[Any] | None = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    event_delay: float = 0.0
    drop: bool = False
    cut_after: int | None = None

    @classmethod
    def error(
        cls, status: int, message: str, *, status_text: str = "", **headers: str
    ) -> Reply:
        """A Gemini-style JSON error."""
        body = {"error": {"code": status, "message": message, "status": status_text}}
        return cls(status=status, json=body, headers={k.replace("_", "-"): v for k, v in headers.items()})

    @classmethod
    def from_recording(cls, recording: Mapping[str, Any] | str | Path) -> Reply:
        """Replay a recording in the format of ``gemini_recordings/*.json``."""
        data = (
            json.loads(Path(recording).read_text())
            if isinstance(recording, str | Path)
            else recording
        )
        if data.get("stream"):
            return cls(status=data.get("status", 200), raw=data["response_sse"].encode(), headers={"content-type": "text/event-stream"})
        return cls(status=data.get("status", 200), json=data["response_json"])


@dataclass
class RecordedRequest:
    """A request the emulator received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def model(self) -> str:
        """Model id from the path ``/v1beta/models/{model}:{method}``."""
        return self.path.split("/models/", 1)[-1].split(":", 1)[0]

    @property
    def action(self) -> str:
        """``generateContent``, ``streamGenerateContent`` or ``countTokens``."""
        return self.path.split(":", 1)[-1].split("?", 1)[0]


Responder = Callable[[RecordedRequest], Reply]


class GeminiEmulator:
    """Loopback HTTP server answering like the Gemini REST API.

    Use as a context manager::

        with GeminiEmulator() as emu:
            emu.queue(Reply(json={...}))
            llm = ChatCometGemini(base_url=emu.url, api_key="test")
    """

    def __init__(self, responder: Responder | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Reply] = deque()
        self._responder = responder
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -----------------------------------------------------------

    def queue(self, *replies: Reply | Mapping[str, Any]) -> GeminiEmulator:
        """Append answers served in order (dicts are recordings)."""
        for reply in replies:
            self._queue.append(reply if isinstance(reply, Reply) else Reply.from_recording(reply))
        return self

    def replay(self, recordings: Iterable[Mapping[str, Any] | str | Path]) -> GeminiEmulator:
        """Queue the answers of several recordings."""
        for recording in recordings:
            self._queue.append(Reply.from_recording(recording))
        return self

    # -- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL to give ``ChatCometGemini(base_url=...)``."""
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> GeminiEmulator:
        """Start serving on 127.0.0.1 in a daemon thread."""
        emulator = self

        class Handler(_Handler):
            owner = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GeminiEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _next(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.popleft()
        if self._responder is not None:
            return self._responder(request)
        return Reply.error(500, "GeminiEmulator has no scripted answer left", status_text="INTERNAL")


class _Handler(BaseHTTPRequestHandler):
    owner: GeminiEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output clean

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length", 0))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        request = RecordedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        reply = self.owner._next(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            self.connection.close()
            return
        payload: bytes
        if reply.events is not None:
            payload = b"".join(
                e if isinstance(e, bytes) else b"data: " + json.dumps(e).encode() + b"\r\n\r\n"
                for e in reply.events
            )
            content_type = "text/event-stream"
        elif reply.raw is not None:
            payload = reply.raw
            content_type = reply.headers.get("content-type", "application/octet-stream")
        else:
            payload = json.dumps(reply.json).encode()
            content_type = "application/json"
        self.send_response(reply.status)
        self.send_header("content-type", content_type)
        for key, value in reply.headers.items():
            if key.lower() != "content-type":
                self.send_header(key, value)
        if reply.cut_after is not None:
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: reply.cut_after])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if reply.event_delay and reply.events is not None:
            for event in reply.events:
                data = event if isinstance(event, bytes) else b"data: " + json.dumps(event).encode() + b"\r\n\r\n"
                self.wfile.write(data)
                self.wfile.flush()
                time.sleep(reply.event_delay)
        else:
            self.wfile.write(payload)
        self.wfile.flush()
