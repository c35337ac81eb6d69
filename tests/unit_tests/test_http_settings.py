"""The HTTP layer follows the model's settings, and closes what it replaces.

The layer (``llm.http``: URL, headers, retry budget, pools) is cached on the
model. A copy with other settings, or a setting changed after construction,
must reach the wire; copies with the same settings share one pool. Each case
sends to two loopback emulators and checks which one got what.
"""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from collections.abc import Iterator

import httpx
import pytest
from langchain_core.runnables import ConfigurableField

from langchain_cometgemini import (
    ChatCometGemini,
    GeminiServerError,
    GeminiTimeoutError,
)
from langchain_cometgemini.testing import GeminiEmulator, Reply


@pytest.fixture
def emulator() -> Iterator[GeminiEmulator]:
    """A server per test, overriding the suite's module-wide one: these tests
    count the connections a server holds, and a shared server still holds the
    kept-alive connections of earlier tests."""
    with GeminiEmulator() as emu:
        yield emu


@pytest.fixture
def other() -> Iterator[GeminiEmulator]:
    """A second emulator: where a changed setting should send."""
    with GeminiEmulator() as emu:
        yield emu


def _llm(emulator: GeminiEmulator, **kwargs: object) -> ChatCometGemini:
    kwargs.setdefault("api_key", "key-one")
    return ChatCometGemini(base_url=emulator.url, **kwargs)  # type: ignore[arg-type]


def test_copy_with_another_base_url_sends_there(
    emulator: GeminiEmulator, other: GeminiEmulator
) -> None:
    llm = _llm(emulator)
    llm.invoke("warm up")  # the layer exists before the copy is made
    copy = llm.model_copy(update={"base_url": other.url})
    assert copy.invoke("to the other").text
    assert llm.invoke("to the first").text
    assert [r.last_user_text for r in other.requests] == ["to the other"]
    assert [r.last_user_text for r in emulator.requests] == ["warm up", "to the first"]


def test_assigned_base_url_takes_effect(
    emulator: GeminiEmulator, other: GeminiEmulator
) -> None:
    llm = _llm(emulator)
    llm.invoke("first")
    llm.base_url = other.url
    list(llm.stream("second"))
    assert len(emulator.requests) == 1
    assert [r.last_user_text for r in other.requests] == ["second"]


async def test_configurable_base_url_sends_to_the_configured_one(
    emulator: GeminiEmulator, other: GeminiEmulator
) -> None:
    llm = _llm(emulator).configurable_fields(base_url=ConfigurableField(id="base_url"))
    configured = llm.with_config(configurable={"base_url": other.url})
    await configured.ainvoke("configured")
    llm.invoke("default")
    assert [r.last_user_text for r in other.requests] == ["configured"]
    assert [r.last_user_text for r in emulator.requests] == ["default"]


def test_copy_with_another_key_sends_that_key(emulator: GeminiEmulator) -> None:
    llm = _llm(emulator)
    llm.invoke("a")
    llm.model_copy(update={"api_key": "key-two"}).invoke("b")
    llm.invoke("c")
    keys = [r.headers["x-goog-api-key"] for r in emulator.requests]
    assert keys == ["key-one", "key-two", "key-one"]


def test_default_headers_copied_or_changed_in_place(emulator: GeminiEmulator) -> None:
    llm = _llm(emulator, default_headers={"x-team": "red"})
    llm.invoke("a")
    llm.model_copy(update={"default_headers": {"x-team": "blue"}}).invoke("b")
    assert llm.default_headers is not None
    llm.default_headers["x-team"] = "green"  # the same dict, changed in place
    llm.invoke("c")
    teams = [r.headers["x-team"] for r in emulator.requests]
    assert teams == ["red", "blue", "green"]


def test_copy_with_a_shorter_timeout_times_out(emulator: GeminiEmulator) -> None:
    llm = _llm(emulator, max_retries=0)
    llm.invoke("warm up")
    emulator.queue(Reply.text("late").delayed(1.0))
    start = time.monotonic()
    with pytest.raises(GeminiTimeoutError):
        llm.model_copy(update={"timeout": 0.2}).invoke("hurry")
    assert time.monotonic() - start < 0.9
    emulator.queue(Reply.text("late but fine").delayed(0.4))
    assert llm.invoke("no hurry").text == "late but fine"  # the original: 120 s


def test_copy_with_other_max_retries_retries_that_often(
    emulator: GeminiEmulator,
) -> None:
    llm = _llm(emulator, max_retries=2)
    llm.invoke("warm up")
    emulator.reset()
    emulator.queue(Reply.error(503, "busy", retry_after=0))
    with pytest.raises(GeminiServerError, match="busy"):
        llm.model_copy(update={"max_retries": 0}).invoke("once")
    assert len(emulator.requests) == 1
    assert llm.http.max_retries == 2
    emulator.queue(Reply.error(503, "busy", retry_after=0), Reply.text("ok"))
    assert llm.invoke("twice").text == "ok"
    assert len(emulator.requests) == 3


def test_clients_assigned_after_construction_are_used(
    emulator: GeminiEmulator,
) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        return httpx.Response(
            200,
            json={
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": "mocked"}]},
                        "finishReason": "STOP",
                    }
                ]
            },
        )

    llm = _llm(emulator)
    llm.invoke("real")
    transport = httpx.MockTransport(answer)
    llm.http_client = httpx.Client(transport=transport)
    llm.http_async_client = httpx.AsyncClient(transport=transport)
    assert llm.invoke("sync").text == "mocked"
    assert asyncio.run(llm.ainvoke("async")).text == "mocked"
    assert seen == ["127.0.0.1", "127.0.0.1"]
    assert len(emulator.requests) == 1


def test_copies_with_the_same_settings_share_one_pool(
    emulator: GeminiEmulator,
) -> None:
    llm = _llm(emulator)
    llm.invoke("a")
    same = llm.model_copy(update={"temperature": 0.5})
    same.invoke("b")
    assert same.http is llm.http
    assert emulator.open_connections == 1
    different = llm.model_copy(update={"max_retries": 5})
    assert different.http is not llm.http
    assert llm.http is same.http  # the original keeps its own layer


def test_async_client_of_a_finished_loop_is_closed(emulator: GeminiEmulator) -> None:
    """``asyncio.run`` twice: the first loop's client is closed on that loop as
    it shuts down, before the second loop replaces it; no socket is left to
    the garbage collector (which would warn ``ResourceWarning``)."""
    llm = _llm(emulator)

    async def call() -> httpx.AsyncClient:
        await llm.ainvoke("hi")
        return llm.http.async_client()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = asyncio.run(call())
        assert first.is_closed
        assert emulator.wait_for(lambda: emulator.open_connections == 0)
        second = asyncio.run(call())
        assert second is not first
        assert second.is_closed
        gc.collect()
    assert len(emulator.requests) == 2
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_async_client_outlives_one_call_in_a_running_loop(
    emulator: GeminiEmulator,
) -> None:
    """The closing waits for the loop's shutdown, not for the call's end."""
    llm = _llm(emulator)

    async def calls() -> tuple[bool, int]:
        await llm.ainvoke("a")
        client = llm.http.async_client()
        await llm.ainvoke("b")
        return client.is_closed, emulator.open_connections

    assert asyncio.run(calls()) == (False, 1)
