"""Pure conversion of LangChain messages and settings into a Gemini request.

``build_contents`` turns messages into ``systemInstruction`` + ``contents``;
``generation_config`` turns settings into ``generationConfig``. Nothing here
does I/O: media behind http(s) URLs is downloaded by the client beforehand
(:func:`media_urls` lists what is needed) and passed in as ``media``.

Request reference: https://ai.google.dev/api/generate-content#request-body
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_cometgemini._response import OUTCOMES, SIGNATURES_KEY

__all__ = [
    "SKIP_SIGNATURE",
    "build_contents",
    "media_urls",
    "model_generation",
]

SKIP_SIGNATURE = "skip_thought_signature_validator"
"""Documented placeholder for a Gemini 3 function call with no signature of its
own (history written by hand or by another provider). See
https://ai.google.dev/gemini-api/docs/thought-signatures#faqs"""

Media = Mapping[str, tuple[bytes, str | None]]
Part = dict[str, Any]

_DATA_URI = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[^,;]*)*?;base64,(?P<data>.*)$", re.S
)
_YOUTUBE = re.compile(r"^https?://(www\.|m\.)?(youtube\.com|youtu\.be)/", re.I)
_FILES_API = re.compile(r"^https://generativelanguage\.googleapis\.com/", re.I)
_OUTCOME_NAMES = {number: name for name, number in OUTCOMES.items()}
_MEDIA_TYPES = frozenset({"image", "audio", "video", "file", "text-plain"})
_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"%PDF", "application/pdf"),
    (b"RIFF", "image/webp"),
    (b"ID3", "audio/mpeg"),
)


def model_generation(model: str) -> str | None:
    """``"3"`` for Gemini 3.x, ``"2.5"`` for Gemini 2.5, else ``None``.

    Decides which thinking field the model takes and whether the Gemini 3
    signature placeholder applies.
    """
    name = model.removeprefix("models/").lower()
    if name.startswith("gemini-3"):
        return "3"
    if name.startswith("gemini-2.5"):
        return "2.5"
    return None


# -- media -------------------------------------------------------------------


def _is_remote(url: str) -> bool:
    """An http(s) URL we must download (YouTube and Files API URIs are not)."""
    return (
        url.startswith(("http://", "https://"))
        and not _YOUTUBE.match(url)
        and not _FILES_API.match(url)
    )


def _block_url(block: Mapping[str, Any]) -> str | None:
    btype = block.get("type")
    if btype == "image_url":
        ref = block.get("image_url")
        url = ref.get("url") if isinstance(ref, dict) else ref
        return url if isinstance(url, str) else None
    if btype in _MEDIA_TYPES and (
        block.get("source_type", "url") == "url" and isinstance(block.get("url"), str)
    ):
        return str(block["url"])
    return None


def media_urls(messages: Sequence[BaseMessage]) -> list[str]:
    """The http(s) media URLs in ``messages`` that must be downloaded first."""
    urls: list[str] = []
    for message in messages:
        if isinstance(message.content, list):
            for block in message.content:
                if isinstance(block, dict):
                    url = _block_url(block)
                    if url and _is_remote(url) and url not in urls:
                        urls.append(url)
    return urls


def _guess_mime(data: bytes | None, name: str | None, fallback: str) -> str:
    if name:
        guessed = mimetypes.guess_type(name)[0]
        if guessed:
            return guessed
    for magic, mime in _MAGIC:
        if data is not None and data.startswith(magic):
            return mime
    return fallback


def _inline(data_b64: str, mime: str | None, kind: str) -> Part:
    if not mime:
        head = base64.b64decode(data_b64[:64] + "=" * (-len(data_b64[:64]) % 4))
        mime = _guess_mime(head, None, _default_mime(kind))
    return {"inlineData": {"mimeType": mime, "data": data_b64}}


def _default_mime(kind: str) -> str:
    return {"image": "image/png", "text-plain": "text/plain"}.get(
        kind, "application/octet-stream"
    )


def _from_url(url: str, mime: str | None, kind: str, media: Media) -> Part:
    match = _DATA_URI.match(url)
    if match:
        return _inline(match.group("data"), mime or match.group("mime"), kind)
    if _is_remote(url):
        if url not in media:
            raise ValueError(f"Media at {url} was not downloaded before conversion.")
        data, served = media[url]
        mime = mime or _guess_mime(data, url, served or _default_mime(kind))
        return {
            "inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}
        }
    if "://" in url:  # gs://, Files API or YouTube URIs go by reference
        file_data = {"fileUri": url}
        if mime or not _YOUTUBE.match(url):
            file_data["mimeType"] = mime or _guess_mime(None, url, _default_mime(kind))
        return {"fileData": file_data}
    raise ValueError(
        f"Unsupported media URL {url[:80]!r}: give an http(s) URL, a data URI, "
        "a gs:// or Files API URI, or base64 data."
    )


