"""Which way a request leaves: straight to our own pool, or through a client.

With a pool of its own, the package hands requests to the pool's transport and
skips httpx's client layer. That must not cost anything a user relies on:
clients passed in keep their hooks, proxies from the environment still apply,
and compressed answers are still decoded.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import httpx
import pytest

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.raw_http import CannedServer

ANSWER = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "squeezed"}]},
            "finishReason": "STOP",
        }
    ]
}


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


@pytest.fixture
def gzip_server() -> Iterator[CannedServer]:
    """Answers every POST with a gzip-compressed Gemini answer."""
    server = CannedServer(gzip.compress(json.dumps(ANSWER).encode()), "gzip")
    yield server
    server.close()


@pytest.mark.usefixtures("no_proxy_env")
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_compressed_answers_are_decoded(
    gzip_server: CannedServer, asynchronous: bool
) -> None:
    llm = ChatCometGemini(api_key="k", base_url=gzip_server.url)
    message = await llm.ainvoke("hi") if asynchronous else llm.invoke("hi")
    assert message.text == "squeezed"
    (head,) = gzip_server.heads
    assert b"accept-encoding: gzip, deflate" in head
    assert b"x-goog-api-key: k" in head


@pytest.mark.usefixtures("no_proxy_env")
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_proxy_from_the_environment_is_used(
    gzip_server: CannedServer, monkeypatch: pytest.MonkeyPatch, asynchronous: bool
) -> None:
    # The loopback server stands in for the proxy: it gets the absolute URL.
    monkeypatch.setenv("HTTP_PROXY", gzip_server.url)
    with pytest.warns(UserWarning, match="plain http"):
        llm = ChatCometGemini(api_key="k", base_url="http://gemini.invalid")
    message = await llm.ainvoke("hi") if asynchronous else llm.invoke("hi")
    assert message.text == "squeezed"
    (head,) = gzip_server.heads
    assert head.startswith(b"post http://gemini.invalid/v1beta/models/")
