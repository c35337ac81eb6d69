"""Relay-proof transport (issue 13): what CometAPI may pass through, byte for byte.

A loopback server sends exact bytes (status line, headers, body) from a
script and records every request it got (path, headers). Each case runs
through invoke, ainvoke, stream and astream and asserts the answer, the error
class and message, the number of requests, the waits chosen (recorded, not
slept) and the headers each host saw. Two servers on different ports are two
origins: where a redirect would send the key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from langchain_cometgemini import ChatCometGemini, _client
from langchain_cometgemini._errors import (
    GeminiAuthenticationError,
    GeminiRateLimitError,
    GeminiServerError,
    GeminiStreamError,
)
from tests.raw_http import read_request
from tests.recordings import events, load, text_of

KEY = "sk-relay-test-key-3141"
UNARY = load("test_google_model__0")["response_json"]
UNARY_TEXT = UNARY["candidates"][0]["content"]["parts"][0]["text"]
STREAM = events(load("test_google_model_stream__0"))
STREAM_TEXT = text_of(STREAM)
QUOTA = {
    "error": {
        "code": 429,
        "message": "Resource has been exhausted (relay upstream)",
        "status": "RESOURCE_EXHAUSTED",
    }
}

Answer = bytes | Callable[[socket.socket], None]


def http(
    status: int, body: bytes, ctype: str = "application/json", **head: str
) -> bytes:
    """One raw HTTP/1.1 answer; the connection closes after it."""
    lines = [f"HTTP/1.1 {status} X", f"content-type: {ctype}"]
    lines += [f"content-length: {len(body)}", "connection: close"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in head.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sse(*items: Any, prefix: bytes = b"") -> bytes:
    """A 200 event stream of ``items`` (dicts become ``data:`` events)."""
    body = prefix + b"".join(
        i if isinstance(i, bytes) else b"data: " + json.dumps(i).encode() + b"\r\n\r\n"
        for i in items
    )
    return http(200, body, "text/event-stream")


def ok(stream: bool) -> bytes:
    return sse(*STREAM) if stream else http(200, json.dumps(UNARY).encode())


class Server:
    """Answers each request with the next scripted answer; records requests."""

    def __init__(self, ip: str = "127.0.0.1", port: int = 0) -> None:
        self.script: list[Answer] = []
        self.seen: list[tuple[str, dict[str, str]]] = []
        self._sock = socket.socket()
        self._sock.bind((ip, port))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{ip}:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def queue(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                head, _ = read_request(conn)
            except ConnectionError:
                return
            lines = head.decode().split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            self.seen.append((lines[0].split(" ")[1], headers))
            answer = self.script.pop(0) if self.script else http(500, b"unscripted")
            with contextlib.suppress(OSError):  # the client may hang up early
                answer(conn) if callable(answer) else conn.sendall(answer)


@pytest.fixture
def server() -> Iterator[Server]:
    made = Server()
    yield made
    made._sock.close()


other = server


def _llm(url: str, **kwargs: Any) -> ChatCometGemini:
    kwargs.setdefault("max_retries", 2)
    return ChatCometGemini(base_url=url, api_key=KEY, **kwargs)


async def _achunks(llm: ChatCometGemini, got: list[str]) -> str:
    async for chunk in llm.astream("hi"):
        got.append(str(chunk.content))
    return "".join(got)


def _transport(mode: str, llm: ChatCometGemini) -> tuple[str, ChatCometGemini]:
    """``ainvoke-httpx`` / ``astream-httpx``: the async call on httpx's pool
    (in shards) instead of the default (aiohttp when installed)."""
    if mode.endswith("-httpx"):
        return mode.removesuffix("-httpx"), llm.model_copy(
            update={"async_transport": "httpx"}
        )
    return mode, llm


def run(mode: str, llm: ChatCometGemini, got: list[str] | None = None) -> str:
    """The answer's text through ``mode``; streamed chunks also go to ``got``."""
    got = [] if got is None else got
    mode, llm = _transport(mode, llm)
    if mode == "invoke":
        return str(llm.invoke("hi").content)
    if mode == "ainvoke":
        return str(asyncio.run(llm.ainvoke("hi")).content)
    if mode == "stream":
        for chunk in llm.stream("hi"):
            got.append(str(chunk.content))
        return "".join(got)
    return asyncio.run(_achunks(llm, got))


