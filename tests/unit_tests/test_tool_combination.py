"""Issue 19, tool combination: built-in tools mixed with function tools on
Gemini 3+ send ``toolConfig.includeServerSideToolInvocations: true``; the
answer's ``toolCall`` / ``toolResponse`` parts (ids, signatures) go back
unchanged; the emulator answers 400 to a mixed request without the flag.
Requests are checked exactly and against google-genai's types; the answers
are real recordings (tests/data/recordings).
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._errors import GeminiAPIError
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.genai_check import validated
from tests.recordings import load
from tests.unit_tests.test_profiles import WEATHER_DECL as WEATHER
from tests.unit_tests.test_profiles import get_weather

G3 = "gemini-3-flash-preview"
FLAG = "includeServerSideToolInvocations"


@tool
def get_user_country() -> str:
    """The user's country."""
    return "Mexico"


ASK = [{"role": "user", "parts": [{"text": "Weather?"}]}]


def llm(emulator: GeminiEmulator, model: str = G3) -> ChatCometGemini:
    return ChatCometGemini(
        model=model, base_url=emulator.url, api_key="test", max_retries=0
    )


def sent(emulator: GeminiEmulator) -> dict[str, Any]:
    """The last request body, validated by google-genai's types."""
    return validated(emulator.last_request.body)


def both(model: Any, prompt: Any) -> tuple[AIMessage, AIMessage]:
    """(invoke's message, the stream's chunks summed)."""
    whole = model.invoke(prompt)
    summed = reduce(operator.add, model.stream(prompt))
    return whole, summed


@pytest.mark.parametrize(
    ("tool_choice", "config"),
    [
        (None, {FLAG: True}),
        ("any", {"functionCallingConfig": {"mode": "ANY"}, FLAG: True}),
        (
            "get_weather",
            {
                "functionCallingConfig": {
                    "mode": "ANY",
                    "allowedFunctionNames": ["get_weather"],
                },
                FLAG: True,
            },
        ),
    ],
)
def test_mixed_tools_on_gemini_3_send_the_flag(
    emulator: GeminiEmulator, tool_choice: Any, config: dict[str, Any]
) -> None:
    model = llm(emulator).bind_tools(
        [get_weather, {"google_search": {}}], tool_choice=tool_choice
    )
    whole, summed = both(model, "Weather?")
    expected = {
        "contents": ASK,
        "tools": [{"functionDeclarations": [WEATHER]}, {"googleSearch": {}}],
        "toolConfig": config,
    }
    assert [r.body for r in emulator.requests] == [expected, expected]
    assert sent(emulator) == expected
    assert whole.tool_calls[0]["name"] == summed.tool_calls[0]["name"] == "get_weather"


@pytest.mark.parametrize(
    ("model", "tools"),
    [
        ("gemini-2.5-flash", [get_weather, {"google_search": {}}]),
        (G3, [{"google_search": {}}, {"url_context": {}}]),
        (G3, [get_weather]),
    ],
    ids=["gemini-2.5", "built-ins-only", "functions-only"],
)
def test_no_flag_where_nothing_is_combined(
    emulator: GeminiEmulator, model: str, tools: list[Any]
) -> None:
    llm(emulator, model).bind_tools(tools).invoke("Weather?")
    assert "toolConfig" not in sent(emulator)


def test_the_per_call_model_decides(emulator: GeminiEmulator) -> None:
    model = llm(emulator, "gemini-2.5-flash").bind_tools(
        [get_weather, {"code_execution": {}}]
    )
    model.invoke("Weather?")
    assert "toolConfig" not in sent(emulator)
    model.invoke("Weather?", model="gemini-4-argon")
    assert sent(emulator)["toolConfig"] == {FLAG: True}
    assert emulator.last_request.model == "gemini-4-argon"


def test_emulator_refuses_mixed_tools_without_the_flag(
    emulator: GeminiEmulator,
) -> None:
    # A raw tool_config the caller wrote wins, so the emulator's rule shows.
    model = llm(emulator).bind_tools(
        [get_weather, {"google_search": {}}], tool_config={FLAG: False}
    )
    with pytest.raises(GeminiAPIError) as caught:
        model.invoke("Weather?")
    assert caught.value.status_code == 400
    assert "includeServerSideToolInvocations" in str(caught.value)
    assert "googleSearch" in str(caught.value)
    body = {
        "contents": ASK,
        "tools": [{"functionDeclarations": [WEATHER]}, {"googleSearch": {}}],
    }
    url = f"{emulator.url}/v1beta/models/gemini-2.5-flash:generateContent"
    assert (
        httpx.post(url, json=body, headers={"x-goog-api-key": "k"}).status_code == 200
    )
    url = url.replace("gemini-2.5-flash", "gemini-3.8-flash")
    assert (
        httpx.post(url, json=body, headers={"x-goog-api-key": "k"}).status_code == 400
    )
    body["toolConfig"] = {FLAG: True}
    assert (
        httpx.post(url, json=body, headers={"x-goog-api-key": "k"}).status_code == 200
    )


# -- server-side tool parts go back unchanged ----------------------------------------


def _recorded_parts(name: str) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = load(name)["response_json"]["candidates"][0][
        "content"
    ]["parts"]
    return parts


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
def test_tool_call_and_response_parts_round_trip(
    emulator: GeminiEmulator, streamed: bool
) -> None:
    """A real three-turn exchange (function call, then Google Search run by
    the service, then the answer), each model turn sent back as it came.
    """
    first = "test_native_output_with_function_and_builtin_tools__0"
    second = "test_native_output_with_function_and_builtin_tools__1"
    emulator.queue(Reply.from_recording(load(first)))
    emulator.queue(Reply.from_recording(load(second)))
    emulator.queue(Reply.text("You're welcome."))
    model = llm(emulator).bind_tools([get_user_country, {"google_search": {}}])

    def ask(history: list[BaseMessage]) -> AIMessage:
        if streamed:
            summed = reduce(operator.add, model.stream(history))
            return AIMessage(
                content=summed.content,
                tool_calls=summed.tool_calls,
                additional_kwargs=summed.additional_kwargs,
                response_metadata=summed.response_metadata,
            )
        return model.invoke(history)

    history: list[BaseMessage] = [HumanMessage("Largest city in my country?")]
    call = ask(history)
    assert call.tool_calls[0]["id"] == "x8i00o1q"
    history += [call, ToolMessage("Mexico", tool_call_id="x8i00o1q")]
    answer = ask(history)
    blocks = [b for b in answer.content if isinstance(b, dict)]
    assert [b["type"] for b in blocks] == ["non_standard", "non_standard", "text"]
    history += [answer, HumanMessage("Thanks")]
    ask(history)
    body = sent(emulator)
    assert body["toolConfig"] == {FLAG: True}
    model_turns = [c["parts"] for c in body["contents"] if c["role"] == "model"]
    assert model_turns == [_recorded_parts(first), _recorded_parts(second)]
    assert body["contents"][-1] == {"role": "user", "parts": [{"text": "Thanks"}]}
