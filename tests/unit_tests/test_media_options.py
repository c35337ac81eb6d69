"""Issue 14: per-part media options, audio in and out, speech_config, image
sizes by shape, and the cached-content rule; exact requests and messages.
"""

from __future__ import annotations

import base64
import operator
import wave
from datetime import timedelta
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
from google.genai import types as genai
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_cometgemini import ChatCometGemini, save_audio
from langchain_cometgemini.audio import audio_clips, pcm_format
from langchain_cometgemini.testing import (
    PCM_MIME,
    PCM_TONE,
    PNG_1X1,
    GeminiEmulator,
    Reply,
)

G3 = "gemini-3-flash-preview"
TTS = "gemini-2.5-flash-preview-tts"
PNG = base64.b64encode(PNG_1X1).decode()


def llm(emulator: GeminiEmulator, model: str = G3, **settings: Any) -> ChatCometGemini:
    return ChatCometGemini(
        model=model, base_url=emulator.url, api_key="test", max_retries=0, **settings
    )


def body(emulator: GeminiEmulator) -> dict[str, Any]:
    sent: dict[str, Any] = emulator.requests[-1].body
    for turn in sent["contents"]:
        genai.Content.model_validate(turn)
    genai.GenerateContentConfig.model_validate(sent.get("generationConfig", {}))
    return sent


# -- per-part options -------------------------------------------------------------

OPTIONED = HumanMessage(
    [
        {"type": "text", "text": "Read it, then the clip."},
        {
            "type": "image",
            "base64": PNG,
            "mime_type": "image/png",
            "extras": {"media_resolution": "high"},
        },
        {
            "type": "video",
            "url": "gs://bucket/talk.mp4",
            "mime_type": "video/mp4",
            "extras": {
                "video_metadata": {
                    "start_offset": 60,
                    "end_offset": timedelta(seconds=90.5),
                    "fps": 2,
                },
                "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"},
            },
        },
        {"type": "image", "base64": PNG, "mime_type": "image/png"},
    ]
)


@pytest.mark.parametrize("streaming", [False, True])
def test_per_part_options_reach_their_part_only(
    emulator: GeminiEmulator, streaming: bool
) -> None:
    emulator.queue(Reply.text("Seen."))
    model = llm(emulator, media_resolution="medium")
    if streaming:
        answer = reduce(operator.add, model.stream([OPTIONED]))
    else:
        answer = model.invoke([OPTIONED])
    assert answer.text == "Seen."
    sent = body(emulator)
    assert sent["contents"][0]["parts"] == [
        {"text": "Read it, then the clip."},
        {
            "inlineData": {"mimeType": "image/png", "data": PNG},
            "mediaResolution": {"level": "MEDIA_RESOLUTION_HIGH"},
        },
        {
            "fileData": {"fileUri": "gs://bucket/talk.mp4", "mimeType": "video/mp4"},
            "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"},
            "videoMetadata": {"startOffset": "60s", "endOffset": "90.5s", "fps": 2},
        },
        {"inlineData": {"mimeType": "image/png", "data": PNG}},
    ]
    assert sent["generationConfig"] == {"mediaResolution": "MEDIA_RESOLUTION_MEDIUM"}


@pytest.mark.parametrize(
    ("extras", "match"),
    [
        ({"media_resolution": "extreme"}, "media_resolution"),
        ({"video_metadata": {"start_offset": -1}}, "start_offset"),
        ({"video_metadata": {"fps": 0}}, "fps"),
        ({"video_metadata": {"speed": 2}}, "speed"),
        ({"video_metadata": "10s"}, "video_metadata"),
    ],
)
def test_bad_part_options_are_refused_before_sending(
    emulator: GeminiEmulator, extras: dict[str, Any], match: str
) -> None:
    block = {"type": "video", "url": "gs://b/v.mp4", "extras": extras}
    with pytest.raises(ValueError, match=match):
        llm(emulator).invoke([HumanMessage([block])])
    assert emulator.requests == []


# -- audio out ----------------------------------------------------------------------

TONE_B64 = base64.b64encode(PCM_TONE).decode()


