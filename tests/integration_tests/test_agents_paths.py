"""Issue 12's agent paths end to end against the emulator, offline.

Each bullet through ``create_agent`` and a LangGraph graph with a checkpointer,
in invoke and stream: histories from other providers (a fallback from a failing
Claude-shaped model, a thread that switches models, v1 output with code
execution), per-call ``timeout`` / ``stream_usage``, the checks made before
sending (zero requests), empty answers that log a warning, and thinking levels
mapped per model.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelFallbackMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph

from langchain_cometgemini import ChatCometGemini, GeminiTimeoutError
from langchain_cometgemini._request import SKIP_SIGNATURE
from langchain_cometgemini.testing import GeminiEmulator, RecordedRequest, Reply
from tests.integration_tests.test_agents_v1 import get_weather, llm

MODES = ["invoke", "stream"]


def ask(text: str = "Weather in Paris?") -> dict[str, Any]:
    return {"messages": [HumanMessage(text)]}


def run(runnable: Any, value: Any, mode: str, config: Any = None) -> dict[str, Any]:
    """The final state, by ``invoke`` or by streaming (``messages`` mode makes
    the chat model stream: ``streamGenerateContent``)."""
    if mode == "invoke":
        result: dict[str, Any] = runnable.invoke(value, config)
        return result
    state: dict[str, Any] = {}
    for kind, payload in runnable.stream(
        value, config, stream_mode=["messages", "values"]
    ):
        if kind == "values":
            state = payload
    return state


def check_mode(emulator: GeminiEmulator, mode: str) -> None:
    """Every request went by the path the mode says."""
    assert emulator.requests
    assert all(r.streaming == (mode == "stream") for r in emulator.requests)


def parts_of(request: RecordedRequest, role: str = "model") -> list[dict[str, Any]]:
    return [
        p for c in request.body["contents"] if c["role"] == role for p in c["parts"]
    ]


# -- other providers' messages in the history ----------------------------------

CLAUDE_TURN = AIMessage(
    content=[
        {"type": "thinking", "thinking": "Use the tool.", "signature": "EqQBClaude"},
        {"type": "redacted_thinking", "data": "EmwKRedacted"},
        {
            "type": "text",
            "text": "Let me check.",
            "citations": [{"type": "char_location", "cited_text": "Paris"}],
        },
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}},
    ],
    tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "toolu_01"}],
    response_metadata={"model_provider": "anthropic", "model_name": "claude"},
)

OPENAI_TURN = AIMessage(
    content=[
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "The user wants weather."}],
        },
        {"type": "refusal", "refusal": "I cannot book flights."},
        {"type": "text", "text": "Rome is warm.", "annotations": [], "id": "msg_1"},
    ],
    response_metadata={"model_provider": "openai", "model_name": "gpt"},
)


class FakeClaude(BaseChatModel):
    """Answers like langchain-anthropic, then fails (an outage mid-thread)."""

    script: list[Any]

    @property
    def _llm_type(self) -> str:
        return "fake-claude"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, **kw: Any
    ) -> ChatResult:
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return ChatResult(generations=[ChatGeneration(message=step)])


def check_foreign_history_request(request: RecordedRequest) -> None:
    """The Claude turn went out as Gemini takes it: text and the call only."""
    assert [c["role"] for c in request.body["contents"]] == ["user", "model", "user"]
    assert parts_of(request) == [
        {"text": "Let me check."},
        {
            "functionCall": {
                "name": "get_weather",
                "args": {"city": "Paris"},
                "id": "toolu_01",
            },
            "thoughtSignature": SKIP_SIGNATURE,  # not Claude's signature
        },
    ]
    response = parts_of(request, "user")[-1]["functionResponse"]
    assert response["response"] == {"output": "Sunny in Paris"}


@pytest.mark.parametrize("mode", MODES)
def test_create_agent_falls_back_from_claude_mid_conversation(
    emulator: GeminiEmulator, mode: str
) -> None:
    claude = FakeClaude(script=[CLAUDE_TURN, RuntimeError("overloaded_error")])
    agent = create_agent(
        claude,
        [get_weather],
        middleware=[ModelFallbackMiddleware(llm(emulator))],
        checkpointer=InMemorySaver(),
    )
    config: Any = {"configurable": {"thread_id": mode}}
    result = run(agent, ask(), mode, config)
    final = result["messages"][-1]
    assert final.response_metadata["model_provider"] == "google_genai"
    assert final.text.startswith("Done: get_weather returned")
    (request,) = emulator.requests
    check_foreign_history_request(request)
    check_mode(emulator, mode)


@pytest.mark.parametrize("mode", MODES)
def test_with_fallbacks_in_a_checkpointed_graph(
    emulator: GeminiEmulator, mode: str
) -> None:
    """``failing.with_fallbacks([gemini])`` as a graph node, across two turns."""
    claude = FakeClaude(script=[RuntimeError("overloaded"), RuntimeError("again")])
    model = claude.with_fallbacks([llm(emulator)])

    def respond(state: MessagesState) -> dict[str, Any]:
        if mode == "stream":
            chunks = list(model.stream(state["messages"]))
            message: Any = chunks[0]
            for chunk in chunks[1:]:
                message = message + chunk
        else:
            message = model.invoke(state["messages"])
        return {"messages": [message]}

    builder = StateGraph(MessagesState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    graph = builder.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "fb"}}
    # A thread whose earlier turns came from OpenAI and Claude.
    history = [HumanMessage("Plan a trip"), OPENAI_TURN, HumanMessage("Paris?")]
    graph.invoke({"messages": history}, config)
    run(graph, ask("And Rome?"), mode, config)
    first, second = emulator.requests
    assert parts_of(first) == [
        {"text": "I cannot book flights."},
        {"text": "Rome is warm."},
    ]  # no empty thought from the OpenAI summary
    assert [c["role"] for c in second.body["contents"]] == [
        "user",
        "model",
        "user",
        "model",
        "user",
    ]
    assert not any(p.get("thought") for p in parts_of(second))
    assert second.streaming == (mode == "stream")


@pytest.mark.parametrize("mode", MODES)
def test_v1_code_execution_history_goes_back(
    emulator: GeminiEmulator, mode: str
) -> None:
    """A thread whose answers are v1 blocks (``server_tool_call``/``_result``)."""
    model = llm(emulator, output_version="v1", include_thoughts=True)
    agent = create_agent(model, [{"code_execution": {}}], checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "v1"}}
    first = run(agent, ask("What is 2 + 2?"), mode, config)
    kinds = [b["type"] for b in first["messages"][-1].content]
    assert "server_tool_call" in kinds and "server_tool_result" in kinds
    run(agent, ask("And 3 + 3?"), mode, config)
    sent = parts_of(emulator.requests[1])
    assert {"executableCode": {"language": "PYTHON", "code": "print(2 + 2)"}} in sent
    assert {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4\n"}} in sent
    thought = next(p for p in sent if p.get("thought"))
    assert thought["text"] == "Thinking it over (emulated)."
    check_mode(emulator, mode)


# -- per-call settings LangChain passes ------------------------------------------


def graph_calling(runnable: Any, **call: Any) -> Any:
    def respond(state: MessagesState) -> dict[str, Any]:
        return {"messages": [runnable.invoke(state["messages"], **call)]}

    builder = StateGraph(MessagesState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    return builder.compile(checkpointer=InMemorySaver())


@pytest.mark.parametrize("mode", MODES)
def test_per_call_timeout_bounds_the_request(
    emulator: GeminiEmulator, mode: str
) -> None:
    emulator.queue(Reply.text("late").delayed(2.0))
    model = llm(emulator, max_retries=0)
    with pytest.raises(GeminiTimeoutError):
        if mode == "invoke":
            model.invoke("hi", timeout=0.2)
        else:
            list(model.stream("hi", timeout=0.2))
    # Through a checkpointed graph: the same call with a roomy timeout answers.
    graph = graph_calling(model, timeout=30)
    state = run(graph, ask("Hi"), mode, {"configurable": {"thread_id": "t"}})
    assert state["messages"][-1].text == "Echo: Hi"
    assert emulator.requests[-1].streaming == (mode == "stream")


def test_per_call_timeout_is_checked() -> None:
    model = ChatCometGemini(api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="timeout must be a number"):
        model.invoke("hi", timeout=-1)


def test_stream_usage_is_accepted_and_usage_comes_once(
    emulator: GeminiEmulator,
) -> None:
    chunks = list(llm(emulator).stream("hi", stream_usage=True))
    with_usage = [c for c in chunks if c.usage_metadata]
    assert len(with_usage) == 1 and with_usage[0].usage_metadata["input_tokens"] > 0
    assert not list(llm(emulator).stream("hi", stream_usage=False))[-1].text


# -- checked before sending: zero requests -----------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("build", "payload", "error"),
    [
        (lambda e: create_agent(llm(e)), {"messages": []}, "No messages"),
        (
            lambda e: create_agent(llm(e), system_prompt="Be brief."),
            {"messages": []},
            "Only system messages",
        ),
        (
            lambda e: create_agent(llm(e), [{"google_serach": {}}]),
            ask(),
            "Did you mean 'google_search'",
        ),
        (
            lambda e: create_agent(llm(e), [tool("get weather")(get_weather.func)]),
            ask(),
            "not a valid Gemini function name",
        ),
        (
            lambda e: graph_calling(llm(e), model="../../evil"),
            ask(),
            "not a Gemini model id",
        ),
    ],
)
def test_refused_before_sending(
    emulator: GeminiEmulator, build: Any, payload: Any, error: str, mode: str
) -> None:
    target = build(emulator)
    config: Any = {"configurable": {"thread_id": "x"}}
    with pytest.raises(ValueError, match=error):
        run(target, payload, mode, config)
    assert emulator.requests == []


def test_unknown_constructor_argument_names_the_closest(
    emulator: GeminiEmulator,
) -> None:
    with pytest.raises(TypeError, match="'tempreature' \\(did you mean 'temperature'"):
        llm(emulator, tempreature=0)
    with pytest.raises(ValueError, match="not a Gemini model id"):
        llm(emulator, model="../../evil")
    assert emulator.requests == []


# -- empty answers are not silent --------------------------------------------------


def blocked() -> Reply:
    return Reply(
        json={
            "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
            "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3},
        }
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (blocked, "prompt blocked: PROHIBITED_CONTENT"),
        (lambda: Reply.parts([], finish_reason="SAFETY"), "finish_reason=SAFETY"),
        (
            lambda: Reply.parts([], finish_reason="MALFORMED_FUNCTION_CALL"),
            "finish_reason=MALFORMED_FUNCTION_CALL",
        ),
        (lambda: Reply.parts([{"text": ""}]), "finish_reason=STOP"),
    ],
)
def test_empty_answer_logs_a_warning(
    emulator: GeminiEmulator,
    caplog: pytest.LogCaptureFixture,
    reply: Any,
    reason: str,
    mode: str,
) -> None:
    # A malformed call with tools bound (the agent's) is asked again once,
    # with calls VALIDATED, before the empty answer is returned; the graph
    # binds no tools, so its answer is returned at once.
    count = 3 if "MALFORMED" in reason else 2
    emulator.queue(*(reply() for _ in range(count)))
    agent = create_agent(llm(emulator), [get_weather], checkpointer=InMemorySaver())
    graph = graph_calling(llm(emulator))
    config: Any = {"configurable": {"thread_id": "e"}}
    with caplog.at_level(logging.WARNING, logger="langchain_cometgemini"):
        run(agent, ask(), mode, config)
        run(graph, ask(), mode, config)
    warnings = [
        r.getMessage() for r in caplog.records if "empty answer" in r.getMessage()
    ]
    assert len(warnings) == 2 and all(reason in w for w in warnings)
    assert len(emulator.requests) == count
    check_mode(emulator, mode)


def test_answer_with_content_logs_nothing(
    emulator: GeminiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="langchain_cometgemini"):
        llm(emulator).invoke("hi")
        list(llm(emulator).stream("hi"))
    assert not [r for r in caplog.records if "empty answer" in r.getMessage()]


# -- thinking levels never earn a 400 ------------------------------------------------


def sent_thinking(request: RecordedRequest) -> Any:
    return request.body["generationConfig"]["thinkingConfig"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("model", "settings", "expected"),
    [
        (
            "gemini-3-pro-preview",
            {"reasoning_effort": "medium"},
            {"thinkingLevel": "HIGH"},
        ),
        (
            "gemini-3-pro-preview",
            {"thinking_level": "minimal"},
            {"thinkingLevel": "LOW"},
        ),
        ("gemini-3-pro-preview", {"reasoning_effort": "low"}, {"thinkingLevel": "LOW"}),
        (
            "gemini-3-flash-preview",
            {"reasoning_effort": "minimal"},
            {"thinkingLevel": "MINIMAL"},
        ),
        ("gemini-2.5-flash", {"reasoning_effort": "minimal"}, {"thinkingBudget": 0}),
        ("gemini-2.5-pro", {"reasoning_effort": "minimal"}, {"thinkingBudget": 128}),
    ],
)
def test_reasoning_effort_maps_to_what_the_model_takes(
    emulator: GeminiEmulator,
    model: str,
    settings: dict[str, Any],
    expected: dict[str, Any],
    mode: str,
) -> None:
    agent = create_agent(llm(emulator, model, **settings), [get_weather])
    run(agent, ask(), mode)
    # Per call, through a checkpointed graph: the same mapping.
    graph = graph_calling(llm(emulator, model), **settings)
    run(graph, ask(), mode, {"configurable": {"thread_id": "r"}})
    assert [sent_thinking(r) for r in emulator.requests] == [expected] * 3
    assert all(r.model == model for r in emulator.requests)
    check_mode(emulator, mode)
