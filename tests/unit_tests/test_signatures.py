"""Thought signatures: kept where langchain-google-genai keeps them, and sent
back byte-identical on the next turn.

Places: thinking blocks (``signature``), text and image blocks
(``extras.signature``), function calls
(``additional_kwargs["__gemini_function_call_thought_signatures__"]``, keyed by
tool-call id). The signatures used are real ones taken from the recordings, so
their length and alphabet (``+``, ``/``, ``=``) are what the service sends.
"""

from __future__ import annotations

import operator
import warnings
from functools import reduce
from typing import Any

import pytest
from langchain_core.load import dumps, loads
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.recordings import events, load

SIGNATURES_KEY = "__gemini_function_call_thought_signatures__"
SKIP = "skip_thought_signature_validator"


def _signatures(name: str) -> list[str]:
    return [
        part["thoughtSignature"]
        for event in events(load(name))
        for candidate in event.get("candidates", [])
        for part in candidate.get("content", {}).get("parts", [])
        if "thoughtSignature" in part
    ]


SIG_CALL = _signatures("test_google_instructions_only_with_tool_calls__0")[0]
SIG_CALL_2 = _signatures("test_google_streaming_tool_call_thought_signature__0")[0]
SIG_TEXT = _signatures("test_google_model_thinking_part__0")[0]
SIG_THINK, SIG_IMAGE = _signatures("test_native_output_with_builtin_tools_stream__0")[
    -2:
]
assert len({SIG_CALL, SIG_CALL_2, SIG_TEXT, SIG_THINK, SIG_IMAGE}) == 5
assert any(c in SIG_CALL for c in "+/")  # standard base64: must not be re-encoded

PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx"
    "0gAAAABJRU5ErkJggg=="
)
DONE = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "ok"}]},
            "finishReason": "STOP",
        }
    ]
}


def llm_for(
    emulator: GeminiEmulator, model: str = "gemini-3-flash-preview"
) -> ChatCometGemini:
    return ChatCometGemini(base_url=emulator.url, api_key="test", model=model)


