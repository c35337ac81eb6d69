"""Which way a request leaves: straight to our own pool, or through a client.

With a pool of its own, the package hands requests to the pool's transport and
skips httpx's client layer. That must not cost anything a user relies on:
clients passed in keep their hooks, proxies from the environment still apply,
and compressed answers are still decoded.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.raw_http import read_request

ANSWER = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "squeezed"}]},
            "finishReason": "STOP",
        }
    ]
}


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_a_given_client_keeps_its_event_hooks(
    emulator: GeminiEmulator, asynchronous: bool
) -> None:
    seen: list[str] = []

    def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    async def ahook(request: httpx.Request) -> None:
        hook(request)

    given: dict[str, object] = (
        {"http_async_client": httpx.AsyncClient(event_hooks={"request": [ahook]})}
        if asynchronous
        else {"http_client": httpx.Client(event_hooks={"request": [hook]})}
    )
    llm = ChatCometGemini(api_key="k", base_url=emulator.url, **given)  # type: ignore[arg-type]
    emulator.queue(Reply.text("hooked"), Reply.stream("hoo", "ked"))
    if asynchronous:
        assert (await llm.ainvoke("hi")).text == "hooked"
        assert "".join([c.text async for c in llm.astream("hi")]) == "hooked"
    else:
        assert llm.invoke("hi").text == "hooked"
        assert "".join(c.text for c in llm.stream("hi")) == "hooked"
    assert seen == [
        "/v1beta/models/gemini-2.5-flash:generateContent",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
    ]


class GzipServer:
    """Answers every POST with a gzip-compressed Gemini answer; notes headers."""

    def __init__(self) -> None:
        self.request_heads: list[bytes] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            with conn:
                head, _ = read_request(conn)
                self.request_heads.append(head.lower())
                payload = gzip.compress(json.dumps(ANSWER).encode())
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-encoding: gzip\r\nconnection: close\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(payload), payload)
                )

    def close(self) -> None:
        self._socket.close()


@pytest.fixture
def gzip_server() -> Iterator[GzipServer]:
    server = GzipServer()
    yield server
    server.close()


@pytest.mark.usefixtures("no_proxy_env")
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_compressed_answers_are_decoded(
    gzip_server: GzipServer, asynchronous: bool
) -> None:
    llm = ChatCometGemini(api_key="k", base_url=gzip_server.url)
    message = await llm.ainvoke("hi") if asynchronous else llm.invoke("hi")
    assert message.text == "squeezed"
    (head,) = gzip_server.request_heads
    assert b"accept-encoding: gzip, deflate" in head
    assert b"x-goog-api-key: k" in head


@pytest.mark.usefixtures("no_proxy_env")
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_proxy_from_the_environment_is_used(
    gzip_server: GzipServer, monkeypatch: pytest.MonkeyPatch, asynchronous: bool
) -> None:
    # The loopback server stands in for the proxy: it gets the absolute URL.
    monkeypatch.setenv("HTTP_PROXY", gzip_server.url)
    with pytest.warns(UserWarning, match="plain http"):
        llm = ChatCometGemini(api_key="k", base_url="http://gemini.invalid")
    message = await llm.ainvoke("hi") if asynchronous else llm.invoke("hi")
    assert message.text == "squeezed"
    (head,) = gzip_server.request_heads
    assert head.startswith(b"post http://gemini.invalid/v1beta/models/")
