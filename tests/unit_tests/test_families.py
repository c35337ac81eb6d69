"""Issue 19, families and profiles: model behaviour by family rule (Gemini N >= 3
and the ``-latest`` aliases follow the Gemini 3 rules), profiles as data for
today's ids, family defaults for unknown ids, and only the ``ModelProfile``
keys the installed langchain-core declares. Requests checked exactly, on the
emulator, and against google-genai's types.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import ModelProfile
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_cometgemini import ChatCometGemini, _profiles
from langchain_cometgemini._profiles import (
    PROFILES,
    family_defaults,
    generation,
    profile_for,
)
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.genai_check import validated

SKIP = "skip_thought_signature_validator"

CORE_1_8_KEYS = frozenset(
    {
        "name",
        "status",
        "release_date",
        "last_updated",
        "open_weights",
        "max_input_tokens",
        "text_inputs",
        "image_inputs",
        "image_url_inputs",
        "pdf_inputs",
        "audio_inputs",
        "video_inputs",
        "image_tool_message",
        "pdf_tool_message",
        "max_output_tokens",
        "reasoning_output",
        "reasoning_effort_levels",
        "reasoning_effort_default",
        "text_outputs",
        "image_outputs",
        "audio_outputs",
        "video_outputs",
        "tool_calling",
        "tool_choice",
        "tool_call_streaming",
        "mid_conversation_system_messages",
        "mid_conversation_tools",
        "structured_output",
        "attachment",
        "temperature",
    }
)
"""langchain-core 1.8's ``ModelProfile`` fields."""
NEW_IN_1_8 = (
    "image_tool_message",
    "pdf_tool_message",
    "reasoning_effort_levels",
    "reasoning_effort_default",
    "tool_call_streaming",
    "mid_conversation_system_messages",
    "mid_conversation_tools",
)
INSTALLED = frozenset(ModelProfile.__required_keys__ | ModelProfile.__optional_keys__)


def llm(emulator: GeminiEmulator, model: str, **settings: Any) -> ChatCometGemini:
    return ChatCometGemini(
        model=model, base_url=emulator.url, api_key="test", max_retries=0, **settings
    )


def sent(emulator: GeminiEmulator) -> dict[str, Any]:
    """The last request body, validated by google-genai's types."""
    return validated(emulator.last_request.body)


# -- the family rule ------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("gemini-3-flash-preview", "3"),
        ("gemini-3.1-pro-preview", "3"),
        ("gemini-3.5-flash", "3"),
        ("gemini-3.8-flash", "3"),
        ("gemini-4-argon", "3"),
        ("models/gemini-4-argon", "3"),
        ("gemini-12.3-ultra", "3"),
        ("gemini-flash-latest", "3"),
        ("gemini-flash-lite-latest", "3"),
        ("models/gemini-pro-latest", "3"),
        ("gemini-2.5-flash", "2.5"),
        ("gemini-2.5-computer-use-preview-10-2025", "2.5"),
        ("gemini-2.0-flash", None),
        ("gemini-25-flash", "3"),  # version 25: a future generation by the rule
        ("gemini-2.55-flash", None),
        ("gemini-latest", None),
        ("gpt-4o", None),
    ],
)
def test_generation_by_rule(model: str, family: str | None) -> None:
    assert generation(model) == family


@pytest.mark.parametrize(
    ("model", "level"),
    [
        ("gemini-4-argon", "LOW"),  # takes low/medium/high: minimal -> low
        ("gemini-pro-latest", "LOW"),
        ("gemini-flash-latest", "LOW"),
        ("gemini-flash-lite-latest", "MINIMAL"),
        ("gemini-3.5-flash", "MINIMAL"),
        ("gemini-3.8-flash", "LOW"),
        ("gemini-3.9-flash", "LOW"),  # family defaults: low/medium/high
    ],
)
def test_new_ids_get_a_thinking_level_they_take(
    emulator: GeminiEmulator, model: str, level: str
) -> None:
    llm(emulator, model).invoke("Hi", reasoning_effort="minimal")
    assert sent(emulator) == {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "generationConfig": {"thinkingConfig": {"thinkingLevel": level}},
    }
    assert emulator.last_request.model == model


