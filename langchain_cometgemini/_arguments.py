"""Pure: the arguments people bring from elsewhere, and what to write instead.

A newcomer types what another integration or a habit taught them:
``api_base=``, ``openai_api_base=``, ``google_api_key=``, ``invoke(x,
temprature=0)``, ``timeout=(3, 10)``, ``base_url=".../v1"``.
Each gets either what it means (``google_api_key`` is ``api_key``; a
``(connect, read)`` pair or an ``httpx.Timeout`` is a timeout) or an error
that names the argument, says what to write, and links the guide. (An empty
key is refused by ``_auth.check_key``.)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from langchain_cometgemini._errors import docs_url

__all__ = [
    "ALIASES",
    "OTHER_NAMES",
    "check_base_url_path",
    "normalize_timeout",
    "renamed",
    "suggestion",
    "unknown_call_argument",
]

ALIASES = {"google_api_key": "api_key"}
"""Other integrations' names accepted as ours (langchain-google-genai's key)."""

OTHER_NAMES = {
    # The service root, as LangChain's OpenAI, Anthropic, Azure and Ollama
    # integrations (and several SDKs) spell it.
    "api_base": "base_url",
    "openai_api_base": "base_url",
    "anthropic_api_url": "base_url",
    "api_url": "base_url",
    "base_uri": "base_url",
    "endpoint": "base_url",
    "api_endpoint": "base_url",
    "azure_endpoint": "base_url",
    "url": "base_url",
    # Keys of other providers: this one takes a CometAPI key.
    "openai_api_key": "api_key",
    "anthropic_api_key": "api_key",
    "gemini_api_key": "api_key",
    "cometapi_key": "api_key",
    # Settings under other names.
    "max_completion_tokens": "max_tokens",
    "max_new_tokens": "max_tokens",
    "model_id": "model",
    "generation_config": "model_kwargs",
    "thinking": "thinking_budget",
}
"""Names other integrations use -> ours; offered as "did you mean ...?"."""


def _squashed(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def suggestion(name: str, names: Iterable[str]) -> str | None:
    """Our name for ``name``: from :data:`OTHER_NAMES` (any spelling:
    ``baseURL``, ``openai-api-base``), the same name spelt otherwise
    (``maxTokens``), or the closest of ``names`` (a typo); ``None`` if none.
    """
    choices = sorted(names)
    squashed = _squashed(name)
    for other, ours in OTHER_NAMES.items():
        if _squashed(other) == squashed:
            return ours
    for ours in choices:
        if _squashed(ours) == squashed:
            return ours
    close = difflib.get_close_matches(name, choices, n=1)
    return close[0] if close else None


def renamed(values: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor arguments with :data:`ALIASES` under our names.

    ``TypeError`` when both names are given: one would be dropped silently.
    """
    result = dict(values)
    for other, ours in ALIASES.items():
        if other not in result:
            continue
        if ours in result or "cometapi_api_key" in result:
            raise TypeError(f"{other} and {ours} given: they are the same; pass one.")
        result[ours] = result.pop(other)
    return result


def unknown_call_argument(
    name: str, per_call: Iterable[str], constructor_only: Iterable[str]
) -> TypeError:
    """The error for a per-call keyword this model does not take.

    With the hint the constructor gives: a typo's closest name, another
    integration's name for ours, or a setting that is fixed per instance.
    """
    fixed = frozenset(constructor_only)
    calls = frozenset(per_call)
    hint = suggestion(name, calls | fixed)
    if hint in fixed:
        advice = (
            f" ({hint!r} is set on the model, not per call: "
            f"ChatCometGemini({hint}=...) or llm.model_copy(update={{{hint!r}: ...}}))"
        )
    elif hint is not None:
        advice = f" (did you mean {hint!r}?)"
    else:
        advice = ""
    return TypeError(
        f"ChatCometGemini got an unexpected keyword argument {name!r}{advice}. "
        f"Settings per call: {docs_url('index.md')}"
    )


def _seconds(value: Any) -> float | None:
    """``value`` as seconds above 0, or ``None`` if it is not that."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 else None


def normalize_timeout(value: Any) -> float | httpx.Timeout | None:
    """A timeout as a caller may give it: seconds, ``(connect, read)`` or
    an ``httpx.Timeout`` (kept as given); ``None`` keeps the default.

    A pair becomes ``httpx.Timeout(read, connect=connect)``: the read value
    also bounds writes and waiting for a pooled connection.
    """
    if value is None or isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, tuple | list) and len(value) == 2:
        connect, read = (_seconds(v) for v in value)
        if connect is not None and read is not None:
            return httpx.Timeout(read, connect=connect)
    else:
        seconds = _seconds(value)
        if seconds is not None:
            return seconds
    raise ValueError(
        "timeout must be a number of seconds above 0 (timeout=30), a (connect, "
        f"read) pair of them (timeout=(3, 60)) or an httpx.Timeout, got {value!r}"
    )


_VERSION_TAIL = re.compile(r"/(v1(?:beta|alpha)?)/*$")


def check_base_url_path(base_url: str) -> str:
    """``base_url`` unchanged, or ``ValueError`` if it ends in an API version.

    The package adds ``/v1beta/models/{model}:...`` itself: with ``.../v1``
    (CometAPI's OpenAI-compatible path, the one most often pasted) every
    request would go to ``/v1/v1beta/...`` and fail with a 404.
    """
    found = _VERSION_TAIL.search(base_url.split("?", 1)[0].split("#", 1)[0])
    if found is None:
        return base_url
    root = base_url[: found.start()] or base_url
    what = " (CometAPI's OpenAI-compatible path)" if found.group(1) == "v1" else ""
    raise ValueError(
        f"base_url {base_url!r} ends in '/{found.group(1)}'{what}: give the "
        f"service root, base_url={root!r} (or COMETAPI_BASE_URL={root}); the "
        "package adds /v1beta/models/{model}:generateContent itself. "
        f"{docs_url('index.md')}"
    )
