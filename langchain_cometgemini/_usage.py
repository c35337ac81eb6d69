"""Names and token counts: snake_case metadata keys and LangChain's usage.

``usageMetadata`` arrives in either spelling (camelCase from the service,
snake_case from some relays); :func:`usage_parts` maps it to LangChain's
``UsageMetadata`` and also gives it whole, snake_cased, for
``response_metadata``. See
https://ai.google.dev/api/generate-content#UsageMetadata and, for Vertex
AI's ``trafficType``,
https://cloud.google.com/vertex-ai/docs/reference/rest/v1/GenerateContentResponse#UsageMetadata
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages.ai import UsageMetadata

from langchain_cometgemini._parts import snake
from langchain_cometgemini._wire import UsageMetadata as WireUsage

__all__ = ["cached_snake", "snake_keys", "usage_parts"]

_SNAKE_CACHE: dict[str, str] = {}


def cached_snake(key: str) -> str:
    cached = _SNAKE_CACHE.get(key)
    if cached is None:
        cached = snake(key)
        if len(_SNAKE_CACHE) < 4096:  # wire keys are few; hostile ones are not
            _SNAKE_CACHE[key] = cached
    return cached


_MAX_DEPTH = 64
"""Nesting below which metadata keys are left as sent: real metadata is a few
levels deep, and hostile nesting must not exhaust the stack (RecursionError)."""


def snake_keys(value: Any, _depth: int = 0) -> Any:
    """Recursively snake_case dict keys (values untouched).

    Metadata is exposed with the SDK's snake_case keys because that is what
    langchain-google-genai produces and what langchain-core's translator reads
    (``grounding_supports``, ``segment.start_index``, ...).
    """
    if _depth > _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {
            cached_snake(str(k)): snake_keys(v, _depth + 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [snake_keys(v, _depth + 1) for v in value]
    return value


_USAGE_NAMES = {
    spelling: snake(key)
    for key in (*WireUsage.__annotations__, "modality", "tokenCount")
    for spelling in (key, snake(key))
}
"""usageMetadata keys in either spelling -> snake_case."""
_AUDIO_SIDE = {
    "prompt_tokens_details": "input",
    "tool_use_prompt_tokens_details": "input",
    "candidates_tokens_details": "output",
}


def usage_parts(raw: Any) -> tuple[UsageMetadata | None, dict[str, Any] | None]:
    """(LangChain's usage, the service's usage whole with snake_case keys).

    LangChain's usage (see docs/message_format.md): input = prompt + tool-use
    prompt; output = candidates + thoughts; the service's ``totalTokenCount``
    kept as sent. Per-modality details fill the standard detail keys:
    ``audio`` (prompt and tool-use prompt AUDIO tokens in, candidates AUDIO
    tokens out), ``cache_read`` (``cachedContentTokenCount``) and
    ``reasoning`` (``thoughtsTokenCount``). One pass over ``usageMetadata`` in
    either spelling: every answer has one, so the common shapes take the
    short ways.
    """
    if not isinstance(raw, dict):
        return None, None
    whole: dict[str, Any] = {}
    audio = {"input": 0, "output": 0}
    names = _USAGE_NAMES
    for key, value in raw.items():
        name = names.get(key) or cached_snake(str(key))
        if value.__class__ is list:
            value = [_detail(item) for item in value]
            side = _AUDIO_SIDE.get(name, "")
            for item in value if side else ():
                if item.__class__ is dict and item.get("modality") == "AUDIO":
                    audio[side] += _int(item.get("token_count"))
        elif value.__class__ is dict:
            value = snake_keys(value)
        whole[name] = value
    get = whole.get
    prompt = _int(get("prompt_token_count")) + _int(get("tool_use_prompt_token_count"))
    thoughts = _int(get("thoughts_token_count"))
    output = _int(get("candidates_token_count")) + thoughts
    total = get("total_token_count")
    usage = UsageMetadata(
        input_tokens=prompt,
        output_tokens=output,
        total_tokens=_int(total) if total is not None else prompt + output,
    )
    cached = get("cached_content_token_count")
    if audio["input"] or cached is not None:
        usage["input_token_details"] = _details(audio["input"], "cache_read", cached)
    if audio["output"] or thoughts:
        usage["output_token_details"] = _details(audio["output"], "reasoning", thoughts)
    return usage, whole


def _detail(item: Any) -> Any:
    """One ``ModalityTokenCount`` with snake_case keys."""
    if item.__class__ is not dict:
        return snake_keys(item)
    if len(item) == 2 and "tokenCount" in item and "modality" in item:
        return {"modality": item["modality"], "token_count": item["tokenCount"]}
    return {_USAGE_NAMES.get(k) or cached_snake(str(k)): v for k, v in item.items()}


def _details(audio: int, key: str, count: Any) -> Any:
    details = {"audio": audio} if audio else {}
    if count:
        details[key] = _int(count)
    elif count is not None and key == "cache_read":
        details[key] = 0  # sent as zero: reported as zero
    return details


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
