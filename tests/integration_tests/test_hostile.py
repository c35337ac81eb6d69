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

import gzip
import json
import os
import socket
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_cometgemini import ChatCometGemini, _client
from langchain_cometgemini._errors import GeminiResponseError, GeminiStreamError
from langchain_cometgemini._media_guard import pinned
from tests.integration_tests.test_relay import (
    KEY,
    MODES,
    UNARY,
    UNARY_TEXT,
    Server,
    _ask,
    http,
    run,
    server,
    sse,
)

__all__ = ["server"]  # the fixture, used by name

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]


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
        _ask(mode, llm, *urls)
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
    answer = _ask("invoke", llm, f"{server.url}/a.png", f"{server.url}/b.png")
    assert answer.text == UNARY_TEXT


def test_the_declared_length_counts_against_what_is_left(server: Server) -> None:
    server.queue(_image(600_000), _image(600_000))
    llm = _llm(server.url, allow_private_media_urls=True, max_media_bytes=1_000_000)
    with pytest.raises(ValueError, match=r"\(600000 bytes\)"):
        _ask("invoke", llm, f"{server.url}/a.png", f"{server.url}/b.png")


# -- the checked address is the connected address (DNS rebinding) -------------------


def _pair(good: bytes, evil: bytes) -> tuple[Server, Server]:
    """Scripted servers on 127.0.0.2 and 127.0.0.1, on one port (one that is
    free on both addresses: tried again until it is)."""
    for _ in range(50):
        first = Server("127.0.0.2", 0)
        try:
            second = Server("127.0.0.1", first.port)
        except OSError:  # the port is taken on 127.0.0.1: another one
            first._sock.close()
            continue
        first.queue(good)
        second.queue(evil)
        return first, second
    raise AssertionError("no port free on both 127.0.0.1 and 127.0.0.2")


def _hosts(made: Server) -> list[str]:
    """The Host header of each request ``made`` got."""
    return [headers.get("host", "") for _, headers in made.seen]


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, Server]]:
    """``rebind.test`` resolves to 127.0.0.2 the first time it is looked up
    (the address the check accepts) and to 127.0.0.1 after that (where the
    attacker's server listens, on the same port)."""
    good, evil = _pair(_image(100), _image(100))
    lookups: dict[str, int] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not str(host).endswith(".test"):
            return real(host, port, *args, **kwargs)
        lookups[host] = lookups.get(host, 0) + 1
        ip = "127.0.0.2" if lookups[host] == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port or 80)))]

    def checked(url: str, host: str, addresses: Any) -> str:
        # The policy, with 127.0.0.2 standing for a public address.
        listed = list(addresses)
        if listed != ["127.0.0.2"]:
            raise ValueError(f"Refusing to download media from {url}: {listed}")
        return listed[0]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(_client, "check_addresses", checked)
    yield good, evil
    good._sock.close()
    evil._sock.close()


@pytest.mark.allow_hosts(["127.0.0.1", "127.0.0.2"])
@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_dns_rebinding_reaches_only_the_checked_address(
    rebinding: tuple[Server, Server], server: Server, mode: str
) -> None:
    good, evil = rebinding
    server.queue(http(200, json.dumps(UNARY).encode()))
    url = f"http://rebind.test:{good.port}/a.png"
    assert _ask(mode, _llm(server.url), url).text == UNARY_TEXT
    assert evil.seen == []  # the attacker's address was never reached
    assert _hosts(good) == [f"rebind.test:{good.port}"]  # the name kept for Host


@pytest.mark.allow_hosts(["127.0.0.1", "127.0.0.2"])
@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
def test_every_redirect_hop_is_pinned(
    rebinding: tuple[Server, Server], server: Server, mode: str
) -> None:
    good, evil = rebinding
    moved = http(302, b"", location=f"http://second.test:{good.port}/b.png")
    hop, evil_hop = _pair(moved, http(302, b"", location=server.url))
    server.queue(http(200, json.dumps(UNARY).encode()))
    url = f"http://first.test:{hop.port}/a.png"
    assert _ask(mode, _llm(server.url), url).text == UNARY_TEXT
    assert (_hosts(hop), evil_hop.seen) == ([f"first.test:{hop.port}"], [])
    assert (_hosts(good), evil.seen) == ([f"second.test:{good.port}"], [])
    hop._sock.close()
    evil_hop._sock.close()