MODES = ["invoke", "ainvoke", "stream", "astream", "ainvoke-httpx", "astream-httpx"]


def _streams(mode: str) -> bool:
    return "stream" in mode


def _under_the_hood(mode: str) -> dict[str, Any]:
    """invoke/ainvoke streaming under the hood, to read a stream's bytes.

    (``streaming=False`` is not passed: set explicitly, langchain-core reads it
    as "never stream" and ``stream()`` falls back to ``invoke``.)
    """
    return {} if _streams(mode) else {"streaming": True}


# -- 1. errors wherever they come ------------------------------------------------


def _error_200(mode: str, error: dict[str, Any] = QUOTA, **head: str) -> bytes:
    """A JSON error with status 200: the body, or a stream's first event."""
    if _streams(mode):
        return sse(error)
    return http(200, json.dumps(error).encode(), **head)


@pytest.mark.parametrize("mode", MODES)
def test_error_in_a_200_is_retried_like_a_429(
    server: Server, sleeps: list[float], mode: str
) -> None:
    server.queue(_error_200(mode), ok(_streams(mode)))
    text = run(mode, _llm(server.url))
    assert text == (STREAM_TEXT if _streams(mode) else UNARY_TEXT)
    assert len(server.seen) == 2
    assert len(sleeps) == 1
    assert 0.375 <= sleeps[0] <= 0.625  # our backoff: no Retry-After given


@pytest.mark.parametrize("mode", MODES)
def test_error_in_a_200_raises_the_mapped_error(
    server: Server, sleeps: list[float], mode: str
) -> None:
    server.queue(_error_200(mode), _error_200(mode))
    with pytest.raises(GeminiRateLimitError) as info:
        run(mode, _llm(server.url, max_retries=1))
    assert info.value.message == "Resource has been exhausted (relay upstream)"
    assert info.value.status == "RESOURCE_EXHAUSTED"
    assert info.value.status_code == 429
    assert len(server.seen) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("mode", MODES)
def test_error_status_without_code_chooses_the_class(
    server: Server, sleeps: list[float], mode: str
) -> None:
    error = {"error": {"message": "bad key (relay)", "status": "UNAUTHENTICATED"}}
    server.queue(_error_200(mode, error))
    with pytest.raises(GeminiAuthenticationError, match="bad key") as info:
        run(mode, _llm(server.url))
    assert info.value.status_code == 401
    assert len(server.seen) == 1  # a 401 is not retried
    assert sleeps == []


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream", "astream"])
def test_error_event_after_content_raises_never_retries(
    server: Server, sleeps: list[float], mode: str
) -> None:
    """invoke/ainvoke here stream under the hood (``streaming=True``)."""
    server.queue(sse(STREAM[0], QUOTA), ok(True))
    got: list[str] = []
    llm = _llm(server.url, **_under_the_hood(mode))
    with pytest.raises(GeminiRateLimitError, match="relay upstream"):
        run(mode, llm, got)
    first = STREAM[0]["candidates"][0]["content"]["parts"][0]["text"]
    assert "".join(got) == (first if _streams(mode) else "")
    assert len(server.seen) == 1
    assert sleeps == []


CDN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>api.cometapi.com | 502: Bad gateway"
    b"</title><style>" + b"body{margin:0}" * 200 + b"</style></head><body>"
    b"<h1>Bad gateway</h1>"
    + b"<p>Cloudflare Ray ID: 8f1e2d</p>" * 20
    + b"</body></html>"
)


