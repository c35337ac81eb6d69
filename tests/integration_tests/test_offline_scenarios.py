"""End-to-end LangChain scenarios over the loopback Gemini emulator (no network)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.rate_limiters import InMemoryRateLimiter
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, RecordedRequest, Reply


def make_llm(emu: GeminiEmulator, **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(base_url=emu.url, api_key="test", **kwargs)


def test_prompt_model_parser_chain(gemini_emulator: GeminiEmulator) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You translate to {language}."), ("human", "{text}")]
    )
    chain = prompt | make_llm(gemini_emulator) | StrOutputParser()
    gemini_emulator.queue(Reply.text("J'adore programmer."))

    assert chain.invoke({"language": "French", "text": "I love coding"}) == (
        "J'adore programmer."
    )
    body = gemini_emulator.last_request.body
    assert body["systemInstruction"]["parts"] == [{"text": "You translate to French."}]
    assert body["contents"] == [{"role": "user", "parts": [{"text": "I love coding"}]}]


class TokenCollector(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_streaming_callback_receives_every_token(
    gemini_emulator: GeminiEmulator,
) -> None:
    gemini_emulator.queue(Reply.stream("The ", "quick ", "brown ", "fox."))
    handler = TokenCollector()
    llm = make_llm(gemini_emulator, streaming=True, callbacks=[handler])

    message = llm.invoke("Tell me about the fox")

    assert message.content == "The quick brown fox."
    assert [t for t in handler.tokens if t] == ["The ", "quick ", "brown ", "fox."]
    assert gemini_emulator.last_request.streaming


async def test_astream_events_v2_reports_model_events(
    gemini_emulator: GeminiEmulator,
) -> None:
    gemini_emulator.queue(Reply.stream("one ", "two ", "three"))
    llm = make_llm(gemini_emulator)

    kinds: list[str] = []
    streamed = ""
    async for event in llm.astream_events("count", version="v2"):
        kinds.append(event["event"])
        if event["event"] == "on_chat_model_stream":
            streamed += event["data"]["chunk"].text
        if event["event"] == "on_chat_model_end":
            final = event["data"]["output"]

    assert kinds[0] == "on_chat_model_start"
    assert kinds[-1] == "on_chat_model_end"
    assert kinds.count("on_chat_model_stream") >= 3
    assert streamed == "one two three"
    assert final.text == "one two three"
    assert final.usage_metadata["total_tokens"] > 0


def test_batch_respects_max_concurrency(gemini_emulator: GeminiEmulator) -> None:
    def slow_echo(request: RecordedRequest) -> Reply:
        return Reply.text(f"re: {request.last_user_text}").delayed(0.15)

    gemini_emulator.respond_with(slow_echo)
    llm = make_llm(gemini_emulator)
    prompts = [f"question {i}" for i in range(6)]

    answers = llm.batch(prompts, config={"max_concurrency": 2})

    assert [a.content for a in answers] == [f"re: {p}" for p in prompts]
    assert len(gemini_emulator.requests) == 6
    assert gemini_emulator.max_in_flight == 2


async def test_abatch_without_limit_runs_in_parallel(
    gemini_emulator: GeminiEmulator,
) -> None:
    gemini_emulator.respond_with(lambda r: Reply.text("ok").delayed(0.15))
    llm = make_llm(gemini_emulator)

    await llm.abatch(["a", "b", "c", "d"])

    assert gemini_emulator.max_in_flight > 2


def test_in_memory_rate_limiter_is_consulted(gemini_emulator: GeminiEmulator) -> None:
    limiter = InMemoryRateLimiter(
        requests_per_second=50, check_every_n_seconds=0.01, max_bucket_size=1
    )
    calls = 0
    original = limiter.acquire

    def counting_acquire(*, blocking: bool = True) -> bool:
        nonlocal calls
        calls += 1
        return original(blocking=blocking)

    limiter.acquire = counting_acquire  # type: ignore[method-assign]
    llm = make_llm(gemini_emulator, rate_limiter=limiter)

    for i in range(3):
        assert llm.invoke(f"hi {i}").content == f"Echo: hi {i}"

    assert calls == 3
    assert len(gemini_emulator.requests) == 3


@tool
def lookup_city(person: str) -> str:
    """Which city a person lives in."""
    return "Lisbon"


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"21 C and sunny in {city}"


def test_three_step_tool_agent(gemini_emulator: GeminiEmulator) -> None:
    gemini_emulator.queue(
        Reply.tool_call("lookup_city", {"person": "Ana"}),
        Reply.tool_call("get_weather", {"city": "Lisbon"}),
        Reply.text("Ana is in Lisbon, where it is 21 C and sunny."),
    )
    agent = create_agent(make_llm(gemini_emulator), tools=[lookup_city, get_weather])

    result = agent.invoke({"messages": [("user", "What's the weather where Ana is?")]})

    messages = result["messages"]
    tool_results = [m.content for m in messages if isinstance(m, ToolMessage)]
    assert tool_results == ["Lisbon", "21 C and sunny in Lisbon"]
    assert messages[-1].content == "Ana is in Lisbon, where it is 21 C and sunny."
    assert len(gemini_emulator.requests) == 3
    # The third request carries both calls, each with its thought signature,
    # and both function responses.
    history = gemini_emulator.requests[2].body["contents"]
    calls = [p for t in history for p in t["parts"] if "functionCall" in p]
    assert [c["functionCall"]["name"] for c in calls] == ["lookup_city", "get_weather"]
    assert all("thoughtSignature" in c for c in calls)
    responses = [p for t in history for p in t["parts"] if "functionResponse" in p]
    assert [r["functionResponse"]["name"] for r in responses] == [
        "lookup_city",
        "get_weather",
    ]


def test_agent_with_default_responder_terminates(
    gemini_emulator: GeminiEmulator,
) -> None:
    agent = create_agent(make_llm(gemini_emulator), tools=[get_weather])

    result = agent.invoke({"messages": [("user", "Weather in Oslo?")]})

    assert len(gemini_emulator.requests) == 2
    assert isinstance(result["messages"][-1], AIMessage)
    assert result["messages"][-1].content.startswith("Done: get_weather returned")


class Movie(BaseModel):
    title: str
    year: int


def test_structured_output(gemini_emulator: GeminiEmulator) -> None:
    gemini_emulator.queue(Reply.text('{"title": "Alien", "year": 1979}'))
    llm = make_llm(gemini_emulator).with_structured_output(Movie)

    movie = llm.invoke("A 1979 space horror film")

    assert movie == Movie(title="Alien", year=1979)
    config = gemini_emulator.last_request.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert set(config["responseJsonSchema"]["properties"]) == {"title", "year"}


def test_retries_after_scripted_429(gemini_emulator: GeminiEmulator) -> None:
    gemini_emulator.queue(Reply.rate_limited(retry_after=0.01), Reply.text("finally"))
    llm = make_llm(gemini_emulator, max_retries=2)

    assert llm.invoke("hi").content == "finally"
    assert len(gemini_emulator.requests) == 2


def test_no_retry_when_max_retries_is_zero(gemini_emulator: GeminiEmulator) -> None:
    gemini_emulator.queue(Reply.rate_limited(retry_after=0.01), Reply.text("unused"))
    llm = make_llm(gemini_emulator, max_retries=0)

    with pytest.raises(Exception, match="RESOURCE_EXHAUSTED"):
        llm.invoke("hi")
    assert len(gemini_emulator.requests) == 1


async def test_cancelled_astream_closes_its_connection(
    gemini_emulator: GeminiEmulator,
) -> None:
    pieces = [f"word{i} " for i in range(200)]
    gemini_emulator.queue(Reply.stream(*pieces).slowly(0.02))
    llm = make_llm(gemini_emulator)

    async def consume() -> None:
        async for _ in llm.astream("talk for a long time"):
            pass

    task = asyncio.create_task(consume())
    await asyncio.to_thread(
        gemini_emulator.wait_for, lambda: gemini_emulator.in_flight == 1
    )
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    # The server notices the client went away: its write fails, the handler
    # ends and the connection is gone well before 200 events were sent.
    closed = await asyncio.to_thread(
        gemini_emulator.wait_for, lambda: gemini_emulator.open_connections == 0
    )
    assert closed
    assert gemini_emulator.aborted == gemini_emulator.requests