def test_audio_answer_is_a_standard_block_and_saves_as_wav(
    emulator: GeminiEmulator, tmp_path: Path
) -> None:
    emulator.queue(Reply.audio())
    message = llm(emulator, TTS, response_modalities=["AUDIO"]).invoke("Say hi")
    assert message.content == [
        {"type": "audio", "base64": TONE_B64, "mime_type": PCM_MIME, "index": 0}
    ]
    path = save_audio(message, tmp_path / "out" / "hi.wav")
    with wave.open(str(path)) as clip:
        assert (clip.getframerate(), clip.getnchannels(), clip.getsampwidth()) == (
            24000,
            1,
            2,
        )
        assert clip.readframes(clip.getnframes()) == PCM_TONE


def test_streamed_audio_aggregates_into_one_clip(
    emulator: GeminiEmulator, tmp_path: Path
) -> None:
    emulator.queue(Reply.audio(pieces=3))
    chunks = list(llm(emulator, TTS, response_modalities=["AUDIO"]).stream("Say hi"))
    pieces = [c for c in chunks if c.content]
    assert len(pieces) == 3  # one event per piece, surfaced as it came
    whole = reduce(operator.add, chunks)
    assert whole.content == [
        {"type": "audio", "base64": TONE_B64, "mime_type": PCM_MIME, "index": 0}
    ]
    with wave.open(str(save_audio(whole, tmp_path / "s.wav"))) as clip:
        assert clip.readframes(clip.getnframes()) == PCM_TONE


def test_unaligned_audio_pieces_open_a_new_block_and_still_save_whole(
    emulator: GeminiEmulator, tmp_path: Path
) -> None:
    first, second = PCM_TONE[:1000], PCM_TONE[1000:]  # 1000 bytes: base64 padded
    events = [
        Reply.audio(first).json,
        Reply.audio(second).json,
    ]
    del events[0]["candidates"][0]["finishReason"]
    emulator.queue(Reply(events=events))
    whole = reduce(operator.add, llm(emulator, TTS).stream("Say hi"))
    assert [b["index"] for b in whole.content] == [0, 1]
    assert audio_clips(whole)[0].data == PCM_TONE
    with wave.open(str(save_audio(whole, tmp_path / "u.wav"))) as clip:
        assert clip.readframes(clip.getnframes()) == PCM_TONE


def test_audio_in_history_goes_back_as_inline_data(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.text("ok"))
    said = AIMessage([{"type": "audio", "base64": TONE_B64, "mime_type": PCM_MIME}])
    llm(emulator).invoke([HumanMessage("Say hi"), said, HumanMessage("Again")])
    assert body(emulator)["contents"][1] == {
        "role": "model",
        "parts": [{"inlineData": {"mimeType": PCM_MIME, "data": TONE_B64}}],
    }


def test_emulator_default_answers_audio_modality(emulator: GeminiEmulator) -> None:
    message = llm(emulator, TTS, response_modalities=["AUDIO"]).invoke("Say hi")
    (block,) = message.content
    assert isinstance(block, dict) and block["mime_type"] == PCM_MIME