@pytest.mark.parametrize("mode", MODES)
def test_html_error_page_is_condensed_to_its_title(
    server: Server, sleeps: list[float], mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(CDN_PAGE) > 3000
    page = http(502, CDN_PAGE, "text/html")
    server.queue(page, page)
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(GeminiServerError) as info,
    ):
        run(mode, _llm(server.url, max_retries=1))
    assert info.value.message == (
        f"api.cometapi.com | 502: Bad gateway (HTML page of {len(CDN_PAGE)} bytes, "
        "not shown)"
    )
    assert str(info.value).startswith("CometAPI Gemini error 502: ")
    (warning,) = [r.getMessage() for r in caplog.records if "Retrying" in r.message]
    assert "502: Bad gateway" in warning
    assert "<" not in warning
    assert len(warning) < 250
    assert len(server.seen) == 2


@pytest.mark.parametrize("mode", MODES)
def test_redirect_names_its_target(
    server: Server, sleeps: list[float], mode: str
) -> None:
    server.queue(http(307, b"", location="https://elsewhere.test/v1beta/x"))
    with pytest.raises(GeminiServerError) as info:
        run(mode, _llm(server.url))
    assert info.value.message == (
        "a redirect to https://elsewhere.test/v1beta/x, not followed: check base_url"
    )
    assert info.value.status_code == 307
    assert len(server.seen) == 1
    assert sleeps == []


# -- 2. streams as relays send them ----------------------------------------------

FRAMED = [
    pytest.param(sse(*STREAM, b"data: [DONE]\r\n\r\n"), id="done"),
    pytest.param(sse(*STREAM, b"data: [DONE]"), id="done-unterminated"),
    pytest.param(
        sse(
            b": keep-alive\r\n\r\n",
            b"event: message\r\nid: 7\r\nretry: 1000\r\nx-relay: 1\r\n",
            *STREAM,
        ),
        id="comments-and-fields",
    ),
    pytest.param(sse(*STREAM, prefix=b"\xef\xbb\xbf"), id="bom"),
    pytest.param(http(200, json.dumps(STREAM).encode()), id="json-array"),
    pytest.param(
        http(200, b"\xef\xbb\xbf\n" + json.dumps(STREAM, indent=1).encode()),
        id="json-array-bom",
    ),
]


@pytest.mark.parametrize("mode", MODES)
def test_stream_answered_with_one_json_object(
    server: Server, sleeps: list[float], mode: str
) -> None:
    server.queue(http(200, json.dumps(UNARY).encode()))
    assert run(mode, _llm(server.url, **_under_the_hood(mode))) == UNARY_TEXT
    assert len(server.seen) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("body", FRAMED)
def test_stream_forms_of_relays(
    server: Server, sleeps: list[float], mode: str, body: bytes
) -> None:
    """invoke/ainvoke stream under the hood here, to read the same bytes."""
    server.queue(body)
    text = run(mode, _llm(server.url, **_under_the_hood(mode)))
    assert text == STREAM_TEXT
    assert len(server.seen) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(sse(*STREAM)[:-40], id="sse-cut"),
        pytest.param(http(200, json.dumps(STREAM).encode()[:-40]), id="json-cut"),
    ],
)
def test_a_stream_cut_short_still_raises(
    server: Server, sleeps: list[float], mode: str, body: bytes
) -> None:
    # The content-length still promises the whole body: drop the connection.
    server.queue(body, ok(True))
    with pytest.raises(GeminiStreamError):
        run(mode, _llm(server.url, **_under_the_hood(mode)))
    assert len(server.seen) == 1
    assert sleeps == []


