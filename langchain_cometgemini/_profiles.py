"""Model families and profiles: what each Gemini model can take and give.

Data, plus the rules that read it. ``ChatCometGemini.profile`` (langchain-core's
``ModelProfile``) is filled from here; agents and middleware read it:
``create_agent(response_format=M)`` picks provider-native structured output
when ``structured_output`` is true, and ``SummarizationMiddleware`` with a
``("fraction", x)`` trigger needs ``max_input_tokens``.

**Families by rule.** :func:`generation` decides how a model is configured:
any ``gemini-N...`` with N >= 3 and the ``gemini-{flash,flash-lite,pro}-latest``
aliases follow the Gemini 3 rules (``thinkingLevel``, the signature
placeholder, media inside function responses, per-part media options);
``gemini-2.5-...`` keeps its own (``thinkingBudget``). Google ships new ids
often, so no rule lists them one by one.

**Profiles as data, each with its source** (read 2026; a model's page on
Google AI for Developers is ``https://ai.google.dev/gemini-api/docs/models/<id>``):

- Gemini 2.5 Pro / Flash / Flash-Lite, Gemini 3 Pro / Flash, 3.1 Pro: their
  model pages (limits, inputs, capabilities); levels and budgets from
  https://ai.google.dev/gemini-api/docs/thinking (3 Pro: low/high, default
  high; 3 Flash: all four, default high; 3.1 Pro adds medium, Vertex AI's
  Gemini 3.1 Pro page; 2.5 budgets: Pro 128-32768 and never off, Flash
  0-24576, Flash-Lite 512-24576 and off by default);
- image models: the model pages and Vertex AI's
  (https://cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/3-1-flash-image,
  .../2-5-flash-image); 3.1 Flash Image levels minimal/high, default minimal,
  https://ai.google.dev/gemini-api/docs/image-generation;
- TTS models (2.5 Flash / Pro, 3.1 Flash): text in, audio out, 8,192 input /
  16,384 output tokens, no tools, no thinking:
  https://ai.google.dev/gemini-api/docs/speech-generation and
  https://ai.google.dev/gemini-api/docs/models/gemini-3.1-flash-tts-preview;
- 3.1 Flash-Lite and 3.5 Flash: Vertex AI's developer's guide to Gemini 3.5
  Flash (its table compares 3.5 Flash, 3.1 Pro and 3.1 Flash-Lite: 1,048,576
  in, 65,536 out, text/image/audio/video in; levels: 3.5 Flash all four,
  default medium; 3.1 Flash-Lite all four, default minimal),
  https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/guides/gemini-3-5-flash;
- 3.6 Flash and 3.5 Flash-Lite: https://ai.google.dev/gemini-api/docs/whats-new-gemini-3.6
  (default levels medium and minimal; the four levels each);
- 3.7 and 3.8 Flash: Vertex AI's developer's guide to Gemini 3.8 Flash
  (1,048,576 in, 65,536 out; levels low/medium/high, default medium for both),
  https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/guides/gemini-3-8-flash;
- Gemini 4 Argon: https://ai.google.dev/gemini-api/docs/generate-content/latest-model
  (one 1,048,576-token limit for input and output together; long decode up
  to 1,048,576 output tokens; levels low/medium/high, default medium);
- the ``-latest`` aliases move with each release, so their entries hold what
  every model they have pointed to takes: ``gemini-pro-latest`` points to
  Gemini 3.1 Pro since March 2026 (Google's notice, quoted in
  https://github.com/google-gemini/gemini-cli/issues/20588); Flash: 3.6-3.8
  Flash all take low/medium/high; Flash-Lite: 3.1 and 3.5 Flash-Lite take
  all four levels;
- Gemini 2.5 Computer Use: 128,000 in / 64,000 out, text and images in,
  function calling, no thinking controls
  (https://ai.google.dev/gemini-api/docs/models/gemini-2.5-computer-use-preview-10-2025,
  https://ai.google.dev/gemini-api/docs/computer-use).

Tool messages: images and PDFs in a ``ToolMessage`` reach every general model
(Gemini 3 inside ``functionResponse.parts``, 2.5 right after the function
responses, docs/tool_results.md), so ``image_tool_message`` and
``pdf_tool_message`` are true for them. Every system message joins the
leading ``systemInstruction`` (``_request.build_contents``), so
``mid_conversation_system_messages`` and ``mid_conversation_tools`` are false.

``reasoning_effort_levels`` lists the levels this package's
``reasoning_effort`` accepts for the model. For Gemini 3+ they are the
model's own ``thinkingLevel`` values; for 2.5 every level is accepted and
sent as a budget (``_config.EFFORT_BUDGETS``) inside the model's range
(``THINKING_BUDGETS`` below), so ``reasoning_effort_default`` there is
``"dynamic"`` (the model picks its budget; not a level) or, for Flash-Lite,
``"minimal"`` (budget 0: no thinking, its documented default).

Ids are matched after dropping a ``models/``-style prefix, ``-preview``,
``-latest``, ``-exp`` and date/version number parts, so
``models/gemini-2.5-flash-preview-09-2025`` and ``gemini-2.5-pro-exp-03-25``
find their model. An id not in the table but of a known family (``gemini-3.9-flash``,
``gemini-4-ultra``, ``gemini-2.5-flash-something``) gets that family's
defaults (:func:`family_defaults`); other ids (``gemini-2.0-flash``, Live-API
models, other vendors) get no profile (``None``).

langchain-core adds ``ModelProfile`` keys over time (1.8 added
``image_tool_message``, ``reasoning_effort_levels`` and others). The data
here is complete; :func:`profile_for` hands langchain-core only the keys its
installed ``ModelProfile`` declares, so older versions see no unknown key.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

from langchain_core.language_models import ModelProfile

__all__ = [
    "DECLARED_KEYS",
    "GENERATION_2_5",
    "GENERATION_3",
    "PROFILES",
    "THINKING_BUDGETS",
    "BudgetRange",
    "canonical_id",
    "family_defaults",
    "generation",
    "model_data",
    "profile_for",
]

GENERATION_3 = "3"
"""Gemini 3 and later: ``thinkingLevel``, signature placeholder, nested media."""
GENERATION_2_5 = "2.5"
"""Gemini 2.5: ``thinkingBudget``."""

_ALL_LEVELS = ["minimal", "low", "medium", "high"]
_LMH = ["low", "medium", "high"]

# Input kinds of the general models (text, image, audio, video, PDF).
_MULTIMODAL_IN: dict[str, Any] = {
    "text_inputs": True,
    "image_inputs": True,
    "image_url_inputs": True,  # URLs are downloaded and sent inline
    "pdf_inputs": True,
    "audio_inputs": True,
    "video_inputs": True,
    "image_tool_message": True,
    "pdf_tool_message": True,
}
_TEXT_OUT: dict[str, Any] = {
    "text_outputs": True,
    "image_outputs": False,
    "audio_outputs": False,
    "video_outputs": False,
}
_TOOLS: dict[str, Any] = {
    "tool_calling": True,
    "tool_choice": True,  # toolConfig.functionCallingConfig modes and names
    "tool_call_streaming": True,  # each streamed call is its own chunk index
    "structured_output": True,  # responseJsonSchema
}
_NO_TOOLS: dict[str, Any] = {
    "tool_calling": False,
    "tool_choice": False,
    "structured_output": False,
}
_ONE_TURN: dict[str, Any] = {
    # System messages all join the leading systemInstruction; tools go in
    # the request's tool list only.
    "mid_conversation_system_messages": False,
    "mid_conversation_tools": False,
}
_ONE_MILLION = 1_048_576
_CHAT_LIMITS: dict[str, Any] = {
    "max_input_tokens": _ONE_MILLION,
    "max_output_tokens": 65_536,
}


def _chat(name: str, levels: list[str], default: str, **extra: Any) -> dict[str, Any]:
    """A general (text-out, tool-calling, thinking) Gemini model."""
    return {
        "name": name,
        **_CHAT_LIMITS,
        **_MULTIMODAL_IN,
        **_TEXT_OUT,
        **_TOOLS,
        **_ONE_TURN,
        "reasoning_output": True,
        "reasoning_effort_levels": levels,
        "reasoning_effort_default": default,
        "temperature": True,
        **extra,
    }


_IMAGE_MODEL_IO: dict[str, Any] = {
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
    **_NO_TOOLS,
    **_ONE_TURN,
}


def _image(name: str, max_input: int, **extra: Any) -> dict[str, Any]:
    """An image model: no function calling; structured output left off (these
    models answer with images, so agents must not pick the provider strategy).
    """
    return {"name": name, **_IMAGE_MODEL_IO, "max_input_tokens": max_input, **extra}


_TTS: dict[str, Any] = {
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
    **_ONE_TURN,
    "reasoning_output": False,
    "temperature": True,
}


def _tts(name: str) -> dict[str, Any]:
    return {"name": name, **_TTS}


PROFILES: dict[str, dict[str, Any]] = {
    # -- Gemini 2.5 (thinkingBudget) ----------------------------------------
    "gemini-2.5-pro": _chat("Gemini 2.5 Pro", _ALL_LEVELS, "dynamic"),
    "gemini-2.5-flash": _chat("Gemini 2.5 Flash", _ALL_LEVELS, "dynamic"),
    "gemini-2.5-flash-lite": _chat("Gemini 2.5 Flash-Lite", _ALL_LEVELS, "minimal"),
    "gemini-2.5-computer-use": {
        "name": "Gemini 2.5 Computer Use Preview",
        "max_input_tokens": 128_000,
        "max_output_tokens": 64_000,
        "text_inputs": True,
        "image_inputs": True,  # screenshots
        "image_url_inputs": True,
        "pdf_inputs": False,
        "audio_inputs": False,
        "video_inputs": False,
        "image_tool_message": True,  # screenshots go back with each action
        "pdf_tool_message": False,
        **_TEXT_OUT,
        **_TOOLS,
        "structured_output": False,
        **_ONE_TURN,
        "reasoning_output": False,
        "temperature": True,
    },
    # -- Gemini 3 and later (thinkingLevel) -----------------------------------
    "gemini-3-pro": _chat("Gemini 3 Pro Preview", ["low", "high"], "high"),
    "gemini-3-flash": _chat("Gemini 3 Flash Preview", _ALL_LEVELS, "high"),
    "gemini-3.1-pro": _chat("Gemini 3.1 Pro Preview", _LMH, "high"),
    "gemini-3.1-flash-lite": _chat("Gemini 3.1 Flash-Lite", _ALL_LEVELS, "minimal"),
    "gemini-3.5-flash": _chat("Gemini 3.5 Flash", _ALL_LEVELS, "medium"),
    "gemini-3.5-flash-lite": _chat("Gemini 3.5 Flash-Lite", _ALL_LEVELS, "minimal"),
    "gemini-3.6-flash": _chat("Gemini 3.6 Flash", _ALL_LEVELS, "medium"),
    "gemini-3.7-flash": _chat("Gemini 3.7 Flash", _LMH, "medium"),
    "gemini-3.8-flash": _chat("Gemini 3.8 Flash", _LMH, "medium"),
    "gemini-4-argon": _chat(
        "Gemini 4 Argon",
        _LMH,
        "medium",
        # One limit for input and output together; long decode
        # (automatic_continuation) carries an answer past one request's cap.
        max_output_tokens=_ONE_MILLION,
    ),
    # -- aliases that move with each release (see the module docstring) -----
    "gemini-pro": _chat("Gemini Pro (latest)", _LMH, "high"),
    "gemini-flash": _chat("Gemini Flash (latest)", _LMH, "medium"),
    "gemini-flash-lite": _chat("Gemini Flash-Lite (latest)", _ALL_LEVELS, "minimal"),
    # -- image models ---------------------------------------------------------
    "gemini-2.5-flash-image": _image(
        "Gemini 2.5 Flash Image", 32_768, reasoning_output=False
    ),
    # Thinks always; the level is not configurable.
    "gemini-3-pro-image": _image(
        "Gemini 3 Pro Image Preview", 65_536, reasoning_output=True
    ),
    "gemini-3.1-flash-image": _image(
        "Gemini 3.1 Flash Image Preview",
        131_072,
        reasoning_output=True,
        reasoning_effort_levels=["minimal", "high"],
        reasoning_effort_default="minimal",
    ),
    # -- speech (TTS) models --------------------------------------------------
    "gemini-2.5-flash-tts": _tts("Gemini 2.5 Flash Preview TTS"),
    "gemini-2.5-pro-tts": _tts("Gemini 2.5 Pro Preview TTS"),
    "gemini-3.1-flash-tts": _tts("Gemini 3.1 Flash TTS Preview"),
}
"""Profiles by canonical id (see :func:`canonical_id`), every fact sourced in
the module docstring. Complete data: keys langchain-core may not know yet are
kept here and filtered by :func:`profile_for`."""

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
_LATEST_ALIASES = frozenset(
    {"gemini-flash-latest", "gemini-flash-lite-latest", "gemini-pro-latest"}
)
_VERSION = re.compile(r"gemini-(\d+)(?:\.(\d+))?(?=-|$)")
# Models served only by the Live API (a WebSocket protocol), never by
# generateContent: no family default makes sense for them.
_LIVE_ONLY = ("native-audio", "-live")


def _name(model: str) -> str:
    return model.rsplit("/", 1)[-1].strip().lower()


@functools.lru_cache(maxsize=64)
def generation(model: str) -> str | None:
    """:data:`GENERATION_3` for Gemini N >= 3 and the ``-latest`` aliases,
    :data:`GENERATION_2_5` for Gemini 2.5, else ``None`` (fields sent as given).

    Cached: a call asks it three times (thinking config, signature
    placeholder, tool config) of the one model id.

    ``gemini-4-argon``, ``gemini-3.8-flash``, ``models/gemini-pro-latest``:
    ``"3"``. Decides the thinking field and whether the Gemini 3 signature
    placeholder and nested tool-result media apply.
    """
    name = _name(model)
    if name in _LATEST_ALIASES:
        return GENERATION_3
    match = _VERSION.match(name)
    if match is None:
        return None
    major, minor = int(match[1]), int(match[2] or 0)
    if major >= 3:
        return GENERATION_3
    if (major, minor) == (2, 5):
        return GENERATION_2_5
    return None


def canonical_id(model: str) -> str:
    """``models/gemini-2.5-flash-preview-09-2025`` -> ``gemini-2.5-flash``.

    Drops any path prefix, then ``preview``/``latest``/``exp`` and all-digit
    parts (dates, ``001``) after the family and version.
    """
    parts = _name(model).split("-")
    kept = [p for p in parts[2:] if p not in _DROPPED and not p.isdigit()]
    canonical = "-".join([*parts[:2], *kept])
    return _ALIASES.get(canonical, canonical)


def family_defaults(model: str) -> dict[str, Any] | None:
    """The profile an id of a known family gets when the table lacks it.

    By kind: ``-tts`` a speech model, ``-image`` an image model, else a
    general model: Gemini 3+ with low/medium/high (every Gemini 3+ text model
    since 3.1 Pro takes them; Flash-Lite all four, default minimal), 2.5 with
    every level as a budget. ``None`` for other generations and Live-only ids.
    """
    family = generation(model)
    name = canonical_id(model)
    if family is None or any(mark in name for mark in _LIVE_ONLY):
        return None
    label = f"{name} (Gemini {family} family defaults)"
    if "-tts" in name:
        return _tts(label)
    if "-image" in name:
        return _image(label, 65_536, reasoning_output=family == GENERATION_3)
    if family == GENERATION_2_5:
        return _chat(label, _ALL_LEVELS, "dynamic")
    if "flash-lite" in name:
        return _chat(label, _ALL_LEVELS, "minimal")
    return _chat(label, _LMH, "high" if "pro" in name else "medium")


def model_data(model: str) -> dict[str, Any] | None:
    """``model``'s full profile data (table entry, else family defaults), shared:
    callers must not change it. ``None`` for an id of no known family.
    """
    return PROFILES.get(canonical_id(model)) or family_defaults(model)


def _declared() -> frozenset[str]:
    """The keys the installed langchain-core's ``ModelProfile`` declares."""
    return frozenset(ModelProfile.__required_keys__ | ModelProfile.__optional_keys__)


DECLARED_KEYS = _declared()
"""Keys handed to langchain-core (1.6 lacks 1.8's ``image_tool_message``, ...)."""


def profile_for(model: str) -> ModelProfile | None:
    """A copy of ``model``'s profile with the keys langchain-core declares;
    ``None`` for an id of no known family.
    """
    data = model_data(model)
    if data is None:
        return None
    copy: dict[str, Any] = {
        k: list(v) if isinstance(v, list) else v
        for k, v in data.items()
        if k in DECLARED_KEYS
    }
    return copy  # type: ignore[return-value]
