"""Pure: a local token estimate for when ``countTokens`` is not there.

CometAPI does not document its ``countTokens`` endpoint; when it answers 404 or
405 the model falls back to this estimate (and warns once).
See https://ai.google.dev/api/tokens#method:-models.counttokens
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["estimate_tokens"]

_MEDIA_TOKENS = 258  # Gemini's documented cost of one image up to 384 px
# Request keys whose values the model never reads as prompt text.
_NOT_PROMPT = frozenset(
    {
        "model",
        "role",
        "mimeType",
        "thoughtSignature",
        "thought",
        "generationConfig",
        "safetySettings",
        "toolConfig",
        "cachedContent",
    }
)


def estimate_tokens(request: Mapping[str, Any]) -> int:
    """Rough local count: ~4 characters per token of text, a flat cost per media."""
    chars, media = 0, 0
    stack: list[Any] = [request]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("inlineData", "fileData"):
                    media += 1
                elif key not in _NOT_PROMPT:
                    stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            chars += len(value)
    return -(-chars // 4) + media * _MEDIA_TOKENS
