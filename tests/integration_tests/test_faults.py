"""Fault injection over loopback: retries, broken streams, timeouts, leaks.

The ``GeminiEmulator`` injects HTTP-level faults (429/5xx with and without
``Retry-After``, dropped connections, bodies cut mid-event, delays). A tiny
raw-socket server in this file adds what the emulator lacks: a body dripped
one byte at a time, and a count of accepted and still-open TCP connections,
used to prove that cancelled streams close their sockets and that pooled
calls reuse one (the server's count is the public signal: no test looks into
httpcore's pool). Retry waits are recorded instead of slept (``waits``), so
the policy is checked exactly and the file stays fast.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from langchain_cometgemini import ChatCometGemini, _client
from langchain_cometgemini._errors import (
    GeminiConnectionError,
    GeminiRateLimitError,
    GeminiServerError,
    GeminiStreamError,
    GeminiTimeoutError,
)
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.raw_http import free_port
from tests.recordings import events, load, text_of

KEY = "fault-test-key"
UNARY = load("test_google_model__0")["response_json"]
STREAM = events(load("test_google_model_stream__0"))
STREAM_TEXT = text_of(STREAM)
UNARY_TEXT = UNARY["candidates"][0]["content"]["parts"][0]["text"]
RETRYABLE = [429, 500, 502, 503, 504]


def _frame(event: Any) -> bytes:
    return b"data: " + json.dumps(event).encode() + b"\r\n\r\n"


def _llm(url: str, **kwargs: Any) -> ChatCometGemini:
    kwargs.setdefault("max_retries", 2)
    return ChatCometGemini(base_url=url, api_key=KEY, **kwargs)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record each retry wait the client's policy chose; wait 0 s instead."""
    chosen: list[float] = []
    real = _client._backoff

    def record(attempt: int, error: Any) -> float:
        chosen.append(real(attempt, error))
        return 0.0

    monkeypatch.setattr(_client, "_backoff", record)
    return chosen


def _collect(llm: ChatCometGemini) -> str:
    return "".join(str(chunk.content) for chunk in llm.stream("hi"))


async def _acollect(llm: ChatCometGemini) -> str:
    return "".join([str(chunk.content) async for chunk in llm.astream("hi")])


def _httpx(llm: ChatCometGemini) -> ChatCometGemini:
    return llm.model_copy(update={"async_transport": "httpx"})


MODES: dict[str, Callable[[ChatCometGemini], str]] = {
    "invoke": lambda llm: str(llm.invoke("hi").content),
    "ainvoke": lambda llm: str(asyncio.run(llm.ainvoke("hi")).content),
    "stream": _collect,
    "astream": lambda llm: asyncio.run(_acollect(llm)),
    # The async calls again on httpx's pool (in shards), not the default
    # (aiohttp when installed).
    "ainvoke-httpx": lambda llm: str(asyncio.run(_httpx(llm).ainvoke("hi")).content),
    "astream-httpx": lambda llm: asyncio.run(_acollect(_httpx(llm))),
}


def _ok(mode: str) -> Reply:
    return Reply(events=STREAM) if "stream" in mode else Reply(json=UNARY)


def _expected(mode: str) -> str:
    return STREAM_TEXT if "stream" in mode else UNARY_TEXT


# -- HTTP errors: recover within the budget, or a clear error ------


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("status", RETRYABLE)
@pytest.mark.parametrize("retry_after", [None, "7"])
def test_retryable_status_recovers(
    emulator: GeminiEmulator,
    waits: list[float],
    mode: str,
    status: int,
    retry_after: str | None,
) -> None:
    headers = {"retry-after": retry_after} if retry_after else {}
    error = Reply.error(status, "try later")
    error.headers.update(headers)
    emulator.queue(error, _ok(mode))
    assert MODES[mode](_llm(emulator.url)) == _expected(mode)
    assert len(emulator.requests) == 2
    assert emulator.requests[0].body == emulator.requests[1].body  # same request
    assert len(waits) == 1
    if retry_after:
        assert waits == [7.0]
    else:
        assert 0.375 <= waits[0] <= 0.625  # 0.5 s +-25 % jitter


@pytest.mark.parametrize("mode", list(MODES))
def test_mixed_faults_recover_within_budget(
    emulator: GeminiEmulator, waits: list[float], mode: str
) -> None:
    """A drop, a 503 and a 429 in a row, then success: max_retries=3 suffices."""
    emulator.queue(
        Reply(drop=True),
        Reply.error(503, "overloaded"),
        Reply.error(429, "slow down", retry_after=0),
        _ok(mode),
    )
    assert MODES[mode](_llm(emulator.url, max_retries=3)) == _expected(mode)
    assert len(emulator.requests) == 4
    assert waits[2] == 0.0  # the server's Retry-After: 0 wins over backoff


