"""Pure construction of ``generationConfig``, ``thinkingConfig`` and ``safetySettings``.

Gemini 3 models take ``thinkingConfig.thinkingLevel``; Gemini 2.5 models take
``thinkingConfig.thinkingBudget``; the service rejects the wrong one. So the
generation-neutral ``reasoning_effort`` and any explicit field are translated
here for the model actually called.
See https://ai.google.dev/gemini-api/docs/thinking
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "EFFORT_BUDGETS",
    "EFFORT_LEVELS",
    "HARM_CATEGORIES",
    "HARM_THRESHOLDS",
    "IMAGE_SIZES",
    "generation_config",
    "normalize_image_config",
    "normalize_safety_settings",
    "thinking_config",
]

EFFORT_LEVELS = {"minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH"}
"""reasoning_effort -> Gemini 3 ``thinkingLevel``."""

EFFORT_BUDGETS = {"minimal": 0, "low": 1024, "medium": 8192, "high": 24576}
"""reasoning_effort -> Gemini 2.5 ``thinkingBudget`` (tokens). 2.5 Pro cannot
switch thinking off, so ``minimal`` becomes its floor of 128 there."""

_PRO_MIN_BUDGET = 128

HARM_CATEGORIES = frozenset(
    {
        "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_CIVIC_INTEGRITY",
    }
)
HARM_THRESHOLDS = frozenset(
    {
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
        "BLOCK_LOW_AND_ABOVE",
        "BLOCK_MEDIUM_AND_ABOVE",
        "BLOCK_ONLY_HIGH",
        "BLOCK_NONE",
        "OFF",
    }
)

# Python field -> generationConfig key, for values sent as they are.
_PLAIN = {
    "temperature": "temperature",
    "top_p": "topP",
    "top_k": "topK",
    "max_tokens": "maxOutputTokens",
    "n": "candidateCount",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "response_mime_type": "responseMimeType",
    "response_json_schema": "responseJsonSchema",
    "response_schema": "responseSchema",
    "response_modalities": "responseModalities",
    "response_logprobs": "responseLogprobs",
    "logprobs": "logprobs",
    "media_resolution": "mediaResolution",
}


def _enum_name(value: Any, prefix: str) -> str:
    text = str(getattr(value, "name", value)).upper()
    return text if text.startswith(prefix) or prefix == "" else f"{prefix}{text}"


def normalize_safety_settings(value: Any) -> list[dict[str, str]] | None:
    """``{category: threshold}`` or a list of either shape -> wire list.

    Short names are accepted (``"hate_speech": "block_none"``); unknown
    categories or thresholds raise ``ValueError`` naming the bad value.
    """
    if value is None:
        return None
    items: list[tuple[Any, Any]]
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list | tuple):
        items = []
        for entry in value:
            if not isinstance(entry, Mapping) or not {"category", "threshold"} <= set(
                entry
            ):
                raise ValueError(
                    "safety_settings entries must be "
                    f"{{'category': ..., 'threshold': ...}}, got {entry!r}"
                )
            items.append((entry["category"], entry["threshold"]))
    else:
        raise ValueError(
            f"safety_settings must be a dict or a list, not {type(value).__name__}"
        )
    settings = []
    for category, threshold in items:
        cat = _enum_name(category, "HARM_CATEGORY_")
        thr = _enum_name(threshold, "")
        if thr not in HARM_THRESHOLDS and f"BLOCK_{thr}" in HARM_THRESHOLDS:
            thr = f"BLOCK_{thr}"
        if cat not in HARM_CATEGORIES:
            raise ValueError(
                f"safety_settings: unknown harm category {category!r}; "
                f"known: {sorted(HARM_CATEGORIES)}"
            )
        if thr not in HARM_THRESHOLDS:
            raise ValueError(
                f"safety_settings: unknown threshold {threshold!r} for {cat}; "
                f"known: {sorted(HARM_THRESHOLDS)}"
            )
        settings.append({"category": cat, "threshold": thr})
    return settings


def _level_to_budget(level: str, model: str) -> int:
    budget = EFFORT_BUDGETS[level.lower()]
    return max(budget, _PRO_MIN_BUDGET) if "pro" in model else budget


_BUDGET_LEVELS = {budget: level for level, budget in EFFORT_BUDGETS.items()}


def _budget_to_level(budget: int, model: str) -> str | None:
    """The Gemini 3 level equivalent to a 2.5 budget, if one is exact.

    ``-1`` (dynamic) is Gemini 3's default, so nothing is sent; a budget equal to
    an ``EFFORT_BUDGETS`` value maps to that level. Any other number has no
    faithful level, so it is rejected rather than rounded silently.
    """
    if budget < 0:
        return None
    if budget in _BUDGET_LEVELS:
        return EFFORT_LEVELS[_BUDGET_LEVELS[budget]]
    raise ValueError(
        f"thinking_budget={budget} cannot be sent to {model}: Gemini 3 models take "
        "thinking_level ('minimal', 'low', 'medium', 'high'), not a token budget. "
        "Use thinking_level=... or reasoning_effort=... (budgets "
        f"{sorted(_BUDGET_LEVELS)} and -1 are translated automatically)."
    )


def thinking_config(
    generation: str | None,
    model: str,
    *,
    budget: int | None = None,
    level: str | None = None,
    include_thoughts: bool | None = None,
    effort: str | None = None,
) -> dict[str, Any] | None:
    """Build ``thinkingConfig`` with the one field ``model`` accepts.

    ``generation`` is ``"3"``, ``"2.5"`` or ``None`` (unknown: fields are sent as
    given). An explicit ``budget``/``level`` wins over ``effort``. A level sent
    to 2.5 becomes its ``EFFORT_BUDGETS`` budget; a budget sent to Gemini 3
    becomes a level only when the mapping is exact (see ``_budget_to_level``),
    else ``ValueError`` names the field to use instead.
    """
    if budget is not None and level is not None:
        raise ValueError("Set thinking_budget or thinking_level, not both.")
    config: dict[str, Any] = {}
    if level is None and budget is None and effort is not None:
        if effort.lower() not in EFFORT_LEVELS:
            raise ValueError(
                f"reasoning_effort must be one of {sorted(EFFORT_LEVELS)}, "
                f"got {effort!r}"
            )
        level = effort
    if level is not None and level.lower() not in EFFORT_LEVELS:
        raise ValueError(
            f"thinking_level must be one of {sorted(EFFORT_LEVELS)}, got {level!r}"
        )
    if generation == "2.5":
        if level is not None:
            budget = _level_to_budget(level, model)
        if budget is not None:
            config["thinkingBudget"] = budget
    elif generation == "3":
        if budget is not None:
            mapped = _budget_to_level(budget, model)
            if mapped is not None:
                config["thinkingLevel"] = mapped
        elif level is not None:
            config["thinkingLevel"] = EFFORT_LEVELS[level.lower()]
    else:
        if budget is not None:
            config["thinkingBudget"] = budget
        if level is not None:
            config["thinkingLevel"] = EFFORT_LEVELS[level.lower()]
    if include_thoughts is not None:
        config["includeThoughts"] = include_thoughts
    return config or None


IMAGE_SIZES = ("1K", "2K", "4K")
_ASPECT_RATIO = re.compile(r"^[1-9][0-9]*:[1-9][0-9]*$")
_IMAGE_KEYS = {"aspect_ratio": "aspectRatio", "image_size": "imageSize"}


def normalize_image_config(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Check ``image_config`` and return it with wire (camelCase) keys.

    ``image_size`` must be ``"1K"``, ``"2K"`` or ``"4K"`` (case-insensitive) and
    ``aspect_ratio`` look like ``"16:9"``; a bad value raises ``ValueError``
    naming the field, before anything is sent. Other keys are camelCased and
    passed through for fields this package does not model yet.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(
            f"image_config must be a dict such as {{'aspect_ratio': '16:9', "
            f"'image_size': '2K'}}, not {type(value).__name__}"
        )
    config: dict[str, Any] = {}
    for key, raw in value.items():
        if raw is None:
            continue
        wire = _IMAGE_KEYS.get(key) or _camel(str(key))
        if wire == "imageSize":
            size = str(raw).upper()
            if size not in IMAGE_SIZES:
                raise ValueError(
                    f"image_config.image_size must be one of {list(IMAGE_SIZES)}, "
                    f"got {raw!r}"
                )
            raw = size
        elif wire == "aspectRatio":
            if not isinstance(raw, str) or not _ASPECT_RATIO.match(raw.strip()):
                raise ValueError(
                    "image_config.aspect_ratio must be 'W:H' with whole numbers "
                    f"(e.g. '16:9', '1:1'), got {raw!r}"
                )
            raw = raw.strip()
        config[wire] = raw
    return config


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word.capitalize() for word in rest)


_MEDIA_RESOLUTIONS = {"unspecified", "low", "medium", "high"}


def _media_resolution(value: Any) -> str:
    """``"low"`` -> ``"MEDIA_RESOLUTION_LOW"``; full enum names pass unchanged."""
    text = str(getattr(value, "name", value))
    if text.lower() in _MEDIA_RESOLUTIONS:
        return f"MEDIA_RESOLUTION_{text.upper()}"
    return text


def generation_config(
    options: Mapping[str, Any], generation: str | None, model: str
) -> dict[str, Any]:
    """Settings (python names) -> ``generationConfig`` (wire names).

    ``model_kwargs`` entries are merged last, so any field this package does not
    model yet can still be sent.
    """
    config: dict[str, Any] = {}
    for name, wire in _PLAIN.items():
        value = options.get(name)
        if value is not None:
            config[wire] = value
    if options.get("n") == 1:
        del config["candidateCount"]  # the default; keep requests minimal
    stop = options.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    image = normalize_image_config(options.get("image_config"))
    if image:
        config["imageConfig"] = image
    if "mediaResolution" in config:
        config["mediaResolution"] = _media_resolution(config["mediaResolution"])
    thinking = thinking_config(
        generation,
        model,
        budget=options.get("thinking_budget"),
        level=options.get("thinking_level"),
        include_thoughts=options.get("include_thoughts"),
        effort=options.get("reasoning_effort"),
    )
    if thinking:
        config["thinkingConfig"] = thinking
    config.update(options.get("model_kwargs") or {})
    return config