def test_a_budget_on_gemini_4_becomes_its_level_and_streams_alike(
    emulator: GeminiEmulator,
) -> None:
    model = llm(emulator, "gemini-4-argon", thinking_budget=24576)
    whole = model.invoke("Hi")
    unary = sent(emulator)
    chunks = list(model.stream("Hi"))
    assert (
        sent(emulator)
        == unary
        == {
            "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
            "generationConfig": {"thinkingConfig": {"thinkingLevel": "HIGH"}},
        }
    )
    assert "".join(c.text for c in chunks) == whole.text == "Echo: Hi"


@pytest.mark.parametrize("model", ["gemini-4-argon", "gemini-pro-latest"])
def test_hand_written_history_gets_the_signature_placeholder(
    emulator: GeminiEmulator, model: str
) -> None:
    history = [
        HumanMessage("Weather in Paris?"),
        AIMessage(
            "",
            tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}],
        ),
        ToolMessage("sunny", tool_call_id="c1"),
    ]
    emulator.queue(Reply.text("Sunny."))
    message = llm(emulator, model).invoke(history)
    assert sent(emulator)["contents"] == [
        {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
        {
            "role": "model",
            "parts": [
                {
                    "functionCall": {
                        "name": "get_weather",
                        "args": {"city": "Paris"},
                        "id": "c1",
                    },
                    "thoughtSignature": SKIP,
                }
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "name": "get_weather",
                        "response": {"output": "sunny"},
                        "id": "c1",
                    }
                }
            ],
        },
    ]
    assert message.text == "Sunny."


def test_gemini_2_5_keeps_its_budget(emulator: GeminiEmulator) -> None:
    llm(emulator, "gemini-2.5-flash").invoke("Hi", reasoning_effort="low")
    assert sent(emulator)["generationConfig"] == {
        "thinkingConfig": {"thinkingBudget": 1024}
    }


# -- profiles ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "name", "levels", "default"),
    [
        ("gemini-3.1-flash-lite", "Gemini 3.1 Flash-Lite", 4, "minimal"),
        ("gemini-3.5-flash", "Gemini 3.5 Flash", 4, "medium"),
        ("gemini-3.5-flash-lite", "Gemini 3.5 Flash-Lite", 4, "minimal"),
        ("gemini-3.6-flash", "Gemini 3.6 Flash", 4, "medium"),
        ("gemini-3.7-flash", "Gemini 3.7 Flash", 3, "medium"),
        ("gemini-3.8-flash", "Gemini 3.8 Flash", 3, "medium"),
        ("gemini-4-argon", "Gemini 4 Argon", 3, "medium"),
        ("gemini-pro-latest", "Gemini Pro (latest)", 3, "high"),
        ("gemini-flash-latest", "Gemini Flash (latest)", 3, "medium"),
        ("gemini-flash-lite-latest", "Gemini Flash-Lite (latest)", 4, "minimal"),
    ],
)
def test_todays_ids_have_their_profile(
    model: str, name: str, levels: int, default: str
) -> None:
    data = _profiles.model_data(model)
    assert data is not None
    assert data["name"] == name
    assert data["reasoning_effort_levels"] == (
        ["minimal", "low", "medium", "high"]
        if levels == 4
        else ["low", "medium", "high"]
    )
    assert data["reasoning_effort_default"] == default
    assert (data["tool_calling"], data["structured_output"]) == (True, True)
    assert (data["image_tool_message"], data["pdf_tool_message"]) == (True, True)
    assert data["mid_conversation_system_messages"] is False


