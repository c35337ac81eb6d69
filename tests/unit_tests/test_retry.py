"""The retry policy alone (no I/O), and the drivers' support for stream peeking.

The policy is a generator of commands; these tests run it by hand. The last
tests give the HTTP layer a policy that peeks at stream events before letting
them through (what an error event in a stream will need) and check that both
stream drivers hold events back, retry, and deliver as told.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from langchain_cometgemini import ChatCometGemini, GeminiRateLimitError
from langchain_cometgemini._retry import DELIVER, PEEK, SEND, Flow, RetryPolicy
from langchain_cometgemini.testing import GeminiEmulator, Reply

URL = "https://api.cometapi.test/v1beta/models/m:generateContent"


def _no_wait(attempt: int, error: object) -> float:
    return 0.25 * (attempt + 1)


def test_unary_flow_retries_then_returns_the_answer() -> None:
    flow = RetryPolicy(2, _no_wait).flow(URL, streaming=False)
    assert next(flow) is SEND
    assert flow.send(httpx.Response(503, json={"error": {"message": "busy"}})) == 0.25
    assert next(flow) is SEND
    assert flow.send(httpx.ConnectError("refused")) == 0.5
    assert next(flow) is SEND
    with pytest.raises(StopIteration) as done:
        flow.send(httpx.Response(200, json={"candidates": []}))
    assert done.value.value == {"candidates": []}


def test_flow_raises_the_last_error_when_the_budget_is_spent() -> None:
    flow = RetryPolicy(0, _no_wait).flow(URL, streaming=True)
    next(flow)
    with pytest.raises(GeminiRateLimitError, match="quota"):
        flow.send(httpx.Response(429, json={"error": {"message": "quota"}}))


def test_stream_flow_delivers_a_200_after_its_first_event() -> None:
    flow = RetryPolicy(2, _no_wait).flow(URL, streaming=True)
    next(flow)
    assert flow.send(httpx.Response(200, content=b"")) is PEEK
    assert flow.send({"candidates": []}) is DELIVER


class PeekingPolicy(RetryPolicy):
    """Refuses a stream whose first event says ``retry``; peeks at every event."""

    def flow(self, url: str, *, streaming: bool) -> Flow:
        outcome = yield SEND
        assert isinstance(outcome, httpx.Response)
        event = yield PEEK
        if event is not None and event.get("retry"):
            yield 0.0
            yield SEND
        yield PEEK  # look at one more, then let everything through
        yield DELIVER


def _peeking_model(emulator: GeminiEmulator) -> ChatCometGemini:
    llm = ChatCometGemini(api_key="k", base_url=emulator.url)
    llm.http.policy = PeekingPolicy(1)
    return llm


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_drivers_hold_peeked_events_and_retry(
    emulator: GeminiEmulator, asynchronous: bool
) -> None:
    emulator.queue(
        Reply(events=[{"retry": True}, {"never": "seen"}]),
        Reply.stream("one ", "two ", "three"),
    )
    llm = _peeking_model(emulator)

    async def collect() -> list[Any]:
        return [chunk async for chunk in llm.astream("hi")]

    chunks = asyncio.run(collect()) if asynchronous else list(llm.stream("hi"))
    assert "".join(str(c.content) for c in chunks) == "one two three"
    assert len(emulator.requests) == 2
