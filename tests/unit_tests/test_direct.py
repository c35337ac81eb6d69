"""The direct path (``_direct``) answers exactly as langchain-core's machinery.

``invoke`` / ``ainvoke`` with nobody listening skip langchain-core's callback
machinery. Every recorded answer (each event of a recorded stream counts as a
unary answer too) is served both ways, and the messages must be equal field
for field: the direct call, and the same call with a no-op callback handler,
which takes langchain-core's own path. Whatever could make a difference (a
handler, a tracer, a cache, a rate limiter, streaming, ``output_version``)
must take langchain-core's path, and the tests see that it does.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.rate_limiters import InMemoryRateLimiter
from langchain_core.tracers.context import collect_runs
from pydantic import BaseModel

from langchain_cometgemini import ChatCometGemini
from tests import recordings

ANSWERS = [
    pytest.param(answer, id=f"{name}[{i}]")
    for name in recordings.names()
    if recordings.load(name)["status"] == 200
    for i, answer in enumerate(recordings.events(recordings.load(name)))
]
RUN_ID = uuid.UUID("0195e6d2-7a5e-7000-8000-000000000001")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _fields(message: AIMessage) -> Any:
    """The message's fields, each id made per call (a tool call's, a code
    block's) numbered in order of appearance, so that two calls compare."""
    text = json.dumps(message.model_dump(), sort_keys=True)
    found: dict[str, str] = {}
    return json.loads(
        UUID.sub(lambda m: found.setdefault(m[0], f"<id {len(found)}>"), text)
    )


def _model(answer: dict[str, Any], **settings: Any) -> ChatCometGemini:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    transport = httpx.MockTransport(reply)
    return ChatCometGemini(
        api_key="test",
        model="gemini-3-flash-preview",
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        max_retries=0,
        **settings,
    )


class _Quiet(BaseCallbackHandler):
    """A handler that does nothing: its presence alone takes the long path."""


@pytest.fixture
def machinery(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the langchain-core entry points each call went through."""
    seen: list[str] = []
    sync, asynchronous = BaseChatModel.generate, BaseChatModel.agenerate

    def generate(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append("generate")
        return sync(self, *args, **kwargs)

    async def agenerate(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append("agenerate")
        return await asynchronous(self, *args, **kwargs)

    monkeypatch.setattr(BaseChatModel, "generate", generate)
    monkeypatch.setattr(BaseChatModel, "agenerate", agenerate)
    return seen


@pytest.mark.parametrize("answer", ANSWERS)
def test_direct_equals_machinery(answer: dict[str, Any], machinery: list[str]) -> None:
    llm = _model(answer)
    config: Any = {"run_id": RUN_ID}
    direct = llm.invoke("hi", config)
    assert machinery == []
    long = llm.invoke("hi", {**config, "callbacks": [_Quiet()]})
    assert machinery == ["generate"]
    assert isinstance(direct, AIMessage)
    expected = answer.get("responseId") or f"lc_run--{RUN_ID}-0"
    assert direct.id == long.id == expected
    assert _fields(direct) == _fields(long)
    adirect = asyncio.run(llm.ainvoke("hi", config))
    along = asyncio.run(llm.ainvoke("hi", {**config, "callbacks": [_Quiet()]}))
    assert machinery == ["generate", "agenerate"]
    assert _fields(adirect) == _fields(along) == _fields(direct)


def test_message_id_is_a_fresh_run_id_without_one() -> None:
    """Without a ``responseId`` (relays drop it) the id names the run."""
    answer = dict(recordings.load("test_google_model__0")["response_json"])
    del answer["responseId"]
    llm = _model(answer)
    first, second = llm.invoke("hi"), llm.invoke("hi")
    assert first.id is not None and second.id is not None
    assert first.id != second.id
    for message in (first, second):
        prefix, _, suffix = message.id.rpartition("-")
        assert suffix == "0" and prefix.startswith("lc_run--")
        assert uuid.UUID(prefix.removeprefix("lc_run--")).version == 7


def test_a_tracer_sees_the_call() -> None:
    """A tracer set by context (as LangSmith's is) gets the run: long path."""
    llm = _model(recordings.load("test_google_model__0")["response_json"])
    with collect_runs() as runs:
        llm.invoke("hi")
        asyncio.run(llm.ainvoke("hi"))
    assert [run.run_type for run in runs.traced_runs] == ["llm", "llm"]
    assert runs.traced_runs[0].outputs is not None


@pytest.mark.parametrize(
    "settings",
    [
        {"callbacks": [_Quiet()]},
        {"verbose": True},
        {"cache": InMemoryCache()},
        {"rate_limiter": InMemoryRateLimiter(requests_per_second=1000)},
        {"streaming": True},
        {"output_version": "v1"},
    ],
    ids=["callbacks", "verbose", "cache", "rate_limiter", "streaming", "v1"],
)
def test_what_could_differ_takes_the_long_path(
    settings: dict[str, Any], machinery: list[str]
) -> None:
    llm = _model(recordings.load("test_google_model__0")["response_json"], **settings)
    assert llm.invoke("hi").text == "Hello! How can I help you today?"
    assert asyncio.run(llm.ainvoke("hi")).text == "Hello! How can I help you today?"
    assert machinery == ["generate", "agenerate"]


def test_a_cache_still_answers_the_second_call() -> None:
    answers = iter([recordings.load("test_google_model__0")["response_json"]])
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=next(answers)))
    llm = ChatCometGemini(
        api_key="test",
        model="gemini-3-flash-preview",
        http_client=httpx.Client(transport=transport),
        cache=InMemoryCache(),
    )
    assert llm.invoke("hi").text == llm.invoke("hi").text != ""


