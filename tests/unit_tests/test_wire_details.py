"""Issue 19, wire details found in review: per-part ``media_resolution`` inside
``functionResponse.parts`` (Gemini 3) and left out, with a warning, for 2.5;
media options on a text block refused; video offsets in Google's exact
Duration format; multi-speaker speech with exactly two speakers; the
model-wide ``media_resolution`` checked against Google's enum. Requests
checked exactly and against google-genai's types.
"""

from __future__ import annotations

import base64
import operator
from datetime import timedelta
from decimal import Decimal
from functools import reduce
from typing import Any

import pytest
from google.genai import types as genai
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from pydantic import ValidationError

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._media import part_options
from langchain_cometgemini.testing import PNG_1X1, GeminiEmulator, Reply
from tests.genai_check import check, validated

G3 = "gemini-3-flash-preview"
PNG = base64.b64encode(PNG_1X1).decode()
HIGH = {"level": "MEDIA_RESOLUTION_HIGH"}
IMAGE = {
    "type": "image",
    "base64": PNG,
    "mime_type": "image/png",
    "extras": {"media_resolution": "high"},
}


def llm(emulator: GeminiEmulator, model: str = G3, **settings: Any) -> ChatCometGemini:
    return ChatCometGemini(
        model=model, base_url=emulator.url, api_key="test", max_retries=0, **settings
    )


def history() -> list[Any]:
    return [
        HumanMessage("Show me the chart."),
        AIMessage("", tool_calls=[{"name": "get_chart", "args": {}, "id": "c1"}]),
        ToolMessage([IMAGE], tool_call_id="c1", name="get_chart"),
    ]


CALL_TURN = {
    "role": "model",
    "parts": [
        {
            "functionCall": {"name": "get_chart", "args": {}, "id": "c1"},
            "thoughtSignature": "skip_thought_signature_validator",
        }
    ],
}


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
def test_resolution_inside_function_response_parts(
    emulator: GeminiEmulator, streamed: bool
) -> None:
    emulator.queue(Reply.text("A chart."))
    model = llm(emulator)
    message = (
        reduce(operator.add, model.stream(history()))
        if streamed
        else model.invoke(history())
    )
    body = validated(emulator.last_request.body)
    nested = {
        "inlineData": {"mimeType": "image/png", "data": PNG},
        "mediaResolution": HIGH,
    }
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Show me the chart."}]},
        CALL_TURN,
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "name": "get_chart",
                        "response": {},
                        "parts": [nested],
                        "id": "c1",
                    }
                }
            ],
        },
    ]
    check(genai.FunctionResponsePart, nested)
    assert message.text == "A chart."


def test_per_part_resolution_left_out_for_2_5_with_a_warning(
    emulator: GeminiEmulator,
) -> None:
    message = HumanMessage(["Describe it.", IMAGE])
    with pytest.warns(UserWarning, match="per-part media_resolution is a Gemini 3"):
        llm(emulator, "gemini-2.5-flash").invoke([message])
    assert validated(emulator.last_request.body)["contents"] == [
        {
            "role": "user",
            "parts": [
                {"text": "Describe it."},
                {"inlineData": {"mimeType": "image/png", "data": PNG}},
            ],
        }
    ]
    llm(emulator).invoke([message])  # Gemini 3 keeps it
    assert emulator.last_request.body["contents"][0]["parts"][1] == {
        "inlineData": {"mimeType": "image/png", "data": PNG},
        "mediaResolution": HIGH,
    }


@pytest.mark.parametrize(
    "extras",
    [{"media_resolution": "high"}, {"video_metadata": {"fps": 1}}],
)
def test_media_options_on_a_text_block_are_refused(
    emulator: GeminiEmulator, extras: dict[str, Any]
) -> None:
    text = {"type": "text", "text": "Hi", "extras": extras}
    with pytest.raises(ValueError, match=r"was given on a 'text' block"):
        llm(emulator).invoke([HumanMessage([text])])
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("seconds", "wire"),
    [
        (10, "10s"),
        (2.5, "2.5s"),
        (0.000001, "0.000001s"),  # was "1e-06s"
        (123456.789, "123456.789s"),  # was "123457s"
        (0.1 + 0.2, "0.3s"),  # 0.30000000000000004: nine digits at most
        (Decimal("1.123456789"), "1.123456789s"),
        (timedelta(microseconds=1), "0.000001s"),
        (timedelta(days=1, microseconds=500_000), "86400.5s"),
        ("12.25s", "12.25s"),
    ],
)
def test_video_offsets_in_googles_duration_format(seconds: Any, wire: str) -> None:
    options = part_options({"video_metadata": {"start_offset": seconds}}, "video")
    assert options == {"videoMetadata": {"startOffset": wire}}
    genai.VideoMetadata.model_validate(options["videoMetadata"])


@pytest.mark.parametrize("seconds", [float("inf"), float("nan"), -0.5, 10**12])
def test_bad_video_offsets_are_refused(seconds: Any) -> None:
    with pytest.raises(ValueError, match="start_offset must be seconds"):
        part_options({"video_metadata": {"start_offset": seconds}}, "video")


@pytest.mark.parametrize(
    "speakers",
    [{"Joe": "Kore"}, {"Joe": "Kore", "Jane": "Puck", "Ann": "Zephyr"}],
    ids=["one", "three"],
)
def test_multi_speaker_needs_exactly_two(
    emulator: GeminiEmulator, speakers: dict[str, str]
) -> None:
    config = {"speakers": speakers}
    with pytest.raises(ValidationError, match="exactly two speakers"):
        llm(emulator, "gemini-2.5-flash-preview-tts", speech_config=config)
    with pytest.raises(ValidationError, match="exactly two speakers"):
        llm(emulator, "gemini-2.5-flash-preview-tts").invoke("Hi", speech_config=config)
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("low", "MEDIA_RESOLUTION_LOW"),
        ("MEDIA_RESOLUTION_HIGH", "MEDIA_RESOLUTION_HIGH"),
        (genai.MediaResolution.MEDIA_RESOLUTION_MEDIUM, "MEDIA_RESOLUTION_MEDIUM"),
    ],
)
def test_model_wide_resolution_in_googles_enum(value: Any, wire: str) -> None:
    model = ChatCometGemini(api_key="test", media_resolution=value)
    assert model.media_resolution == wire
    genai.GenerateContentConfig.model_validate({"mediaResolution": wire})


@pytest.mark.parametrize("value", ["ultra_high", "MEDIA_RESOLUTION_ULTRA", "hi"])
def test_model_wide_resolution_outside_the_enum_is_refused(
    emulator: GeminiEmulator, value: str
) -> None:
    with pytest.raises(ValidationError, match="media_resolution must be one of"):
        ChatCometGemini(api_key="test", media_resolution=value)
    with pytest.raises(ValidationError, match="media_resolution must be one of"):
        llm(emulator).invoke("Hi", media_resolution=value)
    assert emulator.requests == []