def test_save_audio_refuses_a_message_without_audio(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no audio"):
        save_audio(AIMessage("just text"), tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize(
    ("mime", "expected"),
    [
        ("audio/L16;codec=pcm;rate=24000", (24000, 1)),
        ("audio/pcm; rate=16000; channels=2", (16000, 2)),
        ("audio/L16", (24000, 1)),
        ("audio/wav", None),
    ],
)
def test_pcm_format_reads_the_mime_parameters(
    mime: str, expected: tuple[int, int] | None
) -> None:
    assert pcm_format(mime) == expected


# -- speech_config ------------------------------------------------------------------

KORE = {"prebuiltVoiceConfig": {"voiceName": "Kore"}}
PUCK = {"prebuiltVoiceConfig": {"voiceName": "Puck"}}
DUO = {
    "multiSpeakerVoiceConfig": {
        "speakerVoiceConfigs": [
            {"speaker": "Joe", "voiceConfig": KORE},
            {"speaker": "Jane", "voiceConfig": PUCK},
        ]
    }
}


@pytest.mark.parametrize(
    ("given", "wire"),
    [
        ("Kore", {"voiceConfig": KORE}),
        (
            {"voice": "Kore", "language_code": "en-US"},
            {"voiceConfig": KORE, "languageCode": "en-US"},
        ),
        ({"voiceConfig": KORE}, {"voiceConfig": KORE}),
        (
            {"voice_config": {"prebuilt_voice_config": {"voice_name": "Kore"}}},
            {"voiceConfig": KORE},
        ),
        ({"speakers": {"Joe": "Kore", "Jane": "Puck"}}, DUO),
        (
            {
                "speakers": [
                    {"speaker": "Joe", "voice": "Kore"},
                    {"speaker": "Jane", "voice": "Puck"},
                ]
            },
            DUO,
        ),
        (DUO, DUO),
    ],
)
@pytest.mark.parametrize("streaming", [False, True])
def test_speech_config_is_sent_in_wire_form(
    emulator: GeminiEmulator, given: Any, wire: dict[str, Any], streaming: bool
) -> None:
    emulator.queue(Reply.audio())
    model = llm(emulator, TTS, response_modalities=["AUDIO"])
    if streaming:
        list(model.stream("Say hi", speech_config=given))
    else:
        model.invoke("Say hi", speech_config=given)
    assert body(emulator)["generationConfig"] == {
        "responseModalities": ["AUDIO"],
        "speechConfig": wire,
    }


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ("", "speech_config"),
        ({"voice": "Kore", "speakers": {"Joe": "Puck"}}, "not both"),
        ({}, "speech_config"),
        (
            {
                "speakers": [
                    {"speaker": "Joe", "voice": "Kore"},
                    {"speaker": "Joe", "voice": "Puck"},
                ]
            },
            "unique",
        ),
        ({"speakers": {"Joe": ""}}, "Joe"),
        ({"voice": "Kore", "pitch": 2}, "pitch"),
    ],
)
def test_bad_speech_config_is_refused_before_sending(
    emulator: GeminiEmulator, given: Any, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        llm(emulator, TTS).invoke("Say hi", speech_config=given)
    with pytest.raises(ValueError, match=match):
        llm(emulator, TTS, speech_config=given)
    assert emulator.requests == []


# -- image_config by shape ------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "ratio", "sent"),
    [
        ("512", "1:8", "512"),
        ("1k", "21:9", "1K"),
        ("4K", "4:1", "4K"),
        ("8K", "16:9", "8K"),
    ],
)
def test_image_config_takes_any_value_of_a_valid_shape(
    emulator: GeminiEmulator, size: str, ratio: str, sent: str
) -> None:
    emulator.queue(Reply.image())
    llm(emulator, "gemini-3.1-flash-image-preview").invoke(
        "Draw", image_config={"image_size": size, "aspect_ratio": ratio}
    )
    assert body(emulator)["generationConfig"] == {
        "imageConfig": {"imageSize": sent, "aspectRatio": ratio}
    }


@pytest.mark.parametrize("size", ["3K", "500", "32", "1.5K", "1080p", "K", 512])
def test_image_size_of_a_bad_shape_is_refused(size: Any) -> None:
    with pytest.raises(ValueError, match="image_size"):
        ChatCometGemini(api_key="test", image_config={"image_size": size})


# -- cached content -------------------------------------------------------------------


def weather(city: str) -> str:
    """Weather for a city."""
    return city


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize(
    ("setup", "named"),
    [
        ("system", "the system message"),
        ("tools", "tools"),
        ("choice", "tool_choice"),
    ],
)
def test_cached_content_conflicts_are_refused_before_sending(
    emulator: GeminiEmulator, setup: str, named: str, streaming: bool
) -> None:
    model: Any = llm(emulator, cached_content="cachedContents/c1")
    messages: list[Any] = [HumanMessage("hi")]
    if setup == "system":
        messages.insert(0, SystemMessage("be brief"))
    elif setup == "tools":
        model = model.bind_tools([weather])
    else:
        model = model.bind(tool_config={"functionCallingConfig": {"mode": "NONE"}})
    with pytest.raises(
        ValueError, match=f"cannot be sent with {named}.*inside the cache"
    ):
        if streaming:
            list(model.stream(messages))
        else:
            model.invoke(messages)
    assert emulator.requests == []


def test_cached_content_alone_is_sent(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.text("ok"))
    llm(emulator, cached_content="cachedContents/c1").invoke("hi")
    sent = body(emulator)
    assert sent == {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "cachedContent": "cachedContents/c1",
    }