@pytest.mark.unserved_replies
@pytest.mark.parametrize("mode", list(MODES))
def test_budget_exhausted_raises_the_last_error(
    emulator: GeminiEmulator, waits: list[float], mode: str
) -> None:
    emulator.queue(*[Reply.error(429, f"quota {i}") for i in range(3)], _ok(mode))
    with pytest.raises(GeminiRateLimitError, match="quota 2") as info:
        MODES[mode](_llm(emulator.url, max_retries=2))
    assert info.value.status_code == 429
    assert len(emulator.requests) == 3
    assert len(waits) == 2


def test_retry_after_http_date_falls_back_to_backoff(
    emulator: GeminiEmulator, waits: list[float]
) -> None:
    error = Reply.error(503, "busy")
    error.headers["retry-after"] = "Wed, 21 Oct 2015 07:28:00 GMT"
    emulator.queue(error, _ok("invoke"))
    assert MODES["invoke"](_llm(emulator.url)) == UNARY_TEXT
    assert 0.375 <= waits[0] <= 0.625


def test_huge_retry_after_is_capped(
    emulator: GeminiEmulator, waits: list[float]
) -> None:
    emulator.queue(Reply.error(429, "later", retry_after=86400), _ok("invoke"))
    assert MODES["invoke"](_llm(emulator.url)) == UNARY_TEXT
    assert waits == [60.0]


def test_error_body_that_is_not_json_keeps_the_server_words(
    emulator: GeminiEmulator, waits: list[float]
) -> None:
    emulator.queue(*[Reply(status=502, raw=b"<html>Bad gateway</html>")] * 2)
    with pytest.raises(GeminiServerError, match="Bad gateway"):
        _llm(emulator.url, max_retries=1).invoke("hi")
    assert len(emulator.requests) == 2


# -- broken connections ------


@pytest.mark.parametrize("mode", list(MODES))
def test_connection_refused_is_retried_then_clear(
    waits: list[float], mode: str
) -> None:
    llm = _llm(f"http://127.0.0.1:{free_port()}", max_retries=2)
    with pytest.raises(GeminiConnectionError, match="Could not complete the request"):
        MODES[mode](llm)
    assert len(waits) == 2  # three attempts, two waits


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_unary_body_cut_is_retried(
    emulator: GeminiEmulator, waits: list[float], mode: str
) -> None:
    """A unary answer cut mid-body showed the caller nothing: safe to retry."""
    emulator.queue(Reply(json=UNARY, cut_after=40), _ok(mode))
    assert MODES[mode](_llm(emulator.url)) == UNARY_TEXT
    assert len(emulator.requests) == 2


@pytest.mark.unserved_replies
@pytest.mark.parametrize("delivered", range(len(STREAM)))
@pytest.mark.parametrize("asynchronous", [False, True])
def test_stream_cut_mid_event_never_resends(
    emulator: GeminiEmulator, waits: list[float], delivered: int, asynchronous: bool
) -> None:
    """Cut inside event ``delivered``: the events before it reach the caller,
    then our error; with retries left the request is still sent only once."""
    head = b"".join(_frame(e) for e in STREAM[:delivered])
    emulator.queue(Reply(events=STREAM, cut_after=len(head) + 15), _ok("stream"))
    llm = _llm(emulator.url, max_retries=3)
    got: list[str] = []

    async def consume() -> None:
        async for chunk in llm.astream("hi"):
            got.append(str(chunk.content))

    with pytest.raises(GeminiStreamError, match="incomplete"):
        if asynchronous:
            asyncio.run(consume())
        else:
            for chunk in llm.stream("hi"):
                got.append(str(chunk.content))
    assert len(got) == delivered
    assert len(emulator.requests) == 1
    assert waits == []


def test_stream_without_finish_reason_is_incomplete(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=STREAM[:-1]))
    with pytest.raises(GeminiStreamError, match="without a finishReason"):
        _collect(_llm(emulator.url))


# -- timeouts ------


@pytest.mark.parametrize("mode", list(MODES))
def test_silent_server_times_out_fast_and_is_not_retried(
    emulator: GeminiEmulator, waits: list[float], mode: str
) -> None:
    """A server that never answers: our timeout error within 3 s, one request."""
    emulator.queue(
        Reply(json=UNARY, delay=1.5, events=STREAM if "stream" in mode else None)
    )
    start = time.monotonic()
    with pytest.raises(GeminiTimeoutError):
        MODES[mode](_llm(emulator.url, timeout=0.3, max_retries=2))
    assert time.monotonic() - start < 3
    assert len(emulator.requests) == 1
    assert waits == []