def event(*parts: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": "gemini-3-flash-preview"}


# One model turn carrying every kind of signed part.
SIGNED_PARTS: list[dict[str, Any]] = [
    {
        "text": "Considering the request.",
        "thought": True,
        "thoughtSignature": SIG_THINK,
    },
    {"text": "Here is a picture.", "thoughtSignature": SIG_TEXT},
    {
        "inlineData": {"mimeType": "image/png", "data": PNG_B64},
        "thoughtSignature": SIG_IMAGE,
    },
    {
        "functionCall": {"name": "lookup", "args": {"q": "a"}, "id": "fc-1"},
        "thoughtSignature": SIG_CALL,
    },
    {"functionCall": {"name": "lookup", "args": {"q": "b"}, "id": "fc-2"}},
]

# The same turn as the service streams it: thinking split, the text signature on
# a trailing empty part, each call in its own event.
SIGNED_EVENTS: list[dict[str, Any]] = [
    event({"text": "Considering ", "thought": True}),
    event({"text": "the request.", "thought": True, "thoughtSignature": SIG_THINK}),
    event({"text": "Here is "}),
    event({"text": "a picture.", "thoughtSignature": SIG_TEXT}),
    event(
        {
            "inlineData": {"mimeType": "image/png", "data": PNG_B64},
            "thoughtSignature": SIG_IMAGE,
        }
    ),
    event(
        {
            "functionCall": {"name": "lookup", "args": {"q": "a"}, "id": "fc-1"},
            "thoughtSignature": SIG_CALL,
        }
    ),
    event(
        {"functionCall": {"name": "lookup", "args": {"q": "b"}, "id": "fc-2"}},
        finish="STOP",
    ),
]


def blocks_of(message: BaseMessage) -> list[dict[str, Any]]:
    """Content blocks without the stream-only ``index`` key."""
    assert isinstance(message.content, list)
    return [
        {k: v for k, v in b.items() if k != "index"}
        if isinstance(b, dict)
        else {"str": b}
        for b in message.content
    ]


def assert_signatures_kept(message: AIMessage) -> None:
    """Each signature sits where langchain-google-genai keeps it."""
    blocks = [b for b in blocks_of(message) if b.get("str") != ""]
    thinking = [b for b in blocks if b.get("type") == "thinking"]
    assert thinking == [
        {
            "type": "thinking",
            "thinking": "Considering the request.",
            "signature": SIG_THINK,
        }
    ]
    texts = [b for b in blocks if b.get("type") == "text"]
    assert [b["extras"]["signature"] for b in texts] == [SIG_TEXT]
    images = [b for b in blocks if b.get("type") == "image_url"]
    assert images == [
        {
            "type": "image_url",
            "image_url": {"url": f"data:image/png;base64,{PNG_B64}"},
            "extras": {"signature": SIG_IMAGE},
        }
    ]
    assert message.additional_kwargs[SIGNATURES_KEY] == {"fc-1": SIG_CALL}
    assert [c["id"] for c in message.tool_calls] == ["fc-1", "fc-2"]


def follow_up(emulator: GeminiEmulator, message: AIMessage) -> list[dict[str, Any]]:
    """Send ``message`` back with tool results; the model turn that went out."""
    emulator.queue(Reply(json=DONE))
    llm_for(emulator).invoke(
        [
            HumanMessage("show me"),
            message,
            ToolMessage("A", tool_call_id="fc-1"),
            ToolMessage("B", tool_call_id="fc-2"),
        ]
    )
    contents = emulator.requests[-1].body["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    return list(contents[1]["parts"])


def sent_signatures(parts: list[dict[str, Any]]) -> list[str]:
    return [p["thoughtSignature"] for p in parts if "thoughtSignature" in p]


def test_unary_signatures_kept_and_sent_back(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=event(*SIGNED_PARTS, finish="STOP")))
    message = llm_for(emulator).invoke("show me")
    assert_signatures_kept(message)
    assert follow_up(emulator, message) == SIGNED_PARTS


def test_stream_signatures_survive_aggregation_and_go_back(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply(events=SIGNED_EVENTS))
    message = reduce(operator.add, llm_for(emulator).stream("show me"))
    assert isinstance(message, AIMessage)
    assert_signatures_kept(message)
    parts = follow_up(emulator, message)
    assert sent_signatures(parts) == [SIG_THINK, SIG_TEXT, SIG_IMAGE, SIG_CALL]
    assert parts[0] == {
        "text": "Considering the request.",
        "thought": True,
        "thoughtSignature": SIG_THINK,
    }
    text = "".join(
        p.get("text", "") for p in parts if "text" in p and not p.get("thought")
    )
    assert text == "Here is a picture."
    assert parts[-2:] == SIGNED_PARTS[-2:]


def test_stream_trailing_empty_signed_text_part(emulator: GeminiEmulator) -> None:
    """Gemini 3 often signs an empty text part that ends the stream."""
    emulator.queue(
        Reply(
            events=[
                event({"text": '{"city": "'}),
                event({"text": 'Paris"}'}),
                event({"text": "", "thoughtSignature": SIG_TEXT}, finish="STOP"),
            ]
        )
    )
    message = reduce(operator.add, llm_for(emulator).stream("hi"))
    assert message.text == '{"city": "Paris"}'
    emulator.queue(Reply(json=DONE))
    llm_for(emulator).invoke([HumanMessage("hi"), message, HumanMessage("thanks")])
    parts = emulator.requests[-1].body["contents"][1]["parts"]
    assert "".join(p["text"] for p in parts) == '{"city": "Paris"}'
    assert sent_signatures(parts) == [SIG_TEXT]


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_signatures_survive_serialization(emulator: GeminiEmulator, mode: str) -> None:
    llm = llm_for(emulator)
    if mode == "invoke":
        emulator.queue(Reply(json=event(*SIGNED_PARTS, finish="STOP")))
        message = llm.invoke("show me")
    else:
        emulator.queue(Reply(events=SIGNED_EVENTS))
        message = reduce(operator.add, llm.stream("show me"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        restored = loads(dumps(message), allowed_objects="messages")
    assert isinstance(restored, AIMessage)
    assert restored.content == message.content
    assert restored.additional_kwargs == message.additional_kwargs
    assert_signatures_kept(restored)
    assert follow_up(emulator, restored) == follow_up(emulator, message)


def test_recorded_stream_signature_round_trip(emulator: GeminiEmulator) -> None:
    """The real streamed Gemini 3 call: its signature goes back unchanged."""
    recording = load("test_google_streaming_tool_call_thought_signature__0")
    emulator.queue(Reply.from_recording(recording), Reply(json=DONE))
    llm = llm_for(emulator, "gemini-3-pro-preview")
    message = reduce(operator.add, llm.stream("hi"))
    (tool_call,) = message.tool_calls
    assert message.additional_kwargs[SIGNATURES_KEY] == {tool_call["id"]: SIG_CALL_2}
    llm.invoke(
        [
            HumanMessage("hi"),
            message,
            ToolMessage("France", tool_call_id=tool_call["id"]),
        ]
    )
    parts = emulator.requests[-1].body["contents"][1]["parts"]
    assert parts == [
        {
            # The service sent the call without an id: none is made up.
            "functionCall": {"name": "get_country", "args": {}},
            "thoughtSignature": SIG_CALL_2,
        }
    ]


# -- Gemini 3 placeholder for unsigned calls -------------------------------------


def unsigned_history() -> list[BaseMessage]:
    return [
        HumanMessage("weather?"),
        AIMessage(
            content="",
            tool_calls=[
                {"name": "w", "args": {"c": "Paris"}, "id": "a"},
                {"name": "w", "args": {"c": "Rome"}, "id": "b"},
            ],
        ),
        ToolMessage("sun", tool_call_id="a"),
        ToolMessage("rain", tool_call_id="b"),
        AIMessage(
            content="", tool_calls=[{"name": "w", "args": {"c": "Oslo"}, "id": "c"}]
        ),
        ToolMessage("snow", tool_call_id="c"),
    ]


def model_turns(emulator: GeminiEmulator) -> list[list[dict[str, Any]]]:
    return [
        c["parts"]
        for c in emulator.requests[-1].body["contents"]
        if c["role"] == "model"
    ]


@pytest.mark.parametrize("model", ["gemini-3-flash-preview", "gemini-3.1-pro-preview"])
def test_gemini_3_unsigned_calls_get_placeholder_on_first_call(
    emulator: GeminiEmulator, model: str
) -> None:
    emulator.queue(Reply(json=DONE))
    llm_for(emulator, model).invoke(unsigned_history())
    first, second = model_turns(emulator)
    assert [p.get("thoughtSignature") for p in first] == [SKIP, None]
    assert [p.get("thoughtSignature") for p in second] == [SKIP]


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.5-pro"])
def test_gemini_2_5_gets_no_placeholder(emulator: GeminiEmulator, model: str) -> None:
    emulator.queue(Reply(json=DONE))
    llm_for(emulator, model).invoke(unsigned_history())
    for turn in model_turns(emulator):
        assert all("thoughtSignature" not in p for p in turn)


def test_gemini_3_signed_calls_keep_their_own_signature(
    emulator: GeminiEmulator,
) -> None:
    history = unsigned_history()
    history[1].additional_kwargs[SIGNATURES_KEY] = {"a": SIG_CALL}
    emulator.queue(Reply(json=DONE))
    llm_for(emulator).invoke(history)
    first, second = model_turns(emulator)
    assert [p.get("thoughtSignature") for p in first] == [SIG_CALL, None]
    assert [p.get("thoughtSignature") for p in second] == [SKIP]


def test_placeholder_per_call_override_of_model(emulator: GeminiEmulator) -> None:
    """The placeholder follows the model of the call, not of the instance."""
    emulator.queue(Reply(json=DONE), Reply(json=DONE))
    llm = llm_for(emulator, "gemini-2.5-flash")
    llm.invoke(unsigned_history(), model="gemini-3-flash-preview")
    assert model_turns(emulator)[0][0]["thoughtSignature"] == SKIP
    llm.invoke(unsigned_history())
    assert "thoughtSignature" not in model_turns(emulator)[0][0]
