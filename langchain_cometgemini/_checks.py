"""Pure checks around a call: constructor arguments, settings before sending,
answers after receiving.

Kept out of ``chat_models`` so the model class stays glue; nothing here does
I/O. An empty answer is logged under ``langchain_cometgemini.chat_models``, the
logger name ``docs/agents.md`` gives users.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import BaseModel, SecretStr

from langchain_cometgemini._arguments import suggestion
from langchain_cometgemini._errors import GeminiStreamError, docs_url
from langchain_cometgemini._response import StreamState, final_chunk

__all__ = [
    "answered",
    "check_base_url",
    "check_connection",
    "check_streamable",
    "check_turns",
    "checked",
    "last_chunk",
    "unknown_arguments",
]

logger = logging.getLogger("langchain_cometgemini.chat_models")

# -- constructor arguments ---------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _has_auth_header(headers: Mapping[str, str] | None) -> bool:
    return any(k.lower() in ("authorization", "x-goog-api-key") for k in headers or {})


def check_connection(
    api_key: SecretStr | None, headers: Mapping[str, str] | None
) -> None:
    """Refuse a model with no key (neither ``api_key`` nor an auth header)."""
    if api_key is None and not _has_auth_header(headers):
        raise ValueError(
            "api_key: no CometAPI key. Pass api_key=... or set COMETAPI_KEY."
        )


def check_base_url(base_url: str) -> str:
    """``base_url`` unchanged, or ``ValueError`` if it is not http(s); warn when
    the key would travel over plain http to a host that is not this machine.

    A field validator, so an assignment (``llm.base_url = ...``) is checked
    before the value is kept.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        warnings.warn(
            f"base_url {base_url!r} is plain http: the API key would "
            "travel unencrypted.",
            stacklevel=3,
        )
    return base_url


_EXTRA_ARGUMENTS = frozenset({"callback_manager"})  # langchain-core's deprecated one


@functools.cache
def _known_arguments(cls: type[BaseModel]) -> frozenset[str]:
    """Every name the constructor of ``cls`` takes: fields and their aliases."""
    names = set(_EXTRA_ARGUMENTS)
    for name, field in cls.model_fields.items():
        names.add(name)
        if field.alias:
            names.add(field.alias)
    return frozenset(names)


def unknown_arguments(cls: type[BaseModel], values: Mapping[str, Any]) -> None:
    """``TypeError`` naming each argument ``cls`` does not take, with the
    closest field name as a hint.

    pydantic ignores unknown arguments, so a typo (``tempreature=0``) would be
    dropped without a word. A TypeError, as Python raises for an unexpected
    keyword: pydantic would wrap a ValueError with every argument given, the
    key among them.
    """
    known = _known_arguments(cls)
    unknown = [k for k in values if k not in known]
    if not unknown:
        return
    fields = [n for n in known if not n.startswith("_")]
    hints = []
    for name in unknown:
        close = suggestion(str(name), fields)
        hint = f" (did you mean {close!r}?)" if close else ""
        hints.append(f"{name!r}{hint}")
    raise TypeError(
        f"{cls.__name__} got unknown argument(s) {', '.join(hints)}. Request "
        "fields Gemini has that this class does not model go in "
        f"model_kwargs={{...}}; every parameter: {docs_url('index.md')}"
    )


# -- before sending ----------------------------------------------------------------

_NO_MESSAGES = (
    "No messages to send: Gemini needs at least one user turn (got an empty list)."
)
_NO_TURNS = (
    "Only system messages: Gemini needs at least one user turn besides the "
    "system instruction. Add a HumanMessage."
)


def check_turns(system: Any, contents: Sequence[Any]) -> None:
    """``ValueError`` when there is no turn to send besides the system one."""
    if not contents:
        raise ValueError(_NO_TURNS if system else _NO_MESSAGES)


def check_streamable(body: Mapping[str, Any]) -> None:
    """``ValueError`` for ``n > 1``: a stream carries one candidate."""
    count = body.get("generationConfig", {}).get("candidateCount", 1)
    if count != 1:
        raise ValueError(
            f"n={count}: streaming returns one candidate; use invoke for n > 1."
        )


# -- after answering ---------------------------------------------------------------


def answered(message: BaseMessage) -> bool:
    """Whether a message (or chunk) holds anything besides thoughts."""
    if getattr(message, "tool_call_chunks", None) or getattr(
        message, "tool_calls", None
    ):
        return True
    if getattr(message, "invalid_tool_calls", None):
        return True
    content = message.content
    if isinstance(content, str):
        return bool(content)
    return any(
        not isinstance(block, dict) or block.get("type") != "thinking"
        for block in content
    )


def _warn_empty(metadata: Mapping[str, Any]) -> None:
    """Log that an answer came back empty, naming why when the service said."""
    feedback = metadata.get("prompt_feedback") or {}
    block = feedback.get("block_reason") if isinstance(feedback, dict) else None
    reason = (
        f"prompt blocked: {block}"
        if block
        else f"finish_reason={metadata.get('finish_reason') or 'none given'}"
    )
    logger.warning(
        "Gemini returned an empty answer (no text, no tool calls; %s). "
        "See response_metadata for safety ratings and feedback.",
        reason,
    )


def checked(result: ChatResult) -> ChatResult:
    """``result`` unchanged; an empty generation is logged (``_warn_empty``)."""
    for generation in result.generations:
        if not answered(generation.message):
            _warn_empty(generation.message.response_metadata)
    return result


def last_chunk(
    state: StreamState, seen: bool = True, usage: bool = True
) -> ChatGenerationChunk:
    """A stream's closing chunk (usage, finish reason); ``GeminiStreamError``
    when the stream stopped before a ``finishReason``, a log line when no
    earlier chunk (``seen``) held an answer. ``usage=False``
    (``stream_usage=False``) leaves the token usage out.
    """
    if not state.finished:
        raise GeminiStreamError(
            "The stream ended without a finishReason: the answer is incomplete."
        )
    message = final_chunk(state)
    if not usage:
        message.usage_metadata = None
    if not seen:
        _warn_empty(message.response_metadata)
    return ChatGenerationChunk(message=message)
