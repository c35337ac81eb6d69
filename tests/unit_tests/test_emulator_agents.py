"""The emulator as users' agent tests need it: the model id and forced calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, ToolMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply


def llm(emulator: GeminiEmulator, model: str) -> ChatCometGemini:
    return ChatCometGemini(base_url=emulator.url, api_key="test", model=model)


@pytest.mark.parametrize("stream", [False, True])
def test_answers_name_the_requested_model(
    emulator: GeminiEmulator, stream: bool
) -> None:
    model = llm(emulator, "gemini-3-pro-preview")
    emulator.queue(
        Reply.text("a"),
        Reply.stream("b", "c"),
        Reply.tool_call("f", {}),
        Reply.text("d", model="gemini-pinned"),
    )
    emulator.respond_with(lambda request: Reply.text("e"))
    call = model.stream if stream else model.invoke
    names = []
    for _ in range(5):
        out: Any = call("hi")
        message = out if not stream else [c for c in out][-1]
        names.append(message.response_metadata.get("model_name"))
    emulator.respond_with(None)
    assert names == ["gemini-3-pro-preview"] * 3 + ["gemini-pinned"] + [
        "gemini-3-pro-preview"
    ]


def test_recordings_keep_their_model(emulator: GeminiEmulator) -> None:
    body = Reply.text("x", model="gemini-2.5-flash-lite").json
    emulator.queue(Reply(json=body))
    message = llm(emulator, "gemini-3-pro-preview").invoke("hi")
    assert message.response_metadata["model_name"] == "gemini-2.5-flash-lite"


def _body(emulator: GeminiEmulator) -> dict[str, Any]:
    return emulator.requests[-1].body  # type: ignore[no-any-return]


def test_mode_any_calls_after_tool_results_then_ends(emulator: GeminiEmulator) -> None:
    tools = [
        {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
        {
            "name": "Answer",
            "parameters": {
                "type": "object",
                "properties": {"n": {"type": "integer", "minimum": 3}},
                "required": ["n"],
            },
        },
    ]
    bound = llm(emulator, "gemini-2.5-flash").bind_tools(tools, tool_choice="any")
    first = bound.invoke("go")
    assert [c["name"] for c in first.tool_calls] == ["lookup"]
    history = [
        HumanMessage("go"),
        first,
        ToolMessage("found", tool_call_id=first.tool_calls[0]["id"]),
    ]
    second = bound.invoke(history)
    assert second.tool_calls[0]["name"] == "Answer"
    assert second.tool_calls[0]["args"] == {"n": 3}  # schema-valid


def test_json_schema_answer_after_tool_results(emulator: GeminiEmulator) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string", "minLength": 9}},
        "required": ["city"],
    }
    bound = llm(emulator, "gemini-3-flash-preview").bind_tools(
        [{"name": "lookup", "parameters": {"type": "object", "properties": {}}}],
        response_format=schema,
    )
    first = bound.invoke("go")
    history = [
        HumanMessage("go"),
        first,
        ToolMessage("found", tool_call_id=first.tool_calls[0]["id"]),
    ]
    answer = bound.invoke(history)
    assert answer.tool_calls == []
    assert json.loads(answer.text) == {"city": "exampleex"}
    assert _body(emulator)["generationConfig"]["responseJsonSchema"] == schema