def test_stream_that_stalls_after_an_event_times_out(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=STREAM, event_delay=1.0))
    got: list[str] = []
    with pytest.raises(GeminiTimeoutError, match="stalled"):
        for chunk in _llm(emulator.url, timeout=0.3).stream("hi"):
            got.append(str(chunk.content))
    assert len(got) == 1
    assert got[0]
    assert STREAM_TEXT.startswith(got[0])
    assert len(emulator.requests) == 1


# -- a raw server: slow drip and connection counting ------


class RawServer:
    """Keep-alive HTTP/1.1 over raw sockets that counts TCP connections.

    ``body`` is sent for every request with ``content_type``; ``drip`` sends
    it one byte per write (with ``drip_pause`` between); ``hold_after`` sends
    only that many bytes, then waits for the client to hang up.
    """

    def __init__(
        self,
        body: bytes,
        content_type: str,
        *,
        drip: bool = False,
        drip_pause: float = 0.0,
        hold_after: int | None = None,
    ) -> None:
        self.body, self.content_type = body, content_type
        self.drip, self.drip_pause, self.hold_after = drip, drip_pause, hold_after
        self.accepted = 0
        self.open = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(256)
        self._closing = False
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closing = True
        self._sock.close()

    def wait_closed(self, limit: float = 5.0) -> int:
        """Wait (bounded) until every connection is closed; return how many stay."""
        deadline = time.monotonic() + limit
        while self.open and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.open

    async def await_closed(self, limit: float = 5.0) -> int:
        """Like :meth:`wait_closed`, letting the event loop run meanwhile."""
        deadline = time.monotonic() + limit
        while self.open and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return self.open

    def _accept(self) -> None:
        while not self._closing:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self.open += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(10)
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                with self._lock:
                    self.requests += 1
                self._answer(conn)
                if self.hold_after is not None:
                    while conn.recv(65536):  # until the client hangs up
                        pass
                    return
        except OSError:
            return
        finally:
            conn.close()
            with self._lock:
                self.open -= 1

    def _answer(self, conn: socket.socket) -> None:
        head = (
            f"HTTP/1.1 200 OK\r\ncontent-type: {self.content_type}\r\n"
            f"content-length: {len(self.body)}\r\n\r\n"
        ).encode()
        if self.hold_after is not None:
            conn.sendall(head + self.body[: self.hold_after])
        elif self.drip:
            conn.sendall(head)
            for i in range(len(self.body)):
                conn.sendall(self.body[i : i + 1])
                if self.drip_pause:
                    time.sleep(self.drip_pause)
        else:
            conn.sendall(head + self.body)


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    made: list[RawServer] = []

    def make(*args: Any, **kwargs: Any) -> RawServer:
        made.append(RawServer(*args, **kwargs))
        return made[-1]

    yield make
    for server in made:
        server.close()


NON_ASCII_STREAM = json.loads(
    json.dumps(STREAM).replace('"text": "', '"text": "日本語 🎉 é ')
)
NON_ASCII_TEXT = "".join(
    p.get("text", "")
    for e in NON_ASCII_STREAM
    for c in e.get("candidates", [])
    for p in c.get("content", {}).get("parts", [])
)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_slow_drip_one_byte_at_a_time(
    raw_server: Callable[..., RawServer], asynchronous: bool
) -> None:
    """Every byte in its own TCP write (multi-byte characters split too), at a
    pace whose total far exceeds the per-read timeout: the same answer."""
    body = b"".join(_frame(e) for e in NON_ASCII_STREAM)
    server = raw_server(body, "text/event-stream", drip=True, drip_pause=0.001)
    llm = _llm(server.url, timeout=0.5)
    text = asyncio.run(_acollect(llm)) if asynchronous else _collect(llm)
    assert NON_ASCII_TEXT.count("日本語") == len(NON_ASCII_STREAM)
    assert text == NON_ASCII_TEXT


def test_1000_sequential_calls_use_one_connection(
    raw_server: Callable[..., RawServer],
) -> None:
    server = raw_server(json.dumps(UNARY).encode(), "application/json")
    llm = _llm(server.url)
    for _ in range(1000):
        assert llm.invoke("hi").content == UNARY_TEXT
    assert server.requests == 1000
    assert server.accepted == 1
    assert server.open == 1  # kept alive in the pool, not closed and reopened


