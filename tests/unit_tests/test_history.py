"""Histories from anywhere (``_history``) and the checks made before sending.

Each foreign shape below is what langchain-anthropic / langchain-openai put in
``AIMessage.content`` (native and v1 output), or what langchain-core's
``google_genai`` translator makes of a Gemini answer (``output_version="v1"``).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_cometgemini._config import supported_level, thinking_config
from langchain_cometgemini._history import from_gemini
from langchain_cometgemini._normalize import check_model_id
from langchain_cometgemini._request import SKIP_SIGNATURE, build_contents
from langchain_cometgemini._tools import check_function_name, convert_tools

CALL = {"name": "get_weather", "args": {"city": "Paris"}, "id": "toolu_1"}


def model_turn(message: AIMessage, model: str = "gemini-2.5-flash") -> list[Any]:
    """The parts the AI message becomes, between a question and a tool answer."""
    messages: list[Any] = [HumanMessage("Weather in Paris?"), message]
    if message.tool_calls:
        messages.append(ToolMessage("Sunny", tool_call_id=message.tool_calls[0]["id"]))
    _, contents = build_contents(messages, model=model)
    assert contents[1]["role"] == "model"
    parts: list[Any] = contents[1]["parts"]
    return parts


def anthropic(content: list[Any], **kw: Any) -> AIMessage:
    return AIMessage(
        content=content,
        response_metadata={"model_provider": "anthropic"},
        **kw,
    )


def test_anthropic_turn_keeps_text_drops_thinking_and_tool_use() -> None:
    message = anthropic(
        [
            {"type": "thinking", "thinking": "Let me look.", "signature": "EqQBCkYI"},
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
            {
                "type": "text",
                "text": "Checking.",
                "citations": [{"type": "char_location", "cited_text": "x"}],
            },
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
        ],
        tool_calls=[CALL],
    )
    parts = model_turn(message)
    assert parts == [
        {"text": "Checking."},
        {
            "functionCall": {
                "name": "get_weather",
                "args": {"city": "Paris"},
                "id": "toolu_1",
            }
        },
    ]


def test_anthropic_v1_reasoning_signature_is_not_sent_to_gemini_3() -> None:
    # The v1 view of a Claude answer: reasoning with its signature in extras,
    # the same shape Gemini's own v1 reasoning has; model_provider decides.
    message = anthropic(
        [
            {"type": "reasoning", "reasoning": "Hmm", "extras": {"signature": "Eq"}},
            {"type": "text", "text": "Done."},
            {"type": "tool_call", **CALL},
        ],
        tool_calls=[CALL],
    )
    parts = model_turn(message, model="gemini-3-flash-preview")
    assert parts[0] == {"text": "Done."}
    # A foreign call has no Gemini signature: the documented placeholder.
    assert parts[1]["thoughtSignature"] == SKIP_SIGNATURE
    assert all(not p.get("thought") for p in parts)


def test_anthropic_server_tools_are_left_out() -> None:
    message = anthropic(
        [
            {
                "type": "server_tool_use",
                "id": "srvtoolu_1",
                "name": "web_search",
                "input": {"query": "weather"},
            },
            {
                "type": "web_search_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": [{"type": "web_search_result", "url": "https://x"}],
            },
            {"type": "text", "text": "It is sunny."},
        ]
    )
    assert model_turn(message) == [{"text": "It is sunny."}]


def test_openai_responses_reasoning_summary_is_not_an_empty_thought() -> None:
    message = AIMessage(
        content=[
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "Thinking about Paris"}],
            },
            {
                "type": "function_call",
                "name": "get_weather",
                "arguments": "{}",
                "call_id": "call_1",
                "id": "fc_1",
            },
            {"type": "text", "text": "Let me check.", "annotations": [], "id": "msg_1"},
        ],
        tool_calls=[{**CALL, "id": "call_1"}],
        response_metadata={"model_provider": "openai"},
    )
    parts = model_turn(message)
    assert parts[0] == {"text": "Let me check."}
    assert list(parts[1]) == ["functionCall"]
    assert len(parts) == 2


def test_openai_refusal_goes_as_text_and_v1_search_blocks_are_left_out() -> None:
    message = AIMessage(
        content=[
            {
                "type": "server_tool_call",
                "name": "web_search",
                "id": "ws_1",
                "args": {"query": "q"},
            },
            {"type": "server_tool_result", "tool_call_id": "ws_1", "status": "success"},
            {"type": "refusal", "refusal": "I can't help with that."},
            {"type": "non_standard", "value": {"type": "refusal", "refusal": "No."}},
        ],
        response_metadata={"model_provider": "openai"},
    )
    assert model_turn(message) == [
        {"text": "I can't help with that."},
        {"text": "No."},
    ]


def test_openai_v1_code_interpreter_goes_as_code_execution() -> None:
    message = AIMessage(
        content=[
            {
                "type": "server_tool_call",
                "name": "code_interpreter",
                "id": "ci_1",
                "args": {"code": "print(2 + 2)"},
            },
            {
                "type": "server_tool_result",
                "tool_call_id": "ci_1",
                "status": "success",
                "output": [{"type": "logs", "logs": "4"}],
            },
            {"type": "text", "text": "4"},
        ],
        response_metadata={"model_provider": "openai"},
    )
    parts = model_turn(message)
    assert parts[0] == {
        "executableCode": {"language": "PYTHON", "code": "print(2 + 2)"}
    }
    assert parts[1]["codeExecutionResult"]["outcome"] == "OUTCOME_OK"
    assert '"logs": "4"' in parts[1]["codeExecutionResult"]["output"]
    assert parts[2] == {"text": "4"}


def gemini_v1_answer() -> AIMessage:
    """What a Gemini answer with code execution and thoughts is in v1 output."""
    native = AIMessage(
        content=[
            {"type": "thinking", "thinking": "Compute it.", "signature": "c2ln"},
            {
                "type": "executable_code",
                "executable_code": "print(2 + 2)",
                "language": "PYTHON",
                "id": "e1",
            },
            {
                "type": "code_execution_result",
                "code_execution_result": "4\n",
                "outcome": 1,
                "tool_call_id": "",
            },
            {"type": "text", "text": "It is 4.", "extras": {"signature": "dGV4dA=="}},
        ],
        response_metadata={"model_provider": "google_genai"},
    )
    return AIMessage(
        content=native.content_blocks,  # type: ignore[arg-type]
        response_metadata={"model_provider": "google_genai", "output_version": "v1"},
    )


def test_gemini_v1_answer_goes_back_with_code_thoughts_and_signatures() -> None:
    message = gemini_v1_answer()
    kinds = [b["type"] for b in message.content]  # type: ignore[index]
    assert kinds == ["reasoning", "server_tool_call", "server_tool_result", "text"]
    assert model_turn(message, model="gemini-3-flash-preview") == [
        {"text": "Compute it.", "thought": True, "thoughtSignature": "c2ln"},
        {"executableCode": {"language": "PYTHON", "code": "print(2 + 2)"}},
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4\n"}},
        {"text": "It is 4.", "thoughtSignature": "dGV4dA=="},
    ]


def test_failed_code_result_keeps_its_outcome() -> None:
    message = AIMessage(
        content=[
            {
                "type": "server_tool_call",
                "name": "code_interpreter",
                "id": "x",
                "args": {"code": "1/0", "language": "python"},
            },
            {
                "type": "server_tool_result",
                "tool_call_id": "",
                "status": "error",
                "output": "ZeroDivisionError",
                "extras": {"outcome": 2},
            },
        ],
        response_metadata={"model_provider": "google_genai"},
    )
    assert model_turn(message)[1] == {
        "codeExecutionResult": {
            "outcome": "OUTCOME_FAILED",
            "output": "ZeroDivisionError",
        }
    }


@pytest.mark.parametrize(
    "block",
    [
        {"type": "thinking", "thinking": ""},
        {"type": "reasoning", "reasoning": ""},
        {"type": "reasoning"},
        {"type": "text", "text": ""},
    ],
)
def test_no_empty_part_is_sent(block: dict[str, Any]) -> None:
    message = AIMessage(
        content=[block, {"type": "text", "text": "ok"}],
        response_metadata={"model_provider": "google_genai"},
    )
    assert model_turn(message) == [{"text": "ok"}]


def test_gemini_signature_only_text_part_goes_back() -> None:
    message = AIMessage(
        content=[
            {"type": "text", "text": "Hi"},
            {"type": "text", "text": "", "extras": {"signature": "s"}},
        ],
        response_metadata={"model_provider": "google_genai"},
    )
    assert model_turn(message) == [
        {"text": "Hi"},
        {"text": "", "thoughtSignature": "s"},
    ]


def test_function_call_signatures_of_a_foreign_message_are_not_sent() -> None:
    message = anthropic(
        [{"type": "text", "text": "x"}],
        tool_calls=[CALL],
        additional_kwargs={
            "__gemini_function_call_thought_signatures__": {"toolu_1": "s"}
        },
    )
    call = model_turn(message)[1]
    assert "thoughtSignature" not in call


@pytest.mark.parametrize(
    ("content", "gemini"),
    [
        ("plain", True),
        ([{"type": "thinking", "thinking": "t", "signature": "s"}], True),
        ([{"type": "tool_use", "id": "t", "name": "n", "input": {}}], False),
        ([{"type": "reasoning", "summary": []}], False),
        ([{"type": "text", "text": "x", "citations": []}], False),
        (
            [{"type": "function_call", "name": "n", "arguments": "{}", "call_id": "c"}],
            False,
        ),
    ],
)
def test_provider_guessed_from_shape_when_not_recorded(
    content: Any, gemini: bool
) -> None:
    assert from_gemini(AIMessage(content=content)) is gemini


def test_unknown_block_type_still_raises_naming_it() -> None:
    message = anthropic([{"type": "hologram", "data": "x"}])
    with pytest.raises(ValueError, match="'hologram'"):
        model_turn(message)


# -- thinking levels per model ------------------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # Gemini 3 Pro takes low/high: minimal goes up to low, medium (a tie) up.
        ("gemini-3-pro-preview", ["LOW", "LOW", "HIGH", "HIGH"]),
        ("gemini-3-flash-preview", ["MINIMAL", "LOW", "MEDIUM", "HIGH"]),
        ("gemini-3.1-pro-preview", ["LOW", "LOW", "MEDIUM", "HIGH"]),
        ("gemini-3.1-flash-image-preview", ["MINIMAL", "MINIMAL", "HIGH", "HIGH"]),
        # An unknown Gemini 3 id gets its family defaults: low/medium/high.
        ("gemini-3-newmodel", ["LOW", "LOW", "MEDIUM", "HIGH"]),
    ],
)
def test_levels_map_to_the_nearest_the_model_has(
    model: str, expected: list[str]
) -> None:
    for effort, level in zip(
        ["minimal", "low", "medium", "high"], expected, strict=True
    ):
        assert thinking_config("3", model, effort=effort) == {"thinkingLevel": level}
        assert thinking_config("3", model, level=effort) == {"thinkingLevel": level}


def test_budget_translated_to_a_level_is_mapped_too() -> None:
    assert thinking_config("3", "gemini-3-pro-preview", budget=0) == {
        "thinkingLevel": "LOW"
    }


@pytest.mark.parametrize("model", ["gemini-2.5-pro", "gemini-2.5-flash"])
def test_gemini_25_takes_every_level_as_a_budget(model: str) -> None:
    budgets = [thinking_config("2.5", model, effort=e) for e in ("low", "high")]
    assert budgets == [{"thinkingBudget": 1024}, {"thinkingBudget": 24576}]


def test_model_without_configurable_thinking_refuses_a_level() -> None:
    with pytest.raises(ValueError, match="takes no thinking level"):
        supported_level("low", "gemini-3-pro-image-preview")


# -- names checked before sending ------------------------------------------------


@pytest.mark.parametrize("name", ["get_weather", "_x", "ns.tool:v1-2", "a" * 64])
def test_valid_function_names(name: str) -> None:
    check_function_name(name)


@pytest.mark.parametrize("name", ["9lives", "has space", "é", "a" * 65, "", "a/b"])
def test_invalid_function_names(name: str) -> None:
    with pytest.raises(ValueError, match="not a valid Gemini function name"):
        convert_tools(
            [{"name": name, "description": "d", "parameters": {"type": "object"}}]
        )


def test_misspelt_builtin_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="Did you mean 'google_search'") as info:
        convert_tools([{"google_serach": {}}])
    assert "code_execution" in str(info.value) and "url_context" in str(info.value)


@pytest.mark.parametrize(
    "model", ["../../evil", "a/b", "gemini:x", "gemini?alt=1", "", ".."]
)
def test_model_ids_that_change_the_path_are_refused(model: str) -> None:
    with pytest.raises(ValueError, match="not a Gemini model id"):
        check_model_id(model)


@pytest.mark.parametrize(
    "model", ["gemini-2.5-flash", "models/gemini-3-pro-preview", "gemini-1.5-pro@001"]
)
def test_model_ids_accepted(model: str) -> None:
    assert check_model_id(model) == model
