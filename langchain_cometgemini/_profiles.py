"""Model profiles: what each Gemini model CometAPI serves can take and give.

Data only, plus one lookup. ``ChatCometGemini.profile`` (langchain-core's
``ModelProfile``) is filled from here; agents and middleware read it:
``create_agent(response_format=M)`` picks provider-native structured output
when ``structured_output`` is true, and ``SummarizationMiddleware`` with a
``("fraction", x)`` trigger needs ``max_input_tokens``.

Sources (facts, read 2026; each model's page on Google AI for Developers,
``https://ai.google.dev/gemini-api/docs/models/<model id>``, unless noted):

- token limits, input/output types and the "function calling", "structured
  outputs" and "thinking" capabilities: the model pages, and for
  ``gemini-3.1-flash-image-preview`` and ``gemini-2.5-flash-image`` Vertex
  AI's pages (https://cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/3-1-flash-image,
  .../2-5-flash-image);
- thinking levels and budgets: https://ai.google.dev/gemini-api/docs/thinking
  (Gemini 3 Pro: ``low``/``high``, default ``high``; Gemini 3 Flash:
  ``minimal``/``low``/``medium``/``high``, default ``high``; Gemini 3.1 Pro
  adds ``medium`` (Vertex AI's Gemini 3.1 Pro page); 2.5 models take a token
  budget: Pro 128-32768 and cannot switch thinking off, Flash 0-24576, Flash-Lite
  512-24576 and off by default; Gemini 3.1 Flash Image: ``minimal``/``high``,
  default ``minimal``, https://ai.google.dev/gemini-api/docs/image-generation);
- TTS models: https://ai.google.dev/gemini-api/docs/speech-generation (text
  in, audio out, 8,192 input / 16,384 output tokens).

``reasoning_effort_levels`` lists the levels this package's
``reasoning_effort`` accepts for the model. For Gemini 3 they are the
model's own ``thinkingLevel`` values; for 2.5 every level is accepted and
sent as a budget (``_config.EFFORT_BUDGETS``) inside the model's range
(``THINKING_BUDGETS`` below), so ``reasoning_effort_default`` there is
``"dynamic"`` (the model picks its budget; not a level) or, for Flash-Lite,
``"minimal"`` (budget 0: no thinking, its documented default).

Ids are matched after dropping a ``models/``-style prefix, ``-preview``,
``-latest``, ``-exp`` and date/version number parts, so
``models/gemini-2.5-flash-preview-09-2025`` and ``gemini-2.5-pro-exp-03-25``
find their model; an id that does not reduce to a known model gets no
profile (``None``) rather than a guess.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from langchain_core.language_models import ModelProfile

__all__ = ["PROFILES", "THINKING_BUDGETS", "BudgetRange", "canonical_id", "profile_for"]

_ALL_LEVELS = ["minimal", "low", "medium", "high"]

# Input kinds of the general models (text, image, audio, video, PDF).
_MULTIMODAL_IN: ModelProfile = {
    "text_inputs": True,
    "image_inputs": True,
    "image_url_inputs": True,  # URLs are downloaded and sent inline
    "pdf_inputs": True,
    "audio_inputs": True,
    "video_inputs": True,
}
_TEXT_OUT: ModelProfile = {
    "text_outputs": True,
    "image_outputs": False,
    "audio_outputs": False,
    "video_outputs": False,
}
_TOOLS: ModelProfile = {
    "tool_calling": True,
    "tool_choice": True,  # toolConfig.functionCallingConfig modes and names
    "tool_call_streaming": True,  # each streamed call is its own chunk index
    "structured_output": True,  # responseJsonSchema
}
_NO_TOOLS: ModelProfile = {
    "tool_calling": False,
    "tool_choice": False,
    "structured_output": False,
}
_ONE_MILLION = 1_048_576
_CHAT_LIMITS: ModelProfile = {
    "max_input_tokens": _ONE_MILLION,
    "max_output_tokens": 65_536,
}


def _chat(name: str, **extra: Any) -> ModelProfile:
    """A general (text-out, tool-calling, thinking) Gemini model."""
    profile: ModelProfile = {
        "name": name,
        **_CHAT_LIMITS,
        **_MULTIMODAL_IN,
        **_TEXT_OUT,
        **_TOOLS,
        "reasoning_output": True,
        "temperature": True,
    }
    profile.update(extra)  # type: ignore[typeddict-item]
    return profile


_IMAGE_MODEL_IO: ModelProfile = {
    "text_inputs": True,
    "image_inputs": True,
    "image_url_inputs": True,
    "pdf_inputs": False,
    "audio_inputs": False,
    "video_inputs": False,
    "text_outputs": True,
    "image_outputs": True,
    "audio_outputs": False,
    "video_outputs": False,
    "max_output_tokens": 32_768,
    "temperature": True,
}
_TTS: ModelProfile = {
    "max_input_tokens": 8_192,
    "max_output_tokens": 16_384,
    "text_inputs": True,
    "image_inputs": False,
    "image_url_inputs": False,
    "pdf_inputs": False,
    "audio_inputs": False,
    "video_inputs": False,
    "text_outputs": False,
    "image_outputs": False,
    "audio_outputs": True,
    "video_outputs": False,
    **_NO_TOOLS,
    "reasoning_output": False,
    "temperature": True,
}

PROFILES: dict[str, ModelProfile] = {
    # -- Gemini 2.5 (thinkingBudget) ----------------------------------------
    "gemini-2.5-pro": _chat(
        "Gemini 2.5 Pro",
        reasoning_effort_levels=_ALL_LEVELS,
        reasoning_effort_default="dynamic",
    ),
    "gemini-2.5-flash": _chat(
        "Gemini 2.5 Flash",
        reasoning_effort_levels=_ALL_LEVELS,
        reasoning_effort_default="dynamic",
    ),
    "gemini-2.5-flash-lite": _chat(
        "Gemini 2.5 Flash-Lite",
        reasoning_effort_levels=_ALL_LEVELS,
        reasoning_effort_default="minimal",
    ),
    # -- Gemini 3 (thinkingLevel) -------------------------------------------
    "gemini-3-pro": _chat(
        "Gemini 3 Pro Preview",
        reasoning_effort_levels=["low", "high"],
        reasoning_effort_default="high",
    ),
    "gemini-3-flash": _chat(
        "Gemini 3 Flash Preview",
        reasoning_effort_levels=_ALL_LEVELS,
        reasoning_effort_default="high",
    ),
    "gemini-3.1-pro": _chat(
        "Gemini 3.1 Pro Preview",
        reasoning_effort_levels=["low", "medium", "high"],
        reasoning_effort_default="high",
    ),
    # -- image models ---------------------------------------------------------
    # No function calling. Structured output is left off: these models answer
    # with images, so agents must not pick the provider strategy for them.
    "gemini-2.5-flash-image": {
        "name": "Gemini 2.5 Flash Image",
        **_IMAGE_MODEL_IO,
        "max_input_tokens": 32_768,
        **_NO_TOOLS,
        "reasoning_output": False,
    },
    "gemini-3-pro-image": {
        "name": "Gemini 3 Pro Image Preview",
        **_IMAGE_MODEL_IO,
        "max_input_tokens": 65_536,
        **_NO_TOOLS,
        # Thinks always; the level is not configurable.
        "reasoning_output": True,
    },
    "gemini-3.1-flash-image": {
        "name": "Gemini 3.1 Flash Image Preview",
        **_IMAGE_MODEL_IO,
        "max_input_tokens": 131_072,
        **_NO_TOOLS,
        "reasoning_output": True,
        "reasoning_effort_levels": ["minimal", "high"],
        "reasoning_effort_default": "minimal",
    },
    # -- speech (TTS) models --------------------------------------------------
    "gemini-2.5-flash-tts": {"name": "Gemini 2.5 Flash Preview TTS", **_TTS},
    "gemini-2.5-pro-tts": {"name": "Gemini 2.5 Pro Preview TTS", **_TTS},
}
"""Profiles by canonical id (see :func:`canonical_id`)."""

# Endpoints that serve a listed model under another name.
_ALIASES = {"gemini-3.1-pro-customtools": "gemini-3.1-pro"}


class BudgetRange(NamedTuple):
    """A Gemini 2.5 model's accepted ``thinkingBudget`` (besides -1, dynamic)."""

    minimum: int
    maximum: int
    can_disable: bool
    """Whether 0 (no thinking) is accepted below ``minimum``."""