def test_speech_and_computer_use_profiles() -> None:
    tts = _profiles.model_data("gemini-3.1-flash-tts-preview")
    use = _profiles.model_data("gemini-2.5-computer-use-preview-10-2025")
    assert tts is not None and use is not None
    assert (tts["audio_outputs"], tts["text_outputs"], tts["tool_calling"]) == (
        True,
        False,
        False,
    )
    assert (use["tool_calling"], use["image_inputs"], use["audio_inputs"]) == (
        True,
        True,
        False,
    )
    assert "reasoning_effort_levels" not in use


@pytest.mark.parametrize(
    ("model", "kind", "levels"),
    [
        ("gemini-3.9-flash", "text", ["low", "medium", "high"]),
        ("gemini-4-ultra", "text", ["low", "medium", "high"]),
        ("gemini-4.2-flash-lite-preview", "text", ["minimal", "low", "medium", "high"]),
        (
            "gemini-2.5-flash-something-new",
            "text",
            ["minimal", "low", "medium", "high"],
        ),
        ("gemini-3.8-flash-tts", "audio", None),
        ("gemini-4-flash-image-preview", "image", None),
    ],
)
def test_unknown_id_of_a_known_family_gets_its_defaults(
    model: str, kind: str, levels: list[str] | None
) -> None:
    profile = ChatCometGemini(model=model, api_key="test").profile
    assert profile is not None
    assert "family defaults" in str(profile["name"])
    assert profile[f"{kind}_outputs"] is True  # type: ignore[literal-required]
    assert profile.get("reasoning_effort_levels") == levels or (
        "reasoning_effort_levels" not in INSTALLED
    )
    assert profile.get("tool_calling") is (kind == "text")


@pytest.mark.parametrize(
    "model", ["gemini-2.0-flash", "gemini-live-2.5-flash", "gemini-3-flash-live"]
)
def test_no_family_no_profile(model: str) -> None:
    assert family_defaults(model) is None
    assert profile_for(model) is None


def _entries() -> list[dict[str, Any]]:
    samples = ["gemini-9-flash", "gemini-9-pro", "gemini-9-flash-lite"]
    samples += ["gemini-9-flash-tts", "gemini-9-flash-image", "gemini-2.5-x"]
    defaults = [family_defaults(m) for m in samples]
    return [*PROFILES.values(), *(d for d in defaults if d is not None)]


def test_entries_hold_only_model_profile_keys() -> None:
    """An entry with a key ``ModelProfile`` lacks fails here (1.8's field
    list, and the installed version's when it has every 1.8 field).
    """
    entries = _entries()
    assert len(entries) == len(PROFILES) + 6
    for entry in entries:
        assert set(entry) <= CORE_1_8_KEYS, entry["name"]
        if CORE_1_8_KEYS <= INSTALLED:
            assert set(entry) <= INSTALLED, entry["name"]
    general = [e for e in entries if e.get("tool_calling")]
    for entry in general:
        assert set(NEW_IN_1_8) - {
            "reasoning_effort_levels",
            "reasoning_effort_default",
        } <= set(entry), entry["name"]


def test_langchain_core_gets_only_the_keys_it_declares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full = profile_for("gemini-3.8-flash")
    assert full is not None and set(full) <= INSTALLED
    # langchain-core 1.6's ModelProfile has none of the 1.8 fields.
    older = INSTALLED - set(NEW_IN_1_8)
    monkeypatch.setattr(_profiles, "DECLARED_KEYS", older)
    trimmed = profile_for("gemini-3.8-flash")
    assert trimmed is not None
    assert set(trimmed) == set(full) - set(NEW_IN_1_8)
    assert trimmed["max_input_tokens"] == 1_048_576
    # The data keeps them: thinking levels still map.
    assert _profiles.model_data("gemini-3.8-flash")["reasoning_effort_levels"] == [  # type: ignore[index]
        "low",
        "medium",
        "high",
    ]
