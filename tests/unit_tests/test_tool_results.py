"""Issue 14: tool results with media, ids and order, checked on the exact request.

Sent bodies are also validated against google-genai's published types (a
test-only dependency): their pydantic models forbid unknown fields.
"""

from __future__ import annotations

import base64
import operator
from functools import reduce
from typing import Any

import pytest
from google.genai import types as genai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._parts import GENERATED_ID_PREFIX
from langchain_cometgemini.testing import PNG_1X1, GeminiEmulator, Reply
from tests.recordings import load

G3 = "gemini-3-flash-preview"
G25 = "gemini-2.5-flash"
PNG = base64.b64encode(PNG_1X1).decode()
PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()
MP3 = base64.b64encode(b"ID3\x03tiny").decode()
# A real Gemini 3 answer: a function call with a signature and no id.
RECORDED = "test_multimodal_tool_return_matrix_direct-url-document-google_gemini3___1"


def llm(emulator: GeminiEmulator, model: str = G3) -> ChatCometGemini:
    return ChatCometGemini(
        model=model, base_url=emulator.url, api_key="test", max_retries=0
    )


def body(emulator: GeminiEmulator, index: int = -1) -> dict[str, Any]:
    sent: dict[str, Any] = emulator.requests[index].body
    for turn in sent["contents"]:  # the service's own types accept it
        genai.Content.model_validate(turn)
    return sent


def media_result(call_id: str, *, status: str = "success") -> ToolMessage:
    return ToolMessage(
        [
            {"type": "text", "text": '{"report": {"$ref": "report.pdf"}}'},
            {
                "type": "file",
                "base64": PDF,
                "mime_type": "application/pdf",
                "extras": {"display_name": "report.pdf"},
            },
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
            {"type": "audio", "base64": MP3, "mime_type": "audio/mpeg"},
        ],
        tool_call_id=call_id,
        status=status,  # type: ignore[arg-type]
    )


NESTED = [
    {
        "inlineData": {
            "mimeType": "application/pdf",
            "data": PDF,
            "displayName": "report.pdf",
        }
    },
    {"inlineData": {"mimeType": "image/png", "data": PNG}},
]
AFTER = {"inlineData": {"mimeType": "audio/mpeg", "data": MP3}}


@pytest.mark.parametrize("streaming", [False, True])
def test_recorded_gemini3_call_round_trips_with_media_result(
    emulator: GeminiEmulator, streaming: bool
) -> None:
    recording = load(RECORDED)
    emulator.queue(Reply.from_recording(recording), Reply.text("A PDF and a chart."))
    model = llm(emulator)
    ask = [HumanMessage("Get the file.")]
    ai = reduce(operator.add, model.stream(ask)) if streaming else model.invoke(ask)
    (call,) = ai.tool_calls
    assert call["name"] == "get_file"
    assert call["id"].startswith(GENERATED_ID_PREFIX)  # the service sent none
    signature = recording["response_json"]["candidates"][0]["content"]["parts"][0][
        "thoughtSignature"
    ]
    final = model.invoke([*ask, ai, media_result(call["id"])])
    assert final.text == "A PDF and a chart."
    contents = body(emulator)["contents"]
    assert contents[1] == {
        "role": "model",
        "parts": [
            {
                "functionCall": {"name": "get_file", "args": call["args"]},
                "thoughtSignature": signature,
            }
        ],
    }
    assert contents[2] == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "name": "get_file",
                    "response": {"report": {"$ref": "report.pdf"}},
                    "parts": NESTED,
                }
            },
            AFTER,  # audio is not among the nested types Google lists
        ],
    }


def test_gemini25_gets_media_after_the_responses(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.text("ok"))
    ai = AIMessage(
        "",
        tool_calls=[
            {"name": "get_file", "args": {}, "id": "a"},
            {"name": "get_time", "args": {}, "id": "b"},
        ],
    )
    llm(emulator, G25).invoke(
        [
            HumanMessage("go"),
            ai,
            media_result("a"),
            ToolMessage("noon", tool_call_id="b"),
        ]
    )
    parts = body(emulator)["contents"][2]["parts"]
    assert parts == [
        {
            "functionResponse": {
                "name": "get_file",
                "response": {"report": {"$ref": "report.pdf"}},
                "id": "a",
            }
        },
        {
            "functionResponse": {
                "name": "get_time",
                "response": {"output": "noon"},
                "id": "b",
            }
        },
        {"inlineData": {"mimeType": "application/pdf", "data": PDF}},
        {"inlineData": {"mimeType": "image/png", "data": PNG}},
        AFTER,
    ]


