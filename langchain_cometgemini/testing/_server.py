"""The loopback HTTP server: :class:`GeminiEmulator` and its handler."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from langchain_cometgemini._json import loads as strict_loads
from langchain_cometgemini.testing._models import (
    known_model,
    path_error,
    unknown_model_error,
)
from langchain_cometgemini.testing._replies import Reply
from langchain_cometgemini.testing._requests import (
    RecordedRequest,
    Responder,
    default_reply,
    validate,
)


class GeminiEmulator:
    """Loopback HTTP server answering like the Gemini REST API.

    Use as a context manager (or the ``gemini_emulator`` pytest fixture)::

        with GeminiEmulator() as emu:
            emu.queue(Reply.text("Paris"))
            llm = ChatCometGemini(base_url=emu.url, api_key="test")

    ``responder`` picks an answer from the request (return ``None`` to fall
    through); queued answers come first, then ``responder``, then
    :func:`default_reply` (``default=False``: a 500 instead). Requests
    without ``x-goog-api-key`` / ``Authorization`` get a 401, or a 400 when
    ``api_key`` is set and differs; ``validate=False`` turns off 400 checks.

    As strict as the service about where a request goes: a path other than
    ``/v1beta/models/{model}:{method}`` gets a 404, and so does a model id
    the service would not serve (``gemini-2.5-flsh``, ``gpt-4o``; known ids
    go by family rule, see ``_models``). ``extra_models`` lists other ids to
    answer (a tuned model's name); ``any_model=True`` answers every id.
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        default: bool = True,
        api_key: str | None = None,
        validate: bool = True,
        extra_models: Iterable[str] = (),
        any_model: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.requests: list[RecordedRequest] = []
        self.aborted: list[RecordedRequest] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_requests: list[RecordedRequest] = []  # GETs, kept apart
        self.in_flight = 0
        self.max_in_flight = 0
        self.open_connections = 0
        self._queue: deque[Reply] = deque()
        self._responder = responder
        self._default = default
        self._api_key = api_key
        self._validate = validate
        self.extra_models: set[str] = set(extra_models)
        """Model ids answered besides the known families (may be changed)."""
        self.any_model = any_model
        """Answer every model id (may be changed)."""
        self._address = (host, port)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -----------------------------------------------------------

    def queue(self, *replies: Reply | Mapping[str, Any]) -> GeminiEmulator:
        """Append answers served in order (dicts are recordings)."""
        for reply in replies:
            if isinstance(reply, list | tuple):
                raise TypeError(
                    "queue() takes replies one by one and was given a "
                    f"{type(reply).__name__}: unpack it, emulator.queue(*replies) "
                    "(Reply.long_decode returns a list of hops)"
                )
        with self._lock:
            for reply in replies:
                self._queue.append(
                    reply if isinstance(reply, Reply) else Reply.from_recording(reply)
                )
        return self

    def replay(
        self, recordings: Iterable[Mapping[str, Any] | str | Path]
    ) -> GeminiEmulator:
        """Queue the answers of several recordings."""
        return self.queue(*(Reply.from_recording(r) for r in recordings))

    def respond_with(self, responder: Responder | None) -> GeminiEmulator:
        """Replace the responder used when the queue is empty."""
        self._responder = responder
        return self

    def add_media(self, path: str, data: bytes, mime_type: str) -> str:
        """Serve ``data`` at ``GET {url}/{path}``; returns that URL."""
        key = "/" + path.lstrip("/")
        self.media[key] = (data, mime_type)
        return self.url + key

    @property
    def pending(self) -> int:
        """Queued answers not yet served."""
        return len(self._queue)

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request (``IndexError`` when there is none)."""
        return self.requests[-1]

    def reset(self) -> None:
        """Forget requests and queued answers."""
        with self._lock:
            self.requests.clear()
            self.aborted.clear()
            self._queue.clear()
            self.max_in_flight = 0

    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``condition`` until true or ``timeout``; returns its last value."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # -- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL to give ``ChatCometGemini(base_url=...)``."""
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> GeminiEmulator:
        """Start serving (127.0.0.1, a free port, unless ``host``/``port`` say
        otherwise) in a daemon thread.
        """
        emulator = self

        class Handler(_Handler):
            owner = emulator

        self._server = _Server(self._address, Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
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
        refusal = path_error(request.path) or self._check_auth(request.headers)
        if refusal is None and not self._serves(request.model):
            refusal = unknown_model_error(request.model, request.action)
        if refusal is None and self._validate:
            refusal = validate(request)
        if refusal is not None:
            return refusal
        with self._lock:
            if self._queue:
                return self._queue.popleft().naming(request.model)
        reply = self._responder(request) if self._responder is not None else None
        if reply is not None:
            return reply.naming(request.model)
        if self._default:
            return default_reply(request)
        return Reply.error(500, "GeminiEmulator has no scripted answer left")

    def _serves(self, model: str) -> bool:
        return self.any_model or model in self.extra_models or known_model(model)

    def _check_auth(self, headers: Mapping[str, str]) -> Reply | None:
        key = headers.get("x-goog-api-key") or headers.get(
            "authorization", ""
        ).removeprefix("Bearer ")
        if not key:
            return Reply.error(
                401,
                "Request is missing required authentication credential. Expected "
                "an API key in the x-goog-api-key header.",
            )
        if self._api_key is not None and key != self._api_key:
            return Reply.error(400, "API key not valid. Please pass a valid API key.")
        return None

    def _enter(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self.in_flight)


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a test or bulk job opening
    # dozens of connections at once would see the surplus reset by the kernel
    # and measure retries instead of answers.
    request_queue_size = 256


class _Handler(BaseHTTPRequestHandler):
    owner: GeminiEmulator
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on,
    # the second waits for the client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner.open_connections += 1

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.owner._lock:
            self.owner.open_connections -= 1

    def do_GET(self) -> None:
        """Serve bytes registered with :meth:`GeminiEmulator.add_media`."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.owner._lock:
            self.owner.media_requests.append(
                RecordedRequest("GET", self.path, headers, None)
            )
        found = self.owner.media.get(self.path.split("?", 1)[0])
        data, mime = found or (b"not found", "text/plain")
        self.send_response(200 if found else 404)
        self.send_header("content-type", mime)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        raw = self.rfile.read(length)
        try:  # strict, as the service is: NaN or Infinity is not JSON
            body = strict_loads(raw) if raw else None
        except (ValueError, RecursionError):
            body = raw
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RecordedRequest("POST", self.path, headers, body)
        self.owner._enter(1)
        try:
            reply = self.owner._next(request)
            if reply.delay:
                time.sleep(reply.delay)
            self._answer(request, reply)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.owner.aborted.append(request)
            self.close_connection = True
        finally:
            self.owner._enter(-1)

    def _answer(self, request: RecordedRequest, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        streaming = request.streaming and reply.status == 200
        pieces = reply.body_for(streaming)
        self.send_response(reply.status)
        content_type = "text/event-stream" if streaming else "application/json"
        if reply.raw is not None:
            content_type = reply.headers.get("content-type", "application/octet-stream")
        self.send_header("content-type", content_type)
        for key, value in _reply_headers(request, reply).items():
            if key.lower() != "content-type":
                self.send_header(key, value)
        if not streaming:
            payload = b"".join(pieces)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            if reply.cut_after is not None:
                self.wfile.write(payload[: reply.cut_after])
                self._hang_up()
                return
            self.wfile.write(payload)
            return
        # Chunked transfer, one chunk per event, flushed as it is written.
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        sent = 0
        for i, piece in enumerate(_limited(pieces, reply.cut_after)):
            if reply.cut_event is not None and i == reply.cut_event:
                self.wfile.write(b"%x\r\n" % len(piece) + piece[: len(piece) // 2])
                self._hang_up()
                return
            if i and reply.event_delay:
                time.sleep(reply.event_delay)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
            sent += len(piece)
        if reply.cut_after is not None and sent >= reply.cut_after:
            self._hang_up()
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _hang_up(self) -> None:
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


def _reply_headers(request: RecordedRequest, reply: Reply) -> dict[str, str]:
    """The reply's headers; a successful answer to a request that asked for a
    ``serviceTier`` names it in ``x-gemini-service-tier``, as the service
    names the tier that served it (a reply's own header wins: a test can
    script a downgrade).
    """
    tier = request.content_request.get("serviceTier")
    headers = dict(reply.headers)
    named = any(k.lower() == "x-gemini-service-tier" for k in headers)
    if reply.status == 200 and isinstance(tier, str) and not named:
        headers["x-gemini-service-tier"] = tier
    return headers


def _limited(pieces: list[bytes], limit: int | None) -> Iterator[bytes]:
    if limit is None:
        yield from pieces
        return
    for piece in pieces:
        if limit <= 0:
            return
        yield piece[:limit]
        limit -= len(piece)
