"""LangChain v1 agents against the emulator's default responder, offline.

Each path a user takes: ``create_agent`` with ``ProviderStrategy``,
``ToolStrategy`` and a bare schema (the strategy chosen from ``llm.profile``),
in invoke, stream and astream; a checkpointed thread (``InMemorySaver``) and a
hand-built LangGraph graph; ``SummarizationMiddleware`` with a fraction
trigger read from the profile. No scripted answers: the emulator's default
responder calls declared functions under ``toolConfig`` mode ``ANY`` and
answers schema-valid JSON under ``responseJsonSchema``, as users' tests rely on.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from pydantic import BaseModel

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, RecordedRequest

GEMINI_3 = "gemini-3-flash-preview"
EXPECTED_JSON = {"city": "example", "celsius": 0}


class Weather(BaseModel):
    """A weather report."""

    city: str
    celsius: int


@tool
def get_weather(city: str) -> str:
    """Look up the weather in a city."""
    return f"Sunny in {city}"


def llm(emulator: GeminiEmulator, model: str = GEMINI_3, **kw: Any) -> ChatCometGemini:
    return ChatCometGemini(base_url=emulator.url, api_key="test", model=model, **kw)


def ask(text: str = "Weather in Paris?") -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def declared(request: RecordedRequest) -> list[str]:
    return [
        d["name"]
        for tool_entry in request.body.get("tools", [])
        for d in tool_entry.get("functionDeclarations", [])
    ]


def schema_sent(request: RecordedRequest) -> Any:
    return request.body.get("generationConfig", {}).get("responseJsonSchema")


def run(agent: Any, mode: str) -> dict[str, Any]:
    if mode == "invoke":
        result: dict[str, Any] = agent.invoke(ask())
        return result
    state: dict[str, Any] = {}
    for _, payload in agent.stream(ask(), stream_mode=["messages", "values"]):
        if isinstance(payload, dict):
            state = payload
    return state


async def arun(agent: Any) -> dict[str, Any]:
    state: dict[str, Any] = {}
    async for payload in agent.astream(ask(), stream_mode="values"):
        state = payload
    return state


def check_provider_strategy(emulator: GeminiEmulator, result: dict[str, Any]) -> None:
    """A tool step, then the JSON answer parsed into a ``Weather``."""
    assert result["structured_response"] == Weather(**EXPECTED_JSON)
    kinds = [type(m).__name__ for m in result["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert result["messages"][2].content == "Sunny in example"
    assert len(emulator.requests) == 2
    for request in emulator.requests:
        assert request.model == GEMINI_3
        assert declared(request) == ["get_weather"]  # no output tool
        assert schema_sent(request)["title"] == "Weather"
        assert "toolConfig" not in request.body
    final = result["messages"][-1]
    assert final.response_metadata["model_name"] == GEMINI_3


def test_provider_strategy_strict_and_no_tools(emulator: GeminiEmulator) -> None:
    agent = create_agent(
        llm(emulator, "gemini-2.5-flash"),
        response_format=ProviderStrategy(Weather, strict=True),
    )
    result = agent.invoke(ask())
    assert result["structured_response"] == Weather(**EXPECTED_JSON)
    (request,) = emulator.requests
    assert "tools" not in request.body and "toolConfig" not in request.body
    assert schema_sent(request)["required"] == ["city", "celsius"]


def check_tool_strategy(emulator: GeminiEmulator, result: dict[str, Any]) -> None:
    """get_weather first, then the ``Weather`` output tool ends the loop."""
    assert result["structured_response"] == Weather(**EXPECTED_JSON)
    calls = [
        c["name"]
        for m in result["messages"]
        if isinstance(m, AIMessage)
        for c in m.tool_calls
    ]
    assert calls == ["get_weather", "Weather"]
    assert isinstance(result["messages"][-1], ToolMessage)
    assert len(emulator.requests) == 2
    for request in emulator.requests:
        assert declared(request) == ["get_weather", "Weather"]
        assert request.body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
        assert schema_sent(request) is None


@pytest.mark.parametrize(
    ("model", "tools", "profile", "provider"),
    [
        (GEMINI_3, [get_weather], None, True),  # Gemini 3: schema + tools
        ("gemini-3.1-pro-preview", [get_weather], None, True),
        ("gemini-2.5-flash", [], None, True),
        ("gemini-2.5-flash", [get_weather], None, False),  # 2.5: not with tools
        ("my-relay-alias", [], None, False),  # unknown: no profile, no guess
        (GEMINI_3, [], {"structured_output": False}, False),  # user's wins
    ],
)
@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_bare_schema_picks_strategy_from_profile(
    emulator: GeminiEmulator,
    model: str,
    tools: list[Any],
    profile: dict[str, Any] | None,
    provider: bool,
    mode: str,
) -> None:
    extra = {"profile": profile} if profile is not None else {}
    emulator.extra_models.add("my-relay-alias")  # a relay's own name: no family
    agent = create_agent(llm(emulator, model, **extra), tools, response_format=Weather)
    result = run(agent, mode)
    assert result["structured_response"] == Weather(**EXPECTED_JSON)
    last = emulator.requests[-1]
    assert last.model == model
    if provider:
        assert schema_sent(last)["title"] == "Weather"
        assert "Weather" not in declared(last)
    else:
        assert schema_sent(last) is None
        assert declared(last)[-1] == "Weather"
        assert last.body["toolConfig"]["functionCallingConfig"]["mode"] == "ANY"


STRATEGIES = {
    "provider": (ProviderStrategy, check_provider_strategy),
    "tool": (ToolStrategy, check_tool_strategy),
}


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
@pytest.mark.parametrize("mode", ["invoke", "stream", "astream"])
def test_strategy(emulator: GeminiEmulator, strategy: str, mode: str) -> None:
    make, check = STRATEGIES[strategy]
    agent = create_agent(llm(emulator), [get_weather], response_format=make(Weather))
    result = asyncio.run(arun(agent)) if mode == "astream" else run(agent, mode)
    check(emulator, result)


# -- LangGraph: a checkpointed thread and a hand-built graph --------------------


def test_checkpointed_thread_keeps_history(emulator: GeminiEmulator) -> None:
    agent = create_agent(
        llm(emulator),
        [get_weather],
        response_format=ProviderStrategy(Weather),
        checkpointer=InMemorySaver(),
    )
    config: Any = {"configurable": {"thread_id": "t1"}}
    first = agent.invoke(ask("Weather in Paris?"), config)
    assert first["structured_response"] == Weather(**EXPECTED_JSON)
    state: dict[str, Any] = {}
    for payload in agent.stream(ask("And in Rome?"), config, stream_mode="values"):
        state = payload
    assert state["structured_response"] == Weather(**EXPECTED_JSON)
    assert len(state["messages"]) == 8  # two turns of 4
    # The second turn's first request carries the whole first turn, with the
    # function call's thought signature sent back.
    third = emulator.requests[2]
    roles = [c["role"] for c in third.body["contents"]]
    assert roles == ["user", "model", "user", "model", "user"]
    call_part = third.body["contents"][1]["parts"][0]
    assert call_part["functionCall"]["name"] == "get_weather"
    assert "thoughtSignature" in call_part
    assert third.body["contents"][-1]["parts"] == [{"text": "And in Rome?"}]


def test_hand_built_graph_with_checkpointer(emulator: GeminiEmulator) -> None:
    model = llm(emulator).bind_tools([], response_format=Weather)

    def respond(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    graph = builder.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "g"}}
    graph.invoke({"messages": [HumanMessage("Paris?")]}, config)
    chunks = [
        chunk
        for chunk, _ in graph.stream(
            {"messages": [HumanMessage("Rome?")]}, config, stream_mode="messages"
        )
    ]
    assert Weather.model_validate_json("".join(c.text for c in chunks)) == Weather(
        **EXPECTED_JSON
    )
    assert len(graph.get_state(config).values["messages"]) == 4
    assert [len(r.body["contents"]) for r in emulator.requests] == [1, 3]


# -- SummarizationMiddleware with a fraction trigger -----------------------------


def history(tokens: int) -> list[Any]:
    """24 messages; the first carries about ``tokens`` tokens (4 chars each)."""
    messages: list[Any] = [HumanMessage("x " * (tokens * 2), id="big")]
    for i in range(23):
        cls = AIMessage if i % 2 == 0 else HumanMessage
        messages.append(cls(f"message {i}", id=f"m{i}"))
    return messages


@pytest.mark.parametrize(("share", "summarized"), [(0.55, True), (0.45, False)])
def test_summarization_fraction_trigger(
    emulator: GeminiEmulator, share: float, summarized: bool
) -> None:
    model = llm(emulator)
    assert model.profile is not None
    limit = model.profile["max_input_tokens"]
    agent = create_agent(
        model,
        middleware=[SummarizationMiddleware(model=model, trigger=("fraction", 0.5))],
    )
    result = agent.invoke({"messages": history(int(limit * share))})
    answer_request = emulator.requests[-1]
    sent_text = "".join(
        p.get("text", "") for c in answer_request.body["contents"] for p in c["parts"]
    )
    if summarized:
        assert len(emulator.requests) == 2  # the summary, then the answer
        assert "x x x x" not in sent_text
        assert all(m.id != "big" for m in result["messages"])
        assert "summary" in result["messages"][0].text.lower()
    else:
        assert len(emulator.requests) == 1
        assert sent_text.startswith("x x x x")
        assert result["messages"][0].id == "big"