async def test_300_sequential_async_calls_use_one_connection(
    raw_server: Callable[..., RawServer],
) -> None:
    server = raw_server(json.dumps(UNARY).encode(), "application/json")
    llm = _llm(server.url)
    for _ in range(300):
        assert (await llm.ainvoke("hi")).content == UNARY_TEXT
    assert server.requests == 300
    assert server.accepted == 1
    assert server.open == 1  # kept alive in the pool, not closed and reopened


def _held_stream(raw_server: Callable[..., RawServer]) -> RawServer:
    """A stream server that sends the first event and then goes quiet."""
    body = b"".join(_frame(e) for e in STREAM)
    return raw_server(body, "text/event-stream", hold_after=len(_frame(STREAM[0])))


async def test_200_cancelled_astreams_leave_no_connection_open(
    raw_server: Callable[..., RawServer],
) -> None:
    server = _held_stream(raw_server)
    llm = _llm(server.url, timeout=30)
    for _ in range(200):
        first = asyncio.Event()

        async def consume(first: asyncio.Event = first) -> None:
            async for _chunk in llm.astream("hi"):
                first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert server.requests == 200
    assert server.accepted == 200
    assert await server.await_closed() == 0


async def test_astream_closed_early_frees_its_connection(
    raw_server: Callable[..., RawServer],
) -> None:
    """``aclose()`` after the first chunk (what ``async for ... break`` plus
    ``contextlib.aclosing`` does) hangs up. Not before ``aclose()`` returns:
    langchain-core's ``astream`` does not close the generator it wraps, so
    ours is closed by the event loop's async-generator finalizer, an
    iteration later (see docs/reliability.md)."""
    server = _held_stream(raw_server)
    llm = _llm(server.url, timeout=30)
    for _ in range(50):
        stream = llm.astream("hi")
        await stream.__anext__()
        await stream.aclose()
    assert server.accepted == 50
    assert await server.await_closed() == 0


def test_sync_stream_abandoned_after_first_chunk_frees_its_connection(
    raw_server: Callable[..., RawServer],
) -> None:
    server = _held_stream(raw_server)
    llm = _llm(server.url, timeout=30)
    for _ in range(50):
        for _chunk in llm.stream("hi"):
            break
    assert server.accepted == 50
    assert server.wait_closed() == 0


def test_finished_streams_reuse_one_connection(
    raw_server: Callable[..., RawServer],
) -> None:
    server = raw_server(b"".join(_frame(e) for e in STREAM), "text/event-stream")
    llm = _llm(server.url)
    for _ in range(100):
        assert _collect(llm) == STREAM_TEXT
    assert server.accepted == 1
    assert server.open == 1  # kept alive in the pool, not closed and reopened


# -- where the key goes ------


def test_key_travels_in_a_header_never_in_the_url(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=UNARY), Reply(events=STREAM))
    llm = _llm(emulator.url)
    llm.invoke("hi")
    _collect(llm)
    for request in emulator.requests:
        assert KEY not in request.path
        assert request.headers["x-goog-api-key"] == KEY


@pytest.mark.parametrize("asynchronous", [False, True])
def test_key_is_never_sent_to_a_media_host(
    emulator: GeminiEmulator, raw_server: Callable[..., RawServer], asynchronous: bool
) -> None:
    """An image URL in a message is downloaded without our headers."""
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    media = raw_server(png, "image/png")
    seen: list[bytes] = []
    real_serve = media._serve

    def spy(conn: socket.socket) -> None:
        original_recv = conn.recv

        class Spy:
            def __getattr__(self, name: str) -> Any:
                return getattr(conn, name)

            def recv(self, size: int) -> bytes:
                data = original_recv(size)
                seen.append(data)
                return data

        real_serve(Spy())  # type: ignore[arg-type]

    media._serve = spy  # type: ignore[method-assign]
    emulator.queue(Reply(json=UNARY))
    message = {
        "role": "user",
        "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": f"{media.url}/cat.png"}},
        ],
    }
    llm = _llm(emulator.url, allow_private_media_urls=True)  # loopback media
    if asynchronous:
        asyncio.run(llm.ainvoke([message]))
    else:
        llm.invoke([message])
    raw = b"".join(seen)
    assert raw.startswith(b"GET /cat.png")
    assert KEY.encode() not in raw
    assert b"x-goog-api-key" not in raw.lower()
    parts = emulator.requests[0].body["contents"][0]["parts"]
    assert parts[1]["inlineData"]["mimeType"] == "image/png"
