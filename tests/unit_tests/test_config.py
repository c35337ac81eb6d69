"""The exact request each setting produces, for a Gemini 2.5 and a Gemini 3 model.

Table-driven: every row is a setting and the ``generationConfig`` plus any
top-level request keys it must produce on ``gemini-2.5-flash`` and on
``gemini-3-flash-preview``. The request is captured by the loopback emulator,
so the test sees what actually goes over the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._config import (
    EFFORT_BUDGETS,
    generation_config,
    thinking_config,
)
from langchain_cometgemini._normalize import normalize_image_config
from langchain_cometgemini.testing import GeminiEmulator, Reply

G25 = "gemini-2.5-flash"
G3 = "gemini-3-flash-preview"
CONTENTS = [{"role": "user", "parts": [{"text": "hi"}]}]
SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}}


@pytest.fixture(scope="module")
def _server() -> Iterator[GeminiEmulator]:
    with GeminiEmulator() as emu:
        yield emu


@pytest.fixture
def emulator(_server: GeminiEmulator) -> GeminiEmulator:
    """One server for the module (stopping one costs ~0.5 s); fresh log per test."""
    _server.requests.clear()
    return _server


def _answer(candidates: int = 1) -> Reply:
    return Reply(
        json={
            "candidates": [
                {
                    "index": i,
                    "content": {"role": "model", "parts": [{"text": f"ok{i}"}]},
                    "finishReason": "STOP",
                }
                for i in range(candidates)
            ],
            "usageMetadata": {"promptTokenCount": 1, "totalTokenCount": 2},
            "modelVersion": "x",
        }
    )


# (id, constructor settings, per-call settings, 2.5 request, Gemini 3 request).
# A request is (generationConfig, other top-level keys).
Row = tuple[str, dict[str, Any], dict[str, Any], tuple[dict, dict], tuple[dict, dict]]
SAFETY_WIRE = [
    {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"},
    {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"},
]
ROWS: list[Row] = [
    ("defaults", {}, {}, ({}, {}), ({}, {})),
    (
        "temperature",
        {"temperature": 0.3},
        {},
        ({"temperature": 0.3}, {}),
        ({"temperature": 0.3}, {}),
    ),
    ("top_p", {"top_p": 0.5}, {}, ({"topP": 0.5}, {}), ({"topP": 0.5}, {})),
    ("top_k", {"top_k": 40}, {}, ({"topK": 40}, {}), ({"topK": 40}, {})),
    (
        "max_tokens",
        {"max_tokens": 64},
        {},
        ({"maxOutputTokens": 64}, {}),
        ({"maxOutputTokens": 64}, {}),
    ),
    (
        "stop",
        {"stop": ["END"]},
        {},
        ({"stopSequences": ["END"]}, {}),
        ({"stopSequences": ["END"]}, {}),
    ),
    ("n", {"n": 2}, {}, ({"candidateCount": 2}, {}), ({"candidateCount": 2}, {})),
    ("seed", {"seed": 7}, {}, ({"seed": 7}, {}), ({"seed": 7}, {})),
    (
        "presence_penalty",
        {"presence_penalty": 0.5},
        {},
        ({"presencePenalty": 0.5}, {}),
        ({"presencePenalty": 0.5}, {}),
    ),
    (
        "frequency_penalty",
        {"frequency_penalty": 0.2},
        {},
        ({"frequencyPenalty": 0.2}, {}),
        ({"frequencyPenalty": 0.2}, {}),
    ),
    (
        "response_mime_type",
        {"response_mime_type": "application/json"},
        {},
        ({"responseMimeType": "application/json"}, {}),
        ({"responseMimeType": "application/json"}, {}),
    ),
    (
        "response_json_schema",
        {"response_json_schema": SCHEMA},
        {},
        ({"responseJsonSchema": SCHEMA}, {}),
        ({"responseJsonSchema": SCHEMA}, {}),
    ),
    (
        "response_schema",
        {"response_schema": SCHEMA},
        {},
        ({"responseSchema": SCHEMA}, {}),
        ({"responseSchema": SCHEMA}, {}),
    ),
    (
        "response_modalities",
        {"response_modalities": ["TEXT", "IMAGE"]},
        {},
        ({"responseModalities": ["TEXT", "IMAGE"]}, {}),
        ({"responseModalities": ["TEXT", "IMAGE"]}, {}),
    ),
    (
        "image_config",
        {"image_config": {"aspect_ratio": "16:9", "image_size": "2k"}},
        {},
        ({"imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"}}, {}),
        ({"imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"}}, {}),
    ),
    (
        "thinking_budget",
        {"thinking_budget": 1024},
        {},
        ({"thinkingConfig": {"thinkingBudget": 1024}}, {}),
        ({"thinkingConfig": {"thinkingLevel": "LOW"}}, {}),
    ),
    (
        "thinking_budget_off",
        {"thinking_budget": 0},
        {},
        ({"thinkingConfig": {"thinkingBudget": 0}}, {}),
        ({"thinkingConfig": {"thinkingLevel": "MINIMAL"}}, {}),
    ),
    (
        "thinking_budget_dynamic",
        {"thinking_budget": -1},
        {},
        ({"thinkingConfig": {"thinkingBudget": -1}}, {}),
        ({}, {}),  # dynamic is Gemini 3's default: nothing to send
    ),
    (
        "thinking_level",
        {"thinking_level": "medium"},
        {},
        ({"thinkingConfig": {"thinkingBudget": 8192}}, {}),
        ({"thinkingConfig": {"thinkingLevel": "MEDIUM"}}, {}),
    ),
    (
        "include_thoughts",
        {"include_thoughts": True},
        {},
        ({"thinkingConfig": {"includeThoughts": True}}, {}),
        ({"thinkingConfig": {"includeThoughts": True}}, {}),
    ),
    *[
        (
            f"reasoning_effort_{effort}",
            {"reasoning_effort": effort, "include_thoughts": True},
            {},
            (
                {"thinkingConfig": {"thinkingBudget": budget, "includeThoughts": True}},
                {},
            ),
            (
                {
                    "thinkingConfig": {
                        "thinkingLevel": effort.upper(),
                        "includeThoughts": True,
                    }
                },
                {},
            ),
        )
        for effort, budget in EFFORT_BUDGETS.items()
    ],
    (
        "reasoning_effort_per_call",
        {},
        {"reasoning_effort": "high"},
        ({"thinkingConfig": {"thinkingBudget": 24576}}, {}),
        ({"thinkingConfig": {"thinkingLevel": "HIGH"}}, {}),
    ),
    (
        "reasoning_effort_per_call_replaces_budget",
        {"thinking_budget": 0, "include_thoughts": False},
        {"reasoning_effort": "low"},
        ({"thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": False}}, {}),
        ({"thinkingConfig": {"thinkingLevel": "LOW", "includeThoughts": False}}, {}),
    ),
    (
        "thinking_level_per_call_replaces_effort",
        {"reasoning_effort": "minimal"},
        {"thinking_level": "high"},
        ({"thinkingConfig": {"thinkingBudget": 24576}}, {}),
        ({"thinkingConfig": {"thinkingLevel": "HIGH"}}, {}),
    ),
    (
        "explicit_level_beats_effort",
        {"reasoning_effort": "minimal", "thinking_level": "high"},
        {},
        ({"thinkingConfig": {"thinkingBudget": 24576}}, {}),
        ({"thinkingConfig": {"thinkingLevel": "HIGH"}}, {}),
    ),
    (
        "logprobs",
        {"response_logprobs": True, "logprobs": 3},
        {},
        ({"responseLogprobs": True, "logprobs": 3}, {}),
        ({"responseLogprobs": True, "logprobs": 3}, {}),
    ),
    (
        "media_resolution",
        {"media_resolution": "low"},
        {},
        ({"mediaResolution": "MEDIA_RESOLUTION_LOW"}, {}),
        ({"mediaResolution": "MEDIA_RESOLUTION_LOW"}, {}),
    ),
    (
        "media_resolution_enum_name",
        {"media_resolution": "MEDIA_RESOLUTION_HIGH"},
        {},
        ({"mediaResolution": "MEDIA_RESOLUTION_HIGH"}, {}),
        ({"mediaResolution": "MEDIA_RESOLUTION_HIGH"}, {}),
    ),
    (
        "safety_settings_dict",
        {
            "safety_settings": {
                "hate_speech": "none",
                "HARM_CATEGORY_HARASSMENT": "BLOCK_ONLY_HIGH",
            }
        },
        {},
        ({}, {"safetySettings": SAFETY_WIRE}),
        ({}, {"safetySettings": SAFETY_WIRE}),
    ),
    (
        "safety_settings_list",
        {"safety_settings": SAFETY_WIRE},
        {},
        ({}, {"safetySettings": SAFETY_WIRE}),
        ({}, {"safetySettings": SAFETY_WIRE}),
    ),
    (
        "safety_settings_per_call",
        {},
        {"safety_settings": {"HARM_CATEGORY_HATE_SPEECH": "BLOCK_NONE"}},
        ({}, {"safetySettings": SAFETY_WIRE[:1]}),
        ({}, {"safetySettings": SAFETY_WIRE[:1]}),
    ),
    (
        "cached_content",
        {"cached_content": "cachedContents/abc"},
        {},
        ({}, {"cachedContent": "cachedContents/abc"}),
        ({}, {"cachedContent": "cachedContents/abc"}),
    ),
    (
        "model_kwargs",
        {
            "model_kwargs": {
                "responseMimeType": "text/x.enum",
                "enableEnhancedCivicAnswers": True,
            },
            "max_tokens": 9,
        },
        {},
        (
            {
                "maxOutputTokens": 9,
                "responseMimeType": "text/x.enum",
                "enableEnhancedCivicAnswers": True,
            },
            {},
        ),
        (
            {
                "maxOutputTokens": 9,
                "responseMimeType": "text/x.enum",
                "enableEnhancedCivicAnswers": True,
            },
            {},
        ),
    ),
    (
        "per_call_temperature",
        {"temperature": 1.0},
        {"temperature": 0.0},
        ({"temperature": 0.0}, {}),
        ({"temperature": 0.0}, {}),
    ),
]


def _request(config: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"contents": CONTENTS, **top}
    if config:
        body["generationConfig"] = config
    return body


@pytest.mark.parametrize("model", [G25, G3])
@pytest.mark.parametrize(
    ("settings", "call", "want25", "want3"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_exact_request(
    emulator: GeminiEmulator,
    model: str,
    settings: dict[str, Any],
    call: dict[str, Any],
    want25: tuple[dict, dict],
    want3: tuple[dict, dict],
) -> None:
    """The emulator receives exactly the expected body, key order aside."""
    emulator.queue(_answer(settings.get("n", 1)))
    llm = ChatCometGemini(
        model=model, base_url=emulator.url, api_key="test", **settings
    )
    llm.invoke([HumanMessage("hi")], **call)
    (request,) = emulator.requests
    assert request.model == model
    assert request.action == "generateContent"
    assert request.body == _request(*(want25 if model == G25 else want3))


def test_pure_prepare_matches_wire(emulator: GeminiEmulator) -> None:
    """``_prepare`` (no I/O) builds the same body the emulator receives."""
    emulator.queue(_answer())
    llm = ChatCometGemini(
        model=G3, base_url=emulator.url, api_key="test", reasoning_effort="low", seed=1
    )
    prepared = llm._prepare([HumanMessage("hi")], None, {}, {})
    llm.invoke([HumanMessage("hi")])
    assert prepared.body == emulator.requests[0].body
    assert prepared.body["generationConfig"] == {
        "seed": 1,
        "thinkingConfig": {"thinkingLevel": "LOW"},
    }


def test_per_call_model_switches_thinking_field(emulator: GeminiEmulator) -> None:
    """A per-call ``model=`` picks the thinking field of that model's generation."""
    emulator.queue(_answer(), _answer())
    llm = ChatCometGemini(
        model=G25, base_url=emulator.url, api_key="test", reasoning_effort="medium"
    )
    llm.invoke("hi")
    llm.invoke("hi", model=G3)
    first, second = emulator.requests
    assert (first.model, second.model) == (G25, G3)
    assert first.body["generationConfig"] == {
        "thinkingConfig": {"thinkingBudget": 8192}
    }
    assert second.body["generationConfig"] == {
        "thinkingConfig": {"thinkingLevel": "MEDIUM"}
    }