def _media_part(block: Mapping[str, Any], media: Media) -> Part:
    """A v1 (or v0.3 ``source_type``) data block -> ``inlineData``/``fileData``."""
    kind = str(block["type"])
    mime = block.get("mime_type")
    source = block.get("source_type")
    if source == "base64" or (source is None and block.get("base64") is not None):
        data = block.get("base64") if source is None else block.get("data")
        return _inline(str(data), mime, kind)
    if source == "text" or (
        kind == "text-plain" and isinstance(block.get("text"), str)
    ):
        raw = str(block.get("text", ""))
        return _inline(
            base64.b64encode(raw.encode()).decode(), mime or "text/plain", kind
        )
    if source == "id" or block.get("file_id") is not None:
        file_id = str(block.get("file_id") or block.get("id"))
        return {
            "fileData": {
                "fileUri": file_id,
                "mimeType": mime or _guess_mime(None, file_id, _default_mime(kind)),
            }
        }
    if isinstance(block.get("url"), str):
        return _from_url(str(block["url"]), mime, kind, media)
    raise ValueError(
        f"The {kind!r} content block has no base64 data, url or file_id: "
        f"{sorted(block)}"
    )


# -- content blocks ------------------------------------------------------------


def _with_signature(part: Part, block: Mapping[str, Any]) -> Part:
    extras = block.get("extras")
    signature = block.get("signature") or (
        extras.get("signature") if isinstance(extras, dict) else None
    )
    if signature:
        part["thoughtSignature"] = signature
    return part


def _block_to_part(block: Any, media: Media) -> Part | None:
    """One content block -> one Gemini part (``None`` for nothing to send)."""
    if isinstance(block, str):
        return {"text": block}
    if not isinstance(block, dict):
        raise ValueError(
            f"Unsupported content of type {type(block).__name__}: {block!r:.80}"
        )
    btype = block.get("type")
    if btype == "text":
        return _with_signature({"text": str(block.get("text", ""))}, block)
    if btype in ("thinking", "reasoning"):
        text = block.get("thinking", block.get("reasoning", ""))
        return _with_signature({"text": str(text), "thought": True}, block)
    if btype == "image_url":
        url = _block_url(block)
        if not url:
            raise ValueError("The 'image_url' content block has no url.")
        return _with_signature(_from_url(url, None, "image", media), block)
    if btype in _MEDIA_TYPES:
        return _media_part(block, media)
    if btype == "media":  # langchain-google-genai's own block
        if block.get("file_uri"):
            return {
                "fileData": {
                    "fileUri": block["file_uri"],
                    "mimeType": block.get("mime_type"),
                }
            }
        data = block.get("data")
        if isinstance(data, bytes):
            data = base64.b64encode(data).decode()
        return _inline(str(data), block.get("mime_type"), "file")
    if btype == "executable_code":
        code: dict[str, Any] = {
            "language": block.get("language", "PYTHON"),
            "code": block.get("executable_code", ""),
        }
        return _with_signature({"executableCode": code}, block)
    if btype == "code_execution_result":
        outcome = block.get("outcome", 1)
        result: dict[str, Any] = {
            "outcome": _OUTCOME_NAMES.get(outcome, outcome)
            if isinstance(outcome, int)
            else str(outcome),
            "output": block.get("code_execution_result", ""),
        }
        return _with_signature({"codeExecutionResult": result}, block)
    if btype == "non_standard" and isinstance(block.get("value"), dict):
        return dict(block["value"])
    if btype in ("tool_call", "tool_call_chunk", "function_call"):
        return None  # sent from AIMessage.tool_calls, which is authoritative
    raise ValueError(
        f"Unsupported content block type {btype!r} for Gemini. Supported: text, "
        "image_url, image, audio, video, file, text-plain, media, thinking, "
        "reasoning, executable_code, code_execution_result, non_standard."
    )


def _content_parts(content: str | list[Any], media: Media) -> list[Part]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts = []
    for block in content:
        part = _block_to_part(block, media)
        if part is not None:
            parts.append(part)
    return parts


# -- messages ------------------------------------------------------------------


def _ai_parts(message: AIMessage, media: Media, placeholder: bool) -> list[Part]:
    parts = _content_parts(message.content, media)
    signatures = message.additional_kwargs.get(SIGNATURES_KEY) or {}
    calls = []
    for call in message.tool_calls:
        function_call: dict[str, Any] = {"name": call["name"], "args": call["args"]}
        if call.get("id"):
            function_call["id"] = call["id"]
        part: Part = {"functionCall": function_call}
        signature = signatures.get(call.get("id"))
        if signature:
            part["thoughtSignature"] = signature
        calls.append(part)
    for bad in message.invalid_tool_calls:
        raise ValueError(
            f"The AIMessage has an invalid tool call {bad.get('name')!r} "
            f"({bad.get('error')}); fix or remove it before sending the history."
        )
    if placeholder and calls and not any("thoughtSignature" in c for c in calls):
        calls[0]["thoughtSignature"] = SKIP_SIGNATURE
    return parts + calls