def test_error_status_goes_out_as_error_with_its_media(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.text("sorry"))
    ai = AIMessage("", tool_calls=[{"name": "shot", "args": {}, "id": "s1"}])
    result = ToolMessage(
        [
            {"type": "text", "text": "page crashed"},
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
        ],
        tool_call_id="s1",
        status="error",
    )
    llm(emulator).invoke([HumanMessage("go"), ai, result])
    (response,) = body(emulator)["contents"][2]["parts"]
    assert response == {
        "functionResponse": {
            "name": "shot",
            "response": {"error": "page crashed"},
            "parts": [{"inlineData": {"mimeType": "image/png", "data": PNG}}],
            "id": "s1",
        }
    }


def test_media_only_result_has_an_empty_response(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.text("ok"))
    ai = AIMessage("", tool_calls=[{"name": "shot", "args": {}, "id": "s1"}])
    result = ToolMessage(
        [{"type": "image", "base64": PNG, "mime_type": "image/png"}], tool_call_id="s1"
    )
    llm(emulator).invoke([HumanMessage("go"), ai, result])
    (response,) = body(emulator)["contents"][2]["parts"]
    assert response["functionResponse"]["response"] == {}
    assert response["functionResponse"]["parts"] == [NESTED[1]]


@pytest.mark.parametrize(
    ("blocks", "match"),
    [
        (
            [{"type": "text", "text": '{"x": {"$ref": "missing.png"}}'}],
            "missing.png",
        ),
        (
            [
                {
                    "type": "image",
                    "base64": PNG,
                    "mime_type": "image/png",
                    "extras": {"display_name": "a.png"},
                },
                {
                    "type": "image",
                    "base64": PNG,
                    "mime_type": "image/png",
                    "extras": {"display_name": "a.png"},
                },
            ],
            "unique",
        ),
    ],
)
def test_bad_references_are_refused_before_sending(
    emulator: GeminiEmulator, blocks: list[dict[str, Any]], match: str
) -> None:
    ai = AIMessage("", tool_calls=[{"name": "shot", "args": {}, "id": "s1"}])
    blocks = [*blocks, {"type": "image", "base64": PNG, "mime_type": "image/png"}]
    with pytest.raises(ValueError, match=match):
        llm(emulator).invoke(
            [HumanMessage("go"), ai, ToolMessage(blocks, tool_call_id="s1")]
        )
    assert emulator.requests == []


def parallel(ids: tuple[str, str]) -> list[BaseMessage]:
    ai = AIMessage(
        "",
        tool_calls=[
            {"name": "weather", "args": {"city": "Oslo"}, "id": ids[0]},
            {"name": "weather", "args": {"city": "Rome"}, "id": ids[1]},
        ],
    )
    # Answered out of order: Rome first.
    return [
        HumanMessage("Weather in Oslo and Rome?"),
        ai,
        ToolMessage("sunny", tool_call_id=ids[1]),
        ToolMessage("snow", tool_call_id=ids[0]),
    ]


def test_parallel_calls_answered_out_of_order_keep_ids_and_order(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.text("ok"))
    llm(emulator).invoke(parallel(("c1", "c2")))
    contents = body(emulator)["contents"]
    assert [p["functionCall"]["id"] for p in contents[1]["parts"]] == ["c1", "c2"]
    assert contents[2]["parts"] == [
        {
            "functionResponse": {
                "name": "weather",
                "response": {"output": "snow"},
                "id": "c1",
            }
        },
        {
            "functionResponse": {
                "name": "weather",
                "response": {"output": "sunny"},
                "id": "c2",
            }
        },
    ]


def test_generated_ids_are_not_sent_and_order_follows_the_calls(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(
        Reply.tool_calls(("weather", {"city": "Oslo"}), ("weather", {"city": "Rome"})),
        Reply.text("ok"),
    )
    model = llm(emulator)
    ai = reduce(operator.add, model.stream("Weather in Oslo and Rome?"))
    first, second = ai.tool_calls
    model.invoke(
        [
            HumanMessage("Weather in Oslo and Rome?"),
            ai,
            ToolMessage("sunny", tool_call_id=second["id"]),
            ToolMessage("snow", tool_call_id=first["id"]),
        ]
    )
    contents = body(emulator)["contents"]
    assert [p["functionCall"] for p in contents[1]["parts"]] == [
        {"name": "weather", "args": {"city": "Oslo"}},
        {"name": "weather", "args": {"city": "Rome"}},
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "weather", "response": {"output": "snow"}}},
        {"functionResponse": {"name": "weather", "response": {"output": "sunny"}}},
    ]
