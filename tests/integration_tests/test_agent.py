"""A ``langchain.agents.create_agent`` tool loop against the emulator.

The emulator answers with the real Gemini 3 (``gemini-3-flash-preview``) tool
calls of ``test_google_instructions_only_with_tool_calls__0..2`` (three parallel
calls, then one, then one), then a signed text answer. The agent runs three
tool steps end to end, in invoke and in stream mode; every request it sends
must carry, byte-identical, the thought signatures of all earlier calls.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.recordings import events, load

MODEL = "gemini-3-flash-preview"
STEPS = [f"test_google_instructions_only_with_tool_calls__{i}" for i in range(3)]
FINAL_SIGNATURE = next(
    part["thoughtSignature"]
    for part in events(load("test_google_model_thinking_part__0"))[0]["candidates"][0][
        "content"
    ]["parts"]
    if "thoughtSignature" in part
)
FINAL = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {
                        "text": "Three jokes, as promised.",
                        "thoughtSignature": FINAL_SIGNATURE,
                    }
                ],
            },
            "finishReason": "STOP",
        }
    ],
    "modelVersion": MODEL,
    "usageMetadata": {
        "promptTokenCount": 90,
        "candidatesTokenCount": 6,
        "totalTokenCount": 96,
    },
}
TOPICS = iter(["cars", "penguins", "sheep", "wales", "tea"])


@tool
def generate_topic() -> str:
    """Generate a topic for a joke."""
    return next(TOPICS, "misc")


def answers() -> list[dict[str, Any]]:
    return [load(name)["response_json"] for name in STEPS] + [FINAL]


def recorded_calls(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        p for p in answer["candidates"][0]["content"]["parts"] if "functionCall" in p
    ]


@pytest.fixture
def emulator() -> Iterator[GeminiEmulator]:
    with GeminiEmulator() as emu:
        yield emu


def queue_answers(emulator: GeminiEmulator, *, stream: bool) -> None:
    for answer in answers():
        emulator.queue(Reply(events=[answer]) if stream else Reply(json=answer))


def check_requests(emulator: GeminiEmulator, *, action: str) -> None:
    """Four requests; request k repeats steps 0..k-1 with their signatures."""
    assert len(emulator.requests) == 4
    steps = answers()[:3]
    for k, request in enumerate(emulator.requests):
        assert request.action == action
        assert request.model == MODEL
        body = request.body
        assert body["systemInstruction"] == {"parts": [{"text": "Tell three jokes."}]}
        (declaration,) = body["tools"][0]["functionDeclarations"]
        assert declaration["name"] == "generate_topic"
        model_turns = [c for c in body["contents"] if c["role"] == "model"]
        assert len(model_turns) == k
        for turn, answer in zip(model_turns, steps, strict=False):
            recorded = recorded_calls(answer)
            sent = [p for p in turn["parts"] if "functionCall" in p]
            assert [p["functionCall"]["name"] for p in sent] == [
                p["functionCall"]["name"] for p in recorded
            ]
            assert [p.get("thoughtSignature") for p in sent] == [
                p.get("thoughtSignature") for p in recorded
            ]
        user_turns = [c for c in body["contents"] if c["role"] == "user"][1:]
        assert [len(t["parts"]) for t in user_turns] == [
            len(recorded_calls(a)) for a in steps[:k]
        ]
        for turn in user_turns:
            assert all("functionResponse" in p for p in turn["parts"])


def check_result(messages: list[Any]) -> None:
    ai = [m for m in messages if isinstance(m, AIMessage)]
    tools = [m for m in messages if isinstance(m, ToolMessage)]
    assert [len(m.tool_calls) for m in ai] == [3, 1, 1, 0]
    assert len(tools) == 5
    final = ai[-1]
    assert final.text == "Three jokes, as promised."


def test_agent_invoke_three_tool_steps(emulator: GeminiEmulator) -> None:
    queue_answers(emulator, stream=False)
    llm = ChatCometGemini(base_url=emulator.url, api_key="test", model=MODEL)
    agent = create_agent(llm, tools=[generate_topic], system_prompt="Tell three jokes.")
    result = agent.invoke({"messages": [{"role": "user", "content": "Go"}]})
    check_result(result["messages"])
    check_requests(emulator, action="generateContent")
    # The final text's signature is kept where langchain-google-genai keeps it.
    final = result["messages"][-1]
    assert final.content[0]["extras"]["signature"] == FINAL_SIGNATURE


def test_agent_stream_three_tool_steps(emulator: GeminiEmulator) -> None:
    queue_answers(emulator, stream=True)
    llm = ChatCometGemini(base_url=emulator.url, api_key="test", model=MODEL)
    agent = create_agent(llm, tools=[generate_topic], system_prompt="Tell three jokes.")
    tokens: list[Any] = []
    final_state: dict[str, Any] = {}
    for mode, payload in agent.stream(
        {"messages": [{"role": "user", "content": "Go"}]},
        stream_mode=["messages", "values"],
    ):
        if mode == "messages":
            tokens.append(payload[0])
        else:
            final_state = payload
    check_result(final_state["messages"])
    check_requests(emulator, action="streamGenerateContent")
    assert any(getattr(t, "tool_call_chunks", None) for t in tokens)


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="LangGraph streams a model called in an async node only on Python 3.11+ "
    "(asyncio tasks inherit the callback context from 3.11); on 3.10 it invokes",
)
async def test_agent_astream_three_tool_steps(emulator: GeminiEmulator) -> None:
    queue_answers(emulator, stream=True)
    llm = ChatCometGemini(base_url=emulator.url, api_key="test", model=MODEL)
    agent = create_agent(llm, tools=[generate_topic], system_prompt="Tell three jokes.")
    final_state: dict[str, Any] = {}
    async for mode, payload in agent.astream(
        {"messages": [{"role": "user", "content": "Go"}]},
        stream_mode=["messages", "values"],
    ):
        if mode == "values":
            final_state = payload
    check_result(final_state["messages"])
    check_requests(emulator, action="streamGenerateContent")