def test_pro_minimal_effort_uses_floor_budget() -> None:
    """2.5 Pro cannot turn thinking off: ``minimal`` becomes its 128-token floor."""
    assert thinking_config("2.5", "gemini-2.5-pro", effort="minimal") == {
        "thinkingBudget": 128
    }
    assert thinking_config("2.5", "gemini-2.5-flash", effort="minimal") == {
        "thinkingBudget": 0
    }


def test_unknown_generation_sends_fields_as_given() -> None:
    config = generation_config({"thinking_budget": 512}, None, "gemini-2.0-flash")
    assert config == {"thinkingConfig": {"thinkingBudget": 512}}


def test_budget_without_clean_level_is_rejected_before_sending(
    emulator: GeminiEmulator,
) -> None:
    """A Gemini 3 budget with no exact level fails locally, naming thinking_level."""
    llm = ChatCometGemini(
        model=G3, base_url=emulator.url, api_key="test", thinking_budget=5000
    )
    with pytest.raises(ValueError, match="thinking_level") as info:
        llm.invoke("hi")
    assert "thinking_budget=5000" in str(info.value)
    assert emulator.requests == []


def test_budget_and_level_together_rejected() -> None:
    with pytest.raises(ValueError, match="thinking_budget and thinking_level"):
        ChatCometGemini(api_key="test", thinking_budget=10, thinking_level="low")


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"thinking_level": "max"}, "thinking_level"),
        ({"image_config": {"image_size": "3K"}}, "image_config"),
        ({"image_config": {"image_size": 1024}}, "image_size"),
        ({"image_config": {"aspect_ratio": "wide"}}, "aspect_ratio"),
        ({"image_config": {"aspect_ratio": "16x9"}}, "aspect_ratio"),
        ({"image_config": {"aspect_ratio": "0:1"}}, "aspect_ratio"),
        ({"safety_settings": {"not_a_category": "BLOCK_NONE"}}, "safety_settings"),
        ({"safety_settings": {"hate_speech": "sometimes"}}, "safety_settings"),
        (
            {"safety_settings": [{"category": "HARM_CATEGORY_HATE_SPEECH"}]},
            "safety_settings",
        ),
    ],
)
def test_bad_values_fail_at_construction(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ChatCometGemini(api_key="test", **settings)


def test_bad_image_config_per_call_fails_before_sending(
    emulator: GeminiEmulator,
) -> None:
    llm = ChatCometGemini(model=G25, base_url=emulator.url, api_key="test")
    with pytest.raises(ValueError, match="image_size"):
        llm.invoke("hi", image_config={"image_size": "3K"})
    assert emulator.requests == []


def test_image_config_passes_unknown_keys_camel_cased() -> None:
    assert normalize_image_config(
        {"aspect_ratio": "1:1", "person_generation": "ALLOW_ADULT"}
    ) == {"aspectRatio": "1:1", "personGeneration": "ALLOW_ADULT"}