def test_structured_output_goes_direct(machinery: list[str]) -> None:
    """``with_structured_output``'s tracing-only argument is dropped, not sent."""

    class City(BaseModel):
        name: str

    answer = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": '{"name": "Paris"}'}]},
                "finishReason": "STOP",
            }
        ]
    }
    llm = _model(answer)
    assert llm.with_structured_output(City).invoke("hi") == City(name="Paris")
    assert machinery == []


# -- abatch: at most max_concurrency calls alive --------------------------------


class _Counting:
    """A model whose ``ainvoke`` counts the calls running at once and echoes
    its input; input "boom" fails. ``abatch`` is the model's own."""

    def __init__(self) -> None:
        self.running = self.most = 0
        self.order: list[str] = []
        self.llm = ChatCometGemini(api_key="test")
        object.__setattr__(self.llm, "ainvoke", self.ainvoke)

    async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0.001 * (len(input) % 3))
            if input == "boom":
                raise ValueError("boom")
            self.order.append(input)
            return AIMessage(input)
        finally:
            self.running -= 1

    async def abatch(self, *args: Any, **kwargs: Any) -> list[Any]:
        return await self.llm.abatch(*args, **kwargs)


async def test_abatch_keeps_order_and_max_concurrency() -> None:
    llm = _Counting()
    inputs = [f"p{i}" for i in range(50)]
    tasks_before = len(asyncio.all_tasks())
    out = await llm.abatch(inputs, {"max_concurrency": 4})
    assert [m.content for m in out] == inputs
    assert llm.most == 4
    assert len(asyncio.all_tasks()) == tasks_before


async def test_abatch_makes_no_more_tasks_than_max_concurrency() -> None:
    llm = _Counting()
    seen: list[int] = []

    async def spy() -> None:
        for _ in range(20):
            seen.append(len(asyncio.all_tasks()))
            await asyncio.sleep(0.0005)

    await asyncio.gather(
        llm.abatch([f"p{i}" for i in range(200)], {"max_concurrency": 3}), spy()
    )
    # this test's task, the spy, abatch's gather, 3 workers, 3 calls
    assert max(seen) <= 9


async def test_abatch_return_exceptions_puts_each_in_its_place() -> None:
    llm = _Counting()
    out = await llm.abatch(
        ["a", "boom", "c"], {"max_concurrency": 2}, return_exceptions=True
    )
    assert [type(x).__name__ for x in out] == ["AIMessage", "ValueError", "AIMessage"]


async def test_abatch_first_failure_raises_and_starts_nothing_more() -> None:
    llm = _Counting()
    inputs = ["boom", *(f"p{i}" for i in range(100))]
    with pytest.raises(ValueError, match="boom"):
        await llm.abatch(inputs, {"max_concurrency": 2})
    await asyncio.sleep(0.05)
    assert llm.running == 0
    assert len(llm.order) < 10  # the rest were never started


async def test_abatch_without_max_concurrency_is_langchain_cores() -> None:
    llm = _Counting()
    out = await llm.abatch(["a", "b"], [{}, {"tags": ["x"]}])
    assert [m.content for m in out] == ["a", "b"]
    assert llm.most == 2


async def test_abatch_per_input_configs_reach_each_call() -> None:
    llm = _model(recordings.load("test_google_model__0")["response_json"])
    with collect_runs() as runs:
        await llm.abatch(
            ["a", "b"],
            [{"max_concurrency": 1, "tags": ["one"]}, {"tags": ["two"]}],
        )
    assert sorted(run.tags[0] for run in runs.traced_runs) == ["one", "two"]
