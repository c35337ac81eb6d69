"""A hostile server on loopback (issue 21): nothing it sends gets through.

Each case is a server that means harm, or is broken in a way that would do
harm: a gzip bomb, a line that never ends, media that never stops, forty
large images, a host that resolves to one address when checked and to
another when connected (DNS rebinding). Each runs through the entry points
it concerns and asserts the package's own error, naming the limit and the
setting that raises it. Each case is bounded in time (``timeout`` marks);
memory bounds are checked in a child process under an address-space limit
(``RLIMIT_AS``), where going past a bound would be a ``MemoryError``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import zlib
from typing import Any

import pytest

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._errors import GeminiResponseError, GeminiStreamError
from tests.integration_tests.test_relay import (
    KEY,
    MODES,
    UNARY,
    UNARY_TEXT,
    Server,
    http,
    run,
    server,
    sse,
)

__all__ = ["server"]  # the fixture, used by name

pytestmark = pytest.mark.timeout(60)


def _llm(url: str, **kwargs: Any) -> ChatCometGemini:
    kwargs.setdefault("max_retries", 0)
    return ChatCometGemini(base_url=url, api_key=KEY, **kwargs)


def _bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about 1,000 to 1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    block = b"\0" * (1 << 20)
    out = [packer.compress(block) for _ in range(size >> 20)]
    return b"".join(out) + packer.flush()


# -- the decompressed size of an answer ---------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_bomb_is_stopped_at_max_response_bytes(
    server: Server, mode: str
) -> None:
    """64 MiB of zeros sent as 64 KiB of gzip; the model holds at most 1 MB."""
    bomb = _bomb(64 << 20)
    assert len(bomb) < 100_000
    ctype = "text/event-stream" if "stream" in mode else "application/json"
    server.queue(http(200, bomb, ctype, content_encoding="gzip"))
    llm = _llm(server.url, max_response_bytes=1_000_000)
    with pytest.raises(GeminiResponseError) as info:
        run(mode, llm)
    assert "max_response_bytes" in str(info.value)
    assert "1,000,000 bytes" in str(info.value)


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_a_gzip_error_body_is_bounded_too(server: Server, mode: str) -> None:
    server.queue(http(500, _bomb(32 << 20), content_encoding="gzip"))
    with pytest.raises(GeminiResponseError, match="max_response_bytes"):
        run(mode, _llm(server.url, max_response_bytes=1_000_000))


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_answer_under_the_limit_is_read(server: Server, mode: str) -> None:
    if "stream" in mode:
        body = b"".join(
            b"data: " + json.dumps(UNARY).encode() + b"\r\n\r\n" for _ in range(1)
        )
        server.queue(http(200, gzip.compress(body), "text/event-stream",
                          content_encoding="gzip"))  # fmt: skip
    else:
        body = json.dumps(UNARY).encode()
        server.queue(http(200, gzip.compress(body), content_encoding="gzip"))
    assert run(mode, _llm(server.url)) == UNARY_TEXT


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_a_stream_is_bounded_as_a_whole(server: Server, mode: str) -> None:
    """Many small events, each fine, together past max_response_bytes."""
    event = {"candidates": [{"content": {"parts": [{"text": "x" * 1000}]}}]}
    server.queue(sse(*[event] * 2000))  # about 2 MB
    got: list[str] = []
    with pytest.raises(GeminiResponseError, match="max_response_bytes"):
        run(mode, _llm(server.url, max_response_bytes=1_000_000), got)
    assert 0 < len("".join(got)) <= 1_000_000  # what came before was shown


# -- one line of a stream -----------------------------------------------------------


def _endless_line(conn: socket.socket) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"connection: close\r\n\r\ndata: "
    )
    piece = b"x" * 65536
    for _ in range(20_000):  # 1.3 GB at most, if nothing stopped reading
        conn.sendall(piece)


@pytest.mark.parametrize("mode", MODES)
def test_a_line_that_never_ends_is_stopped_at_max_event_bytes(
    server: Server, mode: str
) -> None:
    server.queue(_endless_line)
    llm = _llm(server.url, max_event_bytes=2_000_000, streaming=True)
    with pytest.raises(GeminiStreamError) as info:
        run(mode, llm)
    assert "max_event_bytes" in str(info.value)
    assert "2,000,000 bytes" in str(info.value)


# -- media: all of a call's downloads together ---------------------------------------


def _image(size: int) -> bytes:
    body = b"\x89PNG\r\n\x1a\n" + b"\0" * (size - 8)
    return http(200, body, "image/png")


def _ask_many(mode: str, llm: ChatCometGemini, urls: list[str]) -> Any:
    blocks = [{"type": "image", "url": url} for url in urls]
    message = {"role": "user", "content": blocks}
    if mode == "invoke":
        return llm.invoke([message])
    return asyncio.run(llm.ainvoke([message]))


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_media_bytes_are_counted_across_downloads_as_they_arrive(
    server: Server, mode: str
) -> None:
    """Forty 400 kB images, 1 MB allowed: the third stops the call (sync:
    the fourth is never asked for), before the model is called."""
    server.queue(*[_image(400_000)] * 40)
    urls = [f"{server.url}/{i}.png" for i in range(40)]
    llm = _llm(server.url, allow_private_media_urls=True, max_media_bytes=1_000_000)
    with pytest.raises(ValueError) as info:
        _ask_many(mode, llm, urls)
    text = str(info.value)
    assert "max_media_bytes=1,000,000" in text
    assert "with this request's other media" in text
    paths = [path for path, _ in server.seen]
    assert not any("generateContent" in path for path in paths)
    if mode == "invoke":
        assert len(paths) == 3


def test_media_within_the_budget_is_sent(server: Server) -> None:
    server.queue(
        _image(300_000), _image(300_000), http(200, json.dumps(UNARY).encode())
    )
    llm = _llm(server.url, allow_private_media_urls=True, max_media_bytes=1_000_000)
    answer = _ask_many("invoke", llm, [f"{server.url}/a.png", f"{server.url}/b.png"])
    assert answer.text == UNARY_TEXT


def test_the_declared_length_counts_against_what_is_left(server: Server) -> None:
    server.queue(_image(600_000), _image(600_000))
    llm = _llm(server.url, allow_private_media_urls=True, max_media_bytes=1_000_000)
    with pytest.raises(ValueError, match=r"\(600000 bytes\)"):
        _ask_many("invoke", llm, [f"{server.url}/a.png", f"{server.url}/b.png"])