THINKING_BUDGETS: dict[str, BudgetRange] = {
    "gemini-2.5-pro": BudgetRange(128, 32_768, can_disable=False),
    "gemini-2.5-flash": BudgetRange(1, 24_576, can_disable=True),
    "gemini-2.5-flash-lite": BudgetRange(512, 24_576, can_disable=True),
}
"""Token-budget ranges of the 2.5 models, by canonical id."""

_DROPPED = frozenset({"preview", "latest", "exp"})


def canonical_id(model: str) -> str:
    """``models/gemini-2.5-flash-preview-09-2025`` -> ``gemini-2.5-flash``.

    Drops any path prefix, then ``preview``/``latest``/``exp`` and all-digit
    parts (dates, ``001``) after the family and version.
    """
    name = model.rsplit("/", 1)[-1].strip().lower()
    parts = name.split("-")
    kept = [p for p in parts[2:] if p not in _DROPPED and not p.isdigit()]
    canonical = "-".join([*parts[:2], *kept])
    return _ALIASES.get(canonical, canonical)


def profile_for(model: str) -> ModelProfile | None:
    """A copy of ``model``'s profile, or ``None`` for an unknown model."""
    profile = PROFILES.get(canonical_id(model))
    if profile is None:
        return None
    copy: dict[str, Any] = {
        k: list(v) if isinstance(v, list) else v for k, v in profile.items()
    }
    return copy  # type: ignore[return-value]
