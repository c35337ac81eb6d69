"""Pure: the request keys newer than CometAPI's guide, checked and put in wire form.

``service_tier`` -> top-level ``serviceTier``, ``labels`` -> top-level
``labels``, ``retrieval_config`` -> ``toolConfig.retrievalConfig``. The
settings table (``_settings``) attaches these validators to its fields, so a
bad value is refused before sending, at construction or per call, with a
message naming the setting. These keys are Gemini-API-only (CometAPI's guide
lists only the classic ones); they are sent only when set.

References: https://ai.google.dev/api/generate-content#request-body
(``serviceTier``, ``labels``), https://ai.google.dev/api/caching#ToolConfig
and #RetrievalConfig (``retrievalConfig``: ``latLng``, ``languageCode``),
https://ai.google.dev/gemini-api/docs/maps-grounding (the location a Google
Maps grounded answer is about).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "SERVICE_TIERS",
    "SERVICE_TIER_HEADER",
    "normalize_labels",
    "normalize_retrieval_config",
    "normalize_service_tier",
]

SERVICE_TIERS = ("standard", "flex", "priority")
"""The tiers a request may ask for (google-genai's ``ServiceTier`` values)."""
SERVICE_TIER_HEADER = "x-gemini-service-tier"
"""The answer's header naming the tier that served it."""

MAX_LABELS = 64
# Label rules as Google documents them for request labels: keys start with a
# lowercase letter; keys and values hold lowercase letters, digits, '_' and
# '-', at most 63 characters (international lowercase letters allowed).
# See https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/add-labels-to-api-calls
_LABEL_KEY = re.compile(r"[^\W\d_A-Z][\w-]{0,62}")
_LABEL_VALUE = re.compile(r"[\w-]{0,63}")


def normalize_service_tier(value: Any) -> str | None:
    """``"flex"`` / ``ServiceTier.FLEX`` / ``"FLEX"`` -> ``"flex"``."""
    if value is None:
        return None
    text = str(getattr(value, "value", value)).strip().lower()
    if text not in SERVICE_TIERS:
        raise ValueError(
            f"service_tier must be one of {', '.join(map(repr, SERVICE_TIERS))}, "
            f"got {value!r}"
        )
    return text


def normalize_labels(value: Mapping[str, Any] | None) -> dict[str, str] | None:
    """``labels``: at most 64 ``{key: value}`` strings in Google's label format."""
    if value is None:
        return None
    if len(value) > MAX_LABELS:
        raise ValueError(f"labels: at most {MAX_LABELS} labels, got {len(value)}")
    labels: dict[str, str] = {}
    for key, text in value.items():
        if not isinstance(key, str) or not _is_label(_LABEL_KEY, key):
            raise ValueError(
                f"labels: key {key!r} must start with a lowercase letter and hold "
                "only lowercase letters, digits, '_' and '-' (at most 63)."
            )
        if not isinstance(text, str) or not _is_label(_LABEL_VALUE, text):
            raise ValueError(
                f"labels: value {text!r} of {key!r} must be a string of lowercase "
                "letters, digits, '_' and '-' (at most 63)."
            )
        labels[key] = text
    return labels


def _is_label(pattern: re.Pattern[str], text: str) -> bool:
    return pattern.fullmatch(text) is not None and text == text.lower()


_LAT_LNG_KEYS = {"latitude": 90.0, "longitude": 180.0}


def _lat_lng(value: Any) -> dict[str, float]:
    """``{"latitude": 48.85, "longitude": 2.35}`` (or a 2-tuple) -> ``latLng``."""
    if isinstance(value, list | tuple) and len(value) == 2:
        value = dict(zip(_LAT_LNG_KEYS, value, strict=True))
    if not isinstance(value, Mapping) or set(value) != set(_LAT_LNG_KEYS):
        raise ValueError(
            "retrieval_config: lat_lng must be {'latitude': ..., 'longitude': ...} "
            f"or (latitude, longitude), got {value!r}"
        )
    out: dict[str, float] = {}
    for key, bound in _LAT_LNG_KEYS.items():
        number = value[key]
        if (
            isinstance(number, bool)
            or not isinstance(number, int | float)
            or not math.isfinite(number)
            or abs(number) > bound
        ):
            raise ValueError(
                f"retrieval_config: {key} must be a number from -{bound:g} to "
                f"{bound:g}, got {number!r}"
            )
        out[key] = float(number)
    return out


_RETRIEVAL_KEYS = {
    "lat_lng": "latLng",
    "latLng": "latLng",
    "language_code": "languageCode",
    "languageCode": "languageCode",
}


def normalize_retrieval_config(
    value: Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    """``{"lat_lng": {...}, "language_code": "en_US"}`` -> ``retrievalConfig``.

    Either spelling of each key; an unknown key is refused (a typo would
    otherwise be sent and ignored, or refused by the service).
    """
    if value is None:
        return None
    config: dict[str, Any] = {}
    for key, raw in value.items():
        wire = _RETRIEVAL_KEYS.get(key)
        if wire is None:
            raise ValueError(
                f"retrieval_config: unknown key {key!r}; it takes 'lat_lng' and "
                "'language_code'."
            )
        if wire == "latLng":
            config[wire] = _lat_lng(raw)
        elif isinstance(raw, str) and raw.strip():
            config[wire] = raw.strip()
        else:
            raise ValueError(
                f"retrieval_config: language_code must be a language tag such as "
                f"'en_US', got {raw!r}"
            )
    return config or None
