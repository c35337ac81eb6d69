"""The package's own pools: one async client per event loop, and their closing.

A model shared by threads that each run their own event loop; ``close`` /
``aclose`` and the sync and async context managers; pools closed when the
model is garbage-collected. Every test turns a ``ResourceWarning`` (a socket
left open) into a failure, on both async transports.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")

KEY = "sk-lifecycle-test-key-0815"


@pytest.fixture(params=["httpx", "aiohttp"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "aiohttp":
        pytest.importorskip("aiohttp")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return str(request.param)


def _llm(emulator: GeminiEmulator, transport: str, **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(
        api_key=KEY, base_url=emulator.url, async_transport=transport, **kwargs
    )


async def _until_closed(client: httpx.AsyncClient) -> bool:
    """Let the loop run until ``client`` is closed (a closing it was given)."""
    for _ in range(1000):
        if client.is_closed:
            return True
        await asyncio.sleep(0.01)
    return client.is_closed


@pytest.fixture
def no_resource_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Warnings raised in finalizers (``__del__``) are recorded, then checked.

    Garbage of earlier tests is collected first: only this test's counts.
    """
    gc.collect()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        yield seen
        gc.collect()
    leaked = [w for w in seen if issubclass(w.category, ResourceWarning)]
    assert not leaked, [str(w.message) for w in leaked]


def test_threads_with_their_own_loops_share_one_model(
    emulator: GeminiEmulator, transport: str, no_resource_warnings: Any
) -> None:
    """Eight threads, each ``asyncio.run``-ning calls at once: one client each."""
    llm = _llm(emulator, transport)
    clients: list[httpx.AsyncClient] = []
    barrier = threading.Barrier(8)

    async def calls() -> list[str]:
        barrier.wait()  # every thread's loop is up before any call
        answers = await asyncio.gather(*(llm.ainvoke(f"q{i}") for i in range(5)))
        clients.append(llm.http.async_client())
        return [str(answer.content) for answer in answers]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: asyncio.run(calls()), range(8)))

    assert all(len(answers) == 5 and all(answers) for answers in results)
    assert len(emulator.requests) == 40
    assert len({id(client) for client in clients}) == 8  # a client per loop
    assert all(client.is_closed for client in clients)  # each closed with its loop
    assert llm.http.pools._loops == {}


def test_close_reaches_loops_running_in_other_threads(
    emulator: GeminiEmulator, transport: str, no_resource_warnings: Any
) -> None:
    """``close()`` from the main thread closes each client on its own loop."""
    llm = _llm(emulator, transport)
    loops = [asyncio.new_event_loop() for _ in range(3)]
    threads = [threading.Thread(target=loop.run_forever) for loop in loops]
    for thread in threads:
        thread.start()

    async def call() -> httpx.AsyncClient:
        await llm.ainvoke("hi")
        return llm.http.async_client()

    try:
        clients = [
            asyncio.run_coroutine_threadsafe(call(), loop).result(30) for loop in loops
        ]
        assert len(set(map(id, clients))) == 3
        llm.close()
        for loop, client in zip(loops, clients, strict=True):
            # The closing was scheduled on the client's own loop.
            closed = asyncio.run_coroutine_threadsafe(_until_closed(client), loop)
            assert closed.result(30)
        # Still usable afterwards: a new client on the same loop.
        again = asyncio.run_coroutine_threadsafe(call(), loops[0]).result(30)
        assert again is not clients[0] and not again.is_closed
        llm.close()
        closed = asyncio.run_coroutine_threadsafe(_until_closed(again), loops[0])
        assert closed.result(30)
    finally:
        for loop, thread in zip(loops, threads, strict=True):
            loop.call_soon_threadsafe(loop.stop)
            thread.join(30)
            loop.close()


def test_close_closes_own_pools_and_reopens(
    emulator: GeminiEmulator, transport: str, no_resource_warnings: Any
) -> None:
    llm = _llm(emulator, transport)
    llm.invoke("a")
    sync = llm.http.sync_client()
    loop = asyncio.new_event_loop()
    try:

        async def call() -> httpx.AsyncClient:
            await llm.ainvoke("b")
            return llm.http.async_client()

        aclient = loop.run_until_complete(call())
        llm.close()  # the loop is at rest: it is run to close its client
        assert sync.is_closed and aclient.is_closed
        assert llm.invoke("c").content  # a new pool
        assert llm.http.sync_client() is not sync
        llm.close()
    finally:
        loop.close()


async def test_aclose_closes_this_loops_client_before_returning(
    emulator: GeminiEmulator, transport: str, no_resource_warnings: Any
) -> None:
    llm = _llm(emulator, transport)
    await llm.ainvoke("a")
    client = llm.http.async_client()
    await llm.aclose()
    assert client.is_closed
    await llm.ainvoke("b")
    assert llm.http.async_client() is not client
    await llm.aclose()


def test_sync_context_manager(
    emulator: GeminiEmulator, transport: str, no_resource_warnings: Any
) -> None:
    with _llm(emulator, transport) as llm:
        assert llm.invoke("hi").content
        client = llm.http.sync_client()
    assert client.is_closed


async def test_async_context_manager(
    emulator: GeminiEmulator, transport: str, no_resource_warnings: Any
) -> None:
    async with _llm(emulator, transport) as llm:
        assert (await llm.ainvoke("hi")).content
        client = llm.http.async_client()
    assert client.is_closed


def test_clients_given_are_never_closed(emulator: GeminiEmulator) -> None:
    given = httpx.Client()
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, http_client=given)
    with llm:
        llm.invoke("hi")
    assert not given.is_closed
    given.close()

    async def scoped() -> None:
        agiven = httpx.AsyncClient()
        model = ChatCometGemini(
            api_key=KEY, base_url=emulator.url, http_async_client=agiven
        )
        async with model:
            await model.ainvoke("hi")
        assert not agiven.is_closed
        await agiven.aclose()

    asyncio.run(scoped())


def test_pools_closed_when_the_model_is_collected(
    emulator: GeminiEmulator, transport: str, no_resource_warnings: Any
) -> None:
    llm = _llm(emulator, transport)
    llm.invoke("a")
    sync = llm.http.sync_client()

    async def use_and_drop() -> httpx.AsyncClient:
        model = _llm(emulator, transport)
        await model.ainvoke("b")
        client = model.http.async_client()
        del model
        gc.collect()
        assert await _until_closed(client)  # a task on this loop, before its end
        return client

    aclient = asyncio.run(use_and_drop())
    del llm
    gc.collect()
    assert sync.is_closed and aclient.is_closed


def test_aiohttp_asked_for_but_missing_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from langchain_cometgemini import _transport

    monkeypatch.setattr(_transport, "aiohttp_installed", lambda: False)
    with pytest.raises(ImportError, match=r"langchain-cometgemini\[aiohttp\]"):
        ChatCometGemini(api_key=KEY, async_transport="aiohttp")
    # "auto" falls back to httpx's pool, in shards.
    llm = ChatCometGemini(api_key=KEY)
    assert _transport.resolve_transport(llm.async_transport) == "httpx"