def _tool_response(
    message: ToolMessage, names: Mapping[str, str], media: Media
) -> list[Part]:
    """A ToolMessage -> ``functionResponse`` (+ any media it carries, after it)."""
    name = message.name or names.get(message.tool_call_id)
    if not name:
        raise ValueError(
            f"ToolMessage with tool_call_id={message.tool_call_id!r} answers no tool "
            "call in the preceding AIMessages; Gemini needs the function name."
        )
    extra: list[Part] = []
    if isinstance(message.content, str):
        result: Any = _maybe_json(message.content)
    else:
        texts: list[Any] = []
        for block in message.content:
            if isinstance(block, dict) and block.get("type") not in (
                None,
                "text",
                "json",
            ):
                part = _block_to_part(block, media)
                if part is not None:
                    extra.append(part)
            elif isinstance(block, dict):
                texts.append(block.get("json", block.get("text")))
            else:
                texts.append(block)
        result = texts[0] if len(texts) == 1 else texts
        result = _maybe_json(result) if isinstance(result, str) else result
    key = "error" if message.status == "error" else "output"
    response = result if isinstance(result, dict) and key == "output" else {key: result}
    function_response: dict[str, Any] = {"name": name, "response": response}
    if message.tool_call_id:
        function_response["id"] = message.tool_call_id
    return [{"functionResponse": function_response}, *extra]


def _maybe_json(text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    return text


def _role(message: BaseMessage) -> str:
    if isinstance(message, AIMessage):
        return "model"
    if isinstance(message, HumanMessage | ToolMessage | FunctionMessage):
        return "user"
    if isinstance(message, ChatMessage):
        if message.role in ("user", "human"):
            return "user"
        if message.role in ("model", "assistant", "ai"):
            return "model"
    raise ValueError(
        f"Unsupported message type {type(message).__name__}"
        + (f" with role {message.role!r}" if isinstance(message, ChatMessage) else "")
    )


def build_contents(
    messages: Iterable[BaseMessage], *, model: str, media: Media | None = None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Messages -> (``systemInstruction`` or None, ``contents``).

    Every system message, wherever it stands, joins the system instruction in
    order; consecutive turns of one role are merged (the API wants turns to
    alternate); the ToolMessages of one step become one ``user`` turn.
    """
    media = media or {}
    placeholder = model_generation(model) == "3"
    system: list[Part] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for message in messages:
        if isinstance(message, SystemMessage) or (
            isinstance(message, ChatMessage) and message.role == "system"
        ):
            system.extend(_content_parts(message.content, media))
            continue
        role = _role(message)
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call.get("id"):
                    call_names[str(call["id"])] = call["name"]
            parts = _ai_parts(message, media, placeholder)
        elif isinstance(message, ToolMessage):
            parts = _tool_response(message, call_names, media)
        elif isinstance(message, FunctionMessage):
            parts = [
                {
                    "functionResponse": {
                        "name": message.name,
                        "response": {"output": _maybe_json(str(message.content))},
                    }
                }
            ]
        else:
            parts = _content_parts(message.content, media) or [{"text": ""}]
        if not parts:
            continue  # an AIMessage with neither content nor tool calls
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    _check_inline_size([*system, *(p for c in contents for p in c["parts"])])
    return ({"parts": system} if system else None), contents


MAX_INLINE_BYTES = 20_000_000
"""Gemini refuses requests whose inline data passes 20 MB; bigger media must go
by file URI. See https://ai.google.dev/gemini-api/docs/file-input-methods"""


def _check_inline_size(parts: Iterable[Part]) -> None:
    """Refuse, before sending, inline data the service would refuse anyway.

    Counts the base64 text as sent (what the limit applies to on the wire).
    """
    total = sum(
        len(part["inlineData"].get("data") or "")
        for part in parts
        if isinstance(part.get("inlineData"), dict)
    )
    if total > MAX_INLINE_BYTES:
        raise ValueError(
            f"Inline media total {total / 1e6:.1f} MB (base64) in one request; "
            f"Gemini accepts at most {MAX_INLINE_BYTES / 1e6:.0f} MB inline. Upload "
            "large files and pass them by file URI instead (a 'file' block with "
            "file_id, or an image/audio/video/file block whose url is a gs:// or "
            "Files API URI)."
        )
