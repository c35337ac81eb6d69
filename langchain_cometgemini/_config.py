"""Pure construction of the request's settings: ``generationConfig`` and its
``thinkingConfig``, ``safetySettings``, ``cachedContent``.

What goes where is read from the settings table (``_settings``); values are
already validated and normalized there, so building only copies them. The one
translation left is thinking: Gemini 3 models take
``thinkingConfig.thinkingLevel``, Gemini 2.5 models take
``thinkingConfig.thinkingBudget``, and the service rejects the wrong one. So the
generation-neutral ``reasoning_effort`` and any explicit field are translated
here for the model actually called.
See https://ai.google.dev/gemini-api/docs/thinking
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_cometgemini._settings import (
    HARM_CATEGORIES,
    HARM_THRESHOLDS,
    IMAGE_SIZES,
    TABLE,
    Entry,
    SettingsTable,
    normalize_image_config,
    normalize_safety_settings,
)

__all__ = [
    "EFFORT_BUDGETS",
    "EFFORT_LEVELS",
    "HARM_CATEGORIES",
    "HARM_THRESHOLDS",
    "IMAGE_SIZES",
    "generation_config",
    "normalize_image_config",
    "normalize_safety_settings",
    "request_settings",
    "thinking_config",
]

EFFORT_LEVELS = {"minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH"}
"""reasoning_effort -> Gemini 3 ``thinkingLevel``."""

EFFORT_BUDGETS = {"minimal": 0, "low": 1024, "medium": 8192, "high": 24576}
"""reasoning_effort -> Gemini 2.5 ``thinkingBudget`` (tokens). 2.5 Pro cannot
switch thinking off, so ``minimal`` becomes its floor of 128 there."""

_PRO_MIN_BUDGET = 128


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


def _copied(entries: tuple[Entry, ...], options: Mapping[str, Any]) -> dict[str, Any]:
    """``{wire key: value}`` for the entries set in ``options`` (see ``Wire.omit``)."""
    out: dict[str, Any] = {}
    for name, key, omit in entries:
        value = options.get(name)
        if value is not None and value not in omit:
            out[key] = value
    return out


def generation_config(
    options: Mapping[str, Any],
    generation: str | None,
    model: str,
    table: SettingsTable = TABLE,
) -> dict[str, Any]:
    """Settings (python names, validated values) -> ``generationConfig``.

    ``generation`` is the model's generation (``_request.model_generation``).
    Settings missing from ``options`` count as unset. ``model_kwargs`` entries
    are merged last, so any field this package does not model yet can still be
    sent. See https://ai.google.dev/api/generate-content#generationconfig
    """
    config = _copied(table.config, options)
    thinking = thinking_config(
        generation, model, **{key: options.get(name) for name, key in table.thinking}
    )
    if thinking:
        config["thinkingConfig"] = thinking
    for name in table.merge:
        config.update(options.get(name) or {})
    return config


def request_settings(
    options: Mapping[str, Any],
    generation: str | None,
    model: str,
    table: SettingsTable = TABLE,
) -> dict[str, Any]:
    """The request body's keys that come from settings (all but the messages and tools).

    See https://ai.google.dev/api/generate-content#request-body
    """
    body = _copied(table.request, options)
    config = generation_config(options, generation, model, table)
    if config:
        body["generationConfig"] = config
    return body
