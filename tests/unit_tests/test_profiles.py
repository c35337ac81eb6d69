"""Model profiles (``llm.profile``) and the agent arguments of ``bind_tools``.

Profiles: every Gemini model CometAPI lists resolves, dated/suffixed/prefixed
ids find their model, unknown ids get ``None``, a user's ``profile=`` wins.
``bind_tools``: ``response_format``, ``strict`` and ``parallel_tool_calls``
each checked on the exact request body the emulator received.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel
from typing_extensions import TypedDict

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._profiles import PROFILES, THINKING_BUDGETS, profile_for
from langchain_cometgemini.testing import GeminiEmulator

LISTED = {
    "gemini-2.5-flash": (1_048_576, 65_536),
    "gemini-2.5-pro": (1_048_576, 65_536),
    "gemini-2.5-flash-lite": (1_048_576, 65_536),
    "gemini-3-flash-preview": (1_048_576, 65_536),
    "gemini-3-pro-preview": (1_048_576, 65_536),
    "gemini-3.1-pro-preview": (1_048_576, 65_536),
    "gemini-2.5-flash-image": (32_768, 32_768),
    "gemini-3-pro-image-preview": (65_536, 32_768),
    "gemini-3.1-flash-image-preview": (131_072, 32_768),
    "gemini-2.5-flash-preview-tts": (8_192, 16_384),
    "gemini-2.5-pro-preview-tts": (8_192, 16_384),
    "gemini-3.1-flash-tts-preview": (8_192, 16_384),
    "gemini-3.1-flash-lite": (1_048_576, 65_536),
    "gemini-3.5-flash": (1_048_576, 65_536),
    "gemini-3.5-flash-lite": (1_048_576, 65_536),
    "gemini-3.6-flash": (1_048_576, 65_536),
    "gemini-3.7-flash": (1_048_576, 65_536),
    "gemini-3.8-flash": (1_048_576, 65_536),
    "gemini-4-argon": (1_048_576, 1_048_576),
    "gemini-flash-latest": (1_048_576, 65_536),
    "gemini-flash-lite-latest": (1_048_576, 65_536),
    "gemini-pro-latest": (1_048_576, 65_536),
    "gemini-2.5-computer-use-preview-10-2025": (128_000, 64_000),
}


def llm(model: str = "gemini-3-flash-preview", **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(
        base_url="http://127.0.0.1:9", api_key="test", model=model, **kwargs
    )


@pytest.mark.parametrize("model", sorted(LISTED))
def test_every_listed_model_has_limits(model: str) -> None:
    profile = llm(model).profile
    assert profile is not None
    assert (profile["max_input_tokens"], profile["max_output_tokens"]) == LISTED[model]
    assert profile["text_inputs"] is True


def test_every_profile_is_reachable_and_declares_the_core_keys() -> None:
    keys = {
        "max_input_tokens",
        "max_output_tokens",
        "text_inputs",
        "image_inputs",
        "audio_inputs",
        "video_inputs",
        "text_outputs",
        "image_outputs",
        "audio_outputs",
        "tool_calling",
        "tool_choice",
        "structured_output",
        "reasoning_output",
    }
    for canonical, profile in PROFILES.items():
        assert keys <= set(profile), canonical
        levels = profile.get("reasoning_effort_levels")
        if levels:
            assert set(levels) <= {"minimal", "low", "medium", "high"}
            assert profile["reasoning_output"] is True
    reached = {profile_for(m)["name"] for m in LISTED}  # type: ignore[index]
    assert reached == {p["name"] for p in PROFILES.values()}


@pytest.mark.parametrize(
    ("model", "levels", "default"),
    [
        ("gemini-3-pro-preview", ["low", "high"], "high"),
        ("gemini-3-flash-preview", ["minimal", "low", "medium", "high"], "high"),
        ("gemini-3.1-pro-preview", ["low", "medium", "high"], "high"),
        ("gemini-2.5-pro", ["minimal", "low", "medium", "high"], "dynamic"),
        ("gemini-2.5-flash", ["minimal", "low", "medium", "high"], "dynamic"),
        ("gemini-2.5-flash-lite", ["minimal", "low", "medium", "high"], "minimal"),
        ("gemini-3.1-flash-image-preview", ["minimal", "high"], "minimal"),
    ],
)
def test_reasoning_effort_levels(model: str, levels: list[str], default: str) -> None:
    profile = llm(model).profile
    assert profile is not None
    assert profile["reasoning_effort_levels"] == levels
    assert profile["reasoning_effort_default"] == default


def test_capabilities_by_kind() -> None:
    chat, image, tts = (
        llm("gemini-2.5-flash").profile,
        llm("gemini-3-pro-image-preview").profile,
        llm("gemini-2.5-pro-preview-tts").profile,
    )
    assert chat and image and tts
    assert (chat["tool_calling"], chat["structured_output"]) == (True, True)
    assert (chat["image_outputs"], chat["audio_inputs"]) == (False, True)
    assert (image["image_outputs"], image["tool_calling"]) == (True, False)
    assert image["structured_output"] is False
    assert (tts["audio_outputs"], tts["text_outputs"], tts["tool_calling"]) == (
        True,
        False,
        False,
    )
    assert "reasoning_effort_levels" not in tts


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("models/gemini-2.5-flash", "Gemini 2.5 Flash"),
        ("gemini-2.5-flash-preview-09-2025", "Gemini 2.5 Flash"),
        ("gemini-2.5-flash-lite-preview-09-2025", "Gemini 2.5 Flash-Lite"),
        ("gemini-2.5-pro-exp-03-25", "Gemini 2.5 Pro"),
        ("gemini-2.5-flash-001", "Gemini 2.5 Flash"),
        ("GEMINI-3-FLASH-PREVIEW", "Gemini 3 Flash Preview"),
        ("gemini-3-pro-preview-latest", "Gemini 3 Pro Preview"),
        ("gemini-3.1-pro-preview-customtools", "Gemini 3.1 Pro Preview"),
        ("gemini-2.5-flash-image-preview", "Gemini 2.5 Flash Image"),
        ("models/gemini-2.5-flash-preview-tts", "Gemini 2.5 Flash Preview TTS"),
    ],
)
def test_dated_and_suffixed_ids_find_their_model(model: str, expected: str) -> None:
    profile = llm(model).profile
    assert profile is not None and profile["name"] == expected


@pytest.mark.parametrize(
    "model",
    [
        "gemini-2.0-flash",
        "gemini-2.5-flash-native-audio-preview-09-2025",
        "gpt-4o",
    ],
)
def test_unknown_models_get_no_profile(model: str) -> None:
    assert llm(model).profile is None


def test_users_profile_wins_and_profiles_are_not_shared() -> None:
    mine = llm("gemini-2.5-flash", profile={"max_input_tokens": 1000})
    assert mine.profile == {"max_input_tokens": 1000}
    first, second = llm("gemini-2.5-flash"), llm("gemini-2.5-flash")
    assert first.profile is not None and second.profile is not None
    first.profile["reasoning_effort_levels"].append("extreme")  # type: ignore[typeddict-item]
    assert second.profile["reasoning_effort_levels"] == [
        "minimal",
        "low",
        "medium",
        "high",
    ]


def test_profiles_raise_no_unknown_key_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for model in LISTED:
            llm(model)


def test_thinking_budget_ranges_cover_effort_budgets() -> None:
    from langchain_cometgemini._config import EFFORT_BUDGETS

    for canonical, budgets in THINKING_BUDGETS.items():
        assert canonical in PROFILES
        for level, budget in EFFORT_BUDGETS.items():
            if budget == 0:
                continue  # "minimal": off, or the floor where it cannot be
            assert budgets.minimum <= budget <= budgets.maximum, (canonical, level)
    assert THINKING_BUDGETS["gemini-2.5-pro"].can_disable is False


def test_profile_is_not_serialized() -> None:
    from langchain_core.load import dumpd

    assert "profile" not in dumpd(llm())["kwargs"]


# -- bind_tools: the arguments create_agent passes ------------------------------


class Weather(BaseModel):
    """A weather report."""

    city: str
    celsius: int


class WeatherDict(TypedDict):
    """A weather report."""

    city: str


@tool
def get_weather(city: str) -> str:
    """Look up the weather."""
    return "sunny"


WEATHER_DECL = {
    "name": "get_weather",
    "description": "Look up the weather.",
    "parametersJsonSchema": {
        "type": "object",
        "properties": {"city": {"title": "City", "type": "string"}},
        "required": ["city"],
    },
}
WEATHER_SCHEMA = {
    "title": "Weather",
    "description": "A weather report.",
    "type": "object",
    "properties": {
        "city": {"title": "City", "type": "string"},
        "celsius": {"title": "Celsius", "type": "integer"},
    },
    "required": ["city", "celsius"],
}
USER_TURN = [{"role": "user", "parts": [{"text": "Weather?"}]}]


def sent(emulator: GeminiEmulator, **bind: Any) -> dict[str, Any]:
    model = ChatCometGemini(
        base_url=emulator.url, api_key="test", model="gemini-3-flash-preview"
    )
    tools = bind.pop("tools", [get_weather])
    model.bind_tools(tools, **bind).invoke("Weather?")
    body: dict[str, Any] = emulator.last_request.body
    return body


@pytest.mark.parametrize(
    "response_format",
    [
        Weather,
        WEATHER_SCHEMA,
        {
            "type": "json_schema",
            "json_schema": {
                "name": "Weather",
                "schema": WEATHER_SCHEMA,
                "strict": True,
            },
        },
    ],
    ids=["pydantic", "json-schema", "openai-json-schema"],
)
def test_response_format_goes_out_as_response_json_schema(
    emulator: GeminiEmulator, response_format: Any
) -> None:
    body = sent(emulator, response_format=response_format)
    assert body == {
        "contents": USER_TURN,
        "tools": [{"functionDeclarations": [WEATHER_DECL]}],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": WEATHER_SCHEMA,
        },
    }


def test_response_format_typed_dict_and_json_object(emulator: GeminiEmulator) -> None:
    body = sent(emulator, tools=[], response_format=WeatherDict)
    assert body == {
        "contents": USER_TURN,
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": {
                "title": "WeatherDict",
                "description": "A weather report.",
                "type": "object",
                "properties": {"city": {"title": "City", "type": "string"}},
                "required": ["city"],
            },
        },
    }
    body = sent(emulator, tools=[], response_format={"type": "json_object"})
    assert body == {
        "contents": USER_TURN,
        "generationConfig": {"responseMimeType": "application/json"},
    }


@pytest.mark.parametrize(
    ("response_format", "message"),
    [
        ({"type": "json_schema", "json_schema": {"name": "x"}}, "needs 'json_schema'"),
        ({"name": "Weather"}, "must be a pydantic class"),
        ("Weather", "must be a pydantic class"),
    ],
)
def test_bad_response_format_is_refused_before_sending(
    emulator: GeminiEmulator, response_format: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sent(emulator, response_format=response_format)
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("tool_choice", "config"),
    [
        (None, {"mode": "VALIDATED"}),
        ("auto", {"mode": "VALIDATED"}),
        ("any", {"mode": "ANY"}),
        ("get_weather", {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
        ("none", {"mode": "NONE"}),
    ],
)
def test_strict_validates_calls(
    emulator: GeminiEmulator, tool_choice: Any, config: dict[str, Any]
) -> None:
    body = sent(emulator, tool_choice=tool_choice, strict=True)
    assert body == {
        "contents": USER_TURN,
        "tools": [{"functionDeclarations": [WEATHER_DECL]}],
        "toolConfig": {"functionCallingConfig": config},
    }


def test_strict_false_and_without_functions_change_nothing(
    emulator: GeminiEmulator,
) -> None:
    assert sent(emulator, strict=False) == {
        "contents": USER_TURN,
        "tools": [{"functionDeclarations": [WEATHER_DECL]}],
    }
    assert sent(emulator, tools=[{"google_search": {}}], strict=True) == {
        "contents": USER_TURN,
        "tools": [{"googleSearch": {}}],
    }


def test_parallel_tool_calls(emulator: GeminiEmulator) -> None:
    expected = {
        "contents": USER_TURN,
        "tools": [{"functionDeclarations": [WEATHER_DECL]}],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert sent(emulator, parallel_tool_calls=True) == expected
    with pytest.warns(UserWarning, match="no setting to limit a turn"):
        assert sent(emulator, parallel_tool_calls=False) == expected


def test_unknown_bind_tools_argument_still_fails_at_call(
    emulator: GeminiEmulator,
) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'frobnicate'"):
        sent(emulator, frobnicate=True)
    assert emulator.requests == []
