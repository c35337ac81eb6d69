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

import functools
from collections.abc import Mapping
from typing import Any

from langchain_cometgemini import _profiles
from langchain_cometgemini._settings import TABLE, SettingsTable

__all__ = [
    "EFFORT_BUDGETS",
    "EFFORT_LEVELS",
    "generation_config",
    "request_settings",
    "supported_level",
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
_ORDER = tuple(EFFORT_LEVELS)  # minimal < low < medium < high


@functools.lru_cache(maxsize=64)
def _model_levels(model: str) -> tuple[str, ...] | None:
    """The thinking levels ``model``'s profile lists (``_profiles``: its entry
    or its family's defaults); ``None`` when the model belongs to no known
    family (levels are sent as given).
    """
    profile = _profiles.model_data(model)
    if profile is None:
        return None
    return tuple(profile.get("reasoning_effort_levels") or ())


def supported_level(level: str, model: str) -> str:
    """``level`` (lower case) if ``model`` takes it, else its nearest level.

    Nearest by position in minimal < low < medium < high; on a tie the higher
    one (asking for ``medium`` on Gemini 3 Pro, which takes ``low``/``high``,
    thinks more rather than less). Mapped rather than refused: the caller's
    intent (think less, think more) survives a model switch in an agent or a
    fallback chain, where one setting meets several models. A model whose
    profile lists no levels (Gemini 3 Pro Image: its thinking is fixed) raises
    ``ValueError``: no level would be accepted.
    Levels: https://ai.google.dev/gemini-api/docs/thinking#thinking-levels
    """
    level = level.lower()
    levels = _model_levels(model)
    if levels is None or level in levels:
        return level
    if not levels:
        raise ValueError(
            f"{model} takes no thinking level (its thinking is not configurable); "
            "leave reasoning_effort and thinking_level unset for it."
        )
    wanted = _ORDER.index(level)
    return min(
        levels, key=lambda lv: (abs(_ORDER.index(lv) - wanted), -_ORDER.index(lv))
    )


def _budget_to_level(budget: int, model: str) -> str | None:
    """The level (``reasoning_effort`` name) equivalent to a 2.5 budget, if exact.

    ``-1`` (dynamic) is Gemini 3's default, so nothing is sent; a budget equal to
    an ``EFFORT_BUDGETS`` value maps to that level. Any other number has no
    faithful level, so it is rejected rather than rounded silently.
    """
    if budget < 0:
        return None
    if budget in _BUDGET_LEVELS:
        return _BUDGET_LEVELS[budget]
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
            level = _budget_to_level(budget, model)
        if level is not None:
            config["thinkingLevel"] = EFFORT_LEVELS[supported_level(level, model)]
    else:
        if budget is not None:
            config["thinkingBudget"] = budget
        if level is not None:
            config["thinkingLevel"] = EFFORT_LEVELS[level.lower()]
    if include_thoughts is not None:
        config["includeThoughts"] = include_thoughts
    return config or None


def _build(
    options: Mapping[str, Any], generation: str | None, model: str, table: SettingsTable
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(top-level body keys, ``generationConfig``) for ``options``, in one pass.

    Each set value is copied to its place (``Wire.omit`` values are not sent);
    the thinking inputs are translated for ``model``; mappings to merge go last.
    """
    body: dict[str, Any] = {}
    config: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    tools: dict[str, Any] = {}
    targets = {
        "request": body,
        "generationConfig": config,
        "thinkingConfig": inputs,
        "toolConfig": tools,
    }
    for name, key, omit, place in table.sent:
        value = options.get(name)
        if value is not None and value not in omit:
            targets[place][key] = value
    if tools:
        body["toolConfig"] = tools
    thinking = thinking_config(generation, model, **inputs) if inputs else None
    if thinking:
        config["thinkingConfig"] = thinking
    for name in table.merge:
        extra = options.get(name)
        if extra:
            config.update(extra)
    return body, config


def generation_config(
    options: Mapping[str, Any],
    generation: str | None,
    model: str,
    table: SettingsTable = TABLE,
) -> dict[str, Any]:
    """Settings (python names, validated values) -> ``generationConfig``.

    ``generation`` is the model's generation (``_profiles.generation``).
    Settings missing from ``options`` count as unset. ``model_kwargs`` entries
    are merged last, so any field this package does not model yet can still be
    sent. See https://ai.google.dev/api/generate-content#generationconfig
    """
    return _build(options, generation, model, table)[1]


def request_settings(
    options: Mapping[str, Any], table: SettingsTable = TABLE
) -> dict[str, Any]:
    """The body keys that come from settings (all but the messages and tools).

    ``options["model"]`` is the model called (its generation picks the
    thinking field). See https://ai.google.dev/api/generate-content#request-body
    """
    model = options["model"]
    body, config = _build(options, _profiles.generation(model), model, table)
    if config:
        body["generationConfig"] = config
    return body