def test_https_keeps_the_host_name_for_tls() -> None:
    target, headers, extensions = pinned("https://media.example/a.png", "93.184.216.34")
    assert str(target) == "https://93.184.216.34/a.png"
    assert headers == {"host": "media.example"}
    assert extensions == {"sni_hostname": "media.example"}
    v6, headers6, _ = pinned("http://media.example:8080/x", "2606:2800:220:1::1")
    assert v6.host == "2606:2800:220:1::1"
    assert str(v6).startswith("http://[2606:2800:220:1::1]:8080/")
    assert headers6 == {"host": "media.example:8080"}


# -- memory bounds, in a child process under an address-space limit ------------------

_CHILD = """
import json, resource, sys
from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._response import StreamState, parse_event

case, url, headroom = sys.argv[1], sys.argv[2], int(sys.argv[3])
llm = ChatCometGemini(base_url=url, api_key="k", max_retries=0,
                      allow_private_media_urls=True, **json.loads(sys.argv[4]))
index = '$.items[' + '1' + '0' * 15 + ']'
event = {"candidates": [{"content": {"parts": [
    {"functionCall": {"name": "f", "willContinue": True}},
    {"functionCall": {"willContinue": True, "partialArgs": [
        {"jsonPath": index, "numberValue": 1}]}}]}}]}
image = {"type": "image", "url": url + "/x.png"}
steps = {
    "unary": lambda: llm.invoke("hi"),
    "stream": lambda: list(llm.stream("hi")),
    "media": lambda: llm.invoke([{"role": "user", "content": [
        dict(image, url=f"{url}/{i}.png") for i in range(40)]}]),
    "index": lambda: parse_event(event, StreamState(model="m")),
}
with open("/proc/self/status") as status:
    size = next(int(l.split()[1]) for l in status if l.startswith("VmSize")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + headroom, size + headroom))
try:
    steps[case]()
    print("OK")
except MemoryError:
    print("MemoryError")
except Exception as exc:
    print(f"{type(exc).__name__}: {str(exc)[:300]}")
"""
HEADROOM = 300 << 20  # the child may grow by this much past its start


def _in_child(case: str, url: str, **settings: Any) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, case, url, str(HEADROOM), json.dumps(settings)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def _stream_of(conn: socket.socket, body: bytes, ctype: str) -> None:
    conn.sendall(
        f"HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\ncontent-encoding: gzip\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
    )
    conn.sendall(body)


@pytest.fixture(scope="module")
def gigabyte_bomb() -> bytes:
    """1 GiB of zeros as about 1 MB of gzip (made once for the module)."""
    return _bomb(1 << 30)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", ["unary", "stream"])
def test_a_gigabyte_bomb_stays_within_memory(
    server: Server, gigabyte_bomb: bytes, case: str
) -> None:
    """1 GiB decompressed, 300 MB of headroom: the default limits hold it
    (max_response_bytes lowered to 64 MiB, as a deployment on a small box
    would, so that the whole path fits the headroom twice over)."""
    ctype = "text/event-stream" if case == "stream" else "application/json"
    server.queue(lambda conn: _stream_of(conn, gigabyte_bomb, ctype))
    said = _in_child(case, server.url, max_response_bytes=64 << 20)
    assert said.startswith("GeminiResponseError"), said
    assert "max_response_bytes" in said


@pytest.mark.timeout(120)
def test_a_line_that_never_ends_stays_within_memory(server: Server) -> None:
    """1.3 GB of one line, default max_event_bytes (64 MiB)."""
    server.queue(_endless_line)
    said = _in_child("stream", server.url)
    assert said.startswith("GeminiStreamError"), said
    assert "max_event_bytes" in said


@pytest.mark.timeout(120)
def test_forty_large_images_stay_within_memory(server: Server) -> None:
    """Forty 19 MB images (760 MB), default max_media_bytes (20 MB)."""
    server.queue(*[_image(19_000_000)] * 40)
    said = _in_child("media", server.url)
    assert said.startswith("ValueError"), said
    assert "max_media_bytes" in said
    assert len(server.seen) == 2  # the second download stopped the call


@pytest.mark.timeout(60)
def test_a_huge_index_stays_within_memory(server: Server) -> None:
    said = _in_child("index", server.url)
    assert said.startswith("GeminiStreamError"), said
    assert "max_call_pieces" in said