# -- 3. retry policy ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [408, 520, 521, 522, 523, 524])
def test_timeout_and_cdn_statuses_are_retried(
    server: Server, sleeps: list[float], mode: str, status: int
) -> None:
    server.queue(http(status, b"origin unreachable", "text/plain"), ok(_streams(mode)))
    assert run(mode, _llm(server.url)) == (
        STREAM_TEXT if _streams(mode) else UNARY_TEXT
    )
    assert len(server.seen) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_as_an_http_date(
    server: Server, sleeps: list[float], mode: str
) -> None:
    when = formatdate(time.time() + 30, usegmt=True)
    server.queue(http(503, b"busy", retry_after=when), ok(_streams(mode)))
    run(mode, _llm(server.url))
    assert len(sleeps) == 1
    assert 27.0 <= sleeps[0] <= 30.0  # the date has one-second precision
    assert len(server.seen) == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("timeout", "retry_after", "wait"),
    [(5.0, "30", 5.0), (None, "86400", 60.0), (90.0, "75", 60.0), (None, "7", 7.0)],
)
def test_the_wait_never_exceeds_the_callers_patience(
    server: Server,
    sleeps: list[float],
    mode: str,
    timeout: float | None,
    retry_after: str,
    wait: float,
) -> None:
    server.queue(_error_200(mode, **{"retry_after": retry_after}), ok(_streams(mode)))
    if _streams(mode):  # a stream's error event: the header of its 200
        server.script[0] = http(
            200,
            b"data: " + json.dumps(QUOTA).encode() + b"\r\n\r\n",
            "text/event-stream",
            retry_after=retry_after,
        )
    run(mode, _llm(server.url, timeout=timeout))
    assert sleeps == [wait]


# -- 4. auth as the relay documents it -----------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("auth_header", "name", "value"),
    [
        (None, "x-goog-api-key", KEY),
        ("x-goog-api-key", "x-goog-api-key", KEY),
        ("bearer", "authorization", f"Bearer {KEY}"),
        ("authorization", "authorization", KEY),
    ],
)
def test_auth_header_forms(
    server: Server, mode: str, auth_header: str | None, name: str, value: str
) -> None:
    server.queue(ok(_streams(mode)))
    run(mode, _llm(server.url, auth_header=auth_header))
    ((_, headers),) = server.seen
    carrying = [k for k, v in headers.items() if KEY in v]
    assert carrying == [name]
    assert headers[name] == value


# -- 5. the key stays home -------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("auth_header", ["x-goog-api-key", "bearer", "authorization"])
@pytest.mark.parametrize("status", [302, 307, 308])
def test_redirect_to_another_origin_never_gets_the_key(
    server: Server,
    other: Server,
    sleeps: list[float],
    mode: str,
    auth_header: str,
    status: int,
) -> None:
    """A user's clients that follow redirects: ours are not followed."""
    target = f"{other.url}/v1beta/models/gemini-2.5-flash:generateContent"
    server.queue(http(status, b"", location=target))
    other.queue(ok(_streams(mode)))
    llm = _llm(
        server.url,
        auth_header=auth_header,
        http_client=httpx.Client(follow_redirects=True),
        http_async_client=httpx.AsyncClient(follow_redirects=True),
    )
    with pytest.raises(GeminiServerError, match=r"a redirect to .* not followed"):
        run(mode, llm)
    assert other.seen == []
    ((_, headers),) = server.seen
    assert any(KEY in v for v in headers.values())


# -- 5b. media named by URL ---------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _ask(mode: str, llm: ChatCometGemini, *urls: str) -> Any:
    """The answer through ``mode`` to a message of images at ``urls``."""
    message = {"role": "user", "content": [{"type": "image", "url": u} for u in urls]}
    mode, llm = _transport(mode, llm)
    if mode == "invoke":
        return llm.invoke([message])
    if mode == "ainvoke":
        return asyncio.run(llm.ainvoke([message]))
    if mode == "stream":
        return list(llm.stream([message]))

    async def collect() -> list[Any]:
        return [c async for c in llm.astream([message])]

    return asyncio.run(collect())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "127.0.0.1"),
        ("[::1]", "::1"),
        ("169.254.169.254", "169.254.169.254"),
        ("10.1.2.3", "10.1.2.3"),
        ("[::ffff:192.168.0.1]", "192.168.0.1"),
        ("100.100.100.200", "100.100.100.200"),
    ],
)
def test_media_on_private_addresses_is_refused(
    server: Server, mode: str, host: str, address: str
) -> None:
    url = f"http://{host}:{server.url.rsplit(':', 1)[1]}/cat.png"
    with pytest.raises(ValueError, match="not a public address") as info:
        _ask(mode, _llm(server.url), url)
    assert f"resolves to {address}," in str(info.value)
    assert server.seen == []  # neither the media nor the model call was made


def _looks_public(monkeypatch: pytest.MonkeyPatch, public: Server) -> None:
    """Let ``public``'s loopback address pass the check as a public one would
    (the others are checked as they are): a first hop that passes, offline.
    The connection still goes to the address checked (issue 21's pinning)."""
    real = _client.check_addresses

    def check(url: str, host: str, addresses: Any) -> str:
        if httpx.URL(url).port == public.port:
            return "127.0.0.1"
        return real(url, host, addresses)

    monkeypatch.setattr(_client, "check_addresses", check)


@pytest.mark.parametrize("mode", MODES)
def test_each_redirect_hop_is_checked(
    server: Server, other: Server, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    _looks_public(monkeypatch, server)
    server.queue(http(302, b"", location=f"{other.url}/latest/meta-data/"))
    other.queue(http(200, PNG, "image/png"))
    with pytest.raises(ValueError, match=r"resolves to 127\.0\.0\.1, which is not"):
        _ask(mode, _llm(server.url), f"{server.url}/cat.png")
    assert [path for path, _ in server.seen] == ["/cat.png"]
    assert other.seen == []


@pytest.mark.parametrize("mode", MODES)
def test_allowed_private_media_follows_redirects_without_the_key(
    server: Server, other: Server, mode: str
) -> None:
    other.queue(http(301, b"", location="/moved.png"), http(200, PNG, "image/png"))
    server.queue(ok(_streams(mode)))
    llm = _llm(server.url, allow_private_media_urls=True, auth_header="bearer")
    _ask(mode, llm, f"{other.url}/cat.png")
    assert [path for path, _ in other.seen] == ["/cat.png", "/moved.png"]
    for _, headers in other.seen:
        assert not any(KEY in v for v in headers.values())
        assert "authorization" not in headers
    ((_, headers),) = server.seen
    assert headers["authorization"] == f"Bearer {KEY}"


def _endless(conn: socket.socket) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\nconnection: close\r\n\r\n"
    )
    piece = b"\0" * 65536
    while True:
        conn.sendall(piece)


@pytest.mark.parametrize("mode", MODES)
def test_media_reading_stops_past_the_inline_limit(server: Server, mode: str) -> None:
    """A body with no length that never ends: reading stops past 20 MB."""
    server.queue(_endless)
    start = time.monotonic()
    with pytest.raises(ValueError, match="larger than 20 MB"):
        _ask(mode, _llm(server.url, allow_private_media_urls=True), f"{server.url}/x")
    assert time.monotonic() - start < 20
    assert len(server.seen) == 1  # the model was never called


def test_media_declared_too_large_is_refused_unread(server: Server) -> None:
    server.queue(
        b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\n"
        b"content-length: 20000001\r\nconnection: close\r\n\r\n" + PNG
    )
    with pytest.raises(ValueError, match=r"larger than 20 MB \(20000001 bytes\)"):
        _ask("invoke", _llm(server.url, allow_private_media_urls=True), server.url)


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_media_download_has_a_deadline(server: Server, mode: str) -> None:
    def drip(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\n\r\n")
        for _ in range(100):
            conn.sendall(b"\0")
            time.sleep(0.05)

    server.queue(drip)
    llm = _llm(server.url, allow_private_media_urls=True, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(ValueError, match="too slow"):
        _ask(mode, llm, f"{server.url}/slow.png")
    assert time.monotonic() - start < 2
