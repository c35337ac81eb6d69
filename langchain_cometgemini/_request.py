"""Pure conversion of LangChain messages and settings into a Gemini request.

``build_contents`` turns messages into ``systemInstruction`` + ``contents``;
``generation_config`` turns settings into ``generationConfig``. Nothing here
does I/O: media behind http(s) URLs is downloaded by the client beforehand
(:func:`media_urls` lists what is needed) and passed in as ``media``.

Request reference: https://ai.google.dev/api/generate-content#request-body
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
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

from langchain_cometgemini._history import ai_blocks, from_gemini
from langchain_cometgemini._json import loads
from langchain_cometgemini._media import Media, media_urls
from langchain_cometgemini._parts import (
    BLOCK_BUILDERS,
    GENERATED_ID_PREFIX,
    unsupported_block,
)
from langchain_cometgemini._profiles import generation
from langchain_cometgemini._wire import (
    SIGNATURES_KEY,
    Blob,
    FunctionCall,
    FunctionResponse,
    Part,
)

__all__ = [
    "SKIP_SIGNATURE",
    "build_contents",
    "media_urls",
]

SKIP_SIGNATURE = "skip_thought_signature_validator"
"""Documented placeholder for a Gemini 3 function call with no signature of its
own (history written by hand or by another provider). See
https://ai.google.dev/gemini-api/docs/thought-signatures#faqs"""


# -- content blocks ------------------------------------------------------------


def _block_to_part(block: Any, media: Media) -> Part | None:
    """One content block -> one Gemini part (``None`` for nothing to send).

    The block's type picks its builder from the part-kind table (``_parts``).
    """
    if isinstance(block, str):
        return {"text": block}
    if not isinstance(block, dict):
        raise ValueError(
            f"Unsupported content of type {type(block).__name__}: {block!r:.80}"
        )
    btype = block.get("type")
    build = BLOCK_BUILDERS.get(btype) if isinstance(btype, str) else None
    if build is None:
        raise unsupported_block(btype)
    return build(block, media)


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
    # Reasoning and signatures go back only to the model that made them
    # (``_history``); a foreign message's calls get the placeholder below.
    gemini = from_gemini(message)
    parts = _content_parts(ai_blocks(message, gemini), media)
    signatures = (gemini and message.additional_kwargs.get(SIGNATURES_KEY)) or {}
    calls = []
    for call in message.tool_calls:
        function_call: FunctionCall = {"name": call["name"], "args": call["args"]}
        call_id = call.get("id")
        if call_id and not call_id.startswith(GENERATED_ID_PREFIX):
            function_call["id"] = call_id  # echoed; an id we made up is not
        part: Part = {"functionCall": function_call}
        signature = signatures.get(call_id)
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


NESTED_MEDIA_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/webp", "application/pdf", "text/plain"}
)
"""Inline media Gemini 3 takes inside ``functionResponse.parts``, as listed in
https://ai.google.dev/gemini-api/docs/function-calling#multimodal (each such
part must be ``inlineData``). Other media of a tool result (audio, video,
files by URI) follows the function responses as parts of the same user turn,
which Gemini 3 and 2.5 both read (docs/tool_results.md)."""


def _tool_response(
    message: ToolMessage, names: Mapping[str, str], media: Media, nested: bool
) -> tuple[Part, list[Part]]:
    """A ToolMessage -> (its ``functionResponse``, media that follows it).

    Text and JSON blocks make the JSON ``response`` (``{"output": ...}``, or
    ``{"error": ...}`` for ``status="error"``: the keys the API documents);
    with ``nested`` (Gemini 3) inline images, PDFs and text files go in the
    response's own ``parts``, any other media after the responses.
    See https://ai.google.dev/api/caching#FunctionResponse
    """
    name = message.name or names.get(message.tool_call_id)
    if not name:
        raise ValueError(
            f"ToolMessage with tool_call_id={message.tool_call_id!r} answers no tool "
            "call in the preceding AIMessages; Gemini needs the function name."
        )
    extra: list[Part] = []
    inner: list[Part] = []
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
                    _place_media(part, block, nested, inner, extra)
            elif isinstance(block, dict):
                texts.append(block.get("json", block.get("text")))
            else:
                texts.append(block)
        result = texts[0] if len(texts) == 1 else texts
        result = _maybe_json(result) if isinstance(result, str) else result
    key = "error" if message.status == "error" else "output"
    if inner and result == []:
        response: dict[str, Any] = {}  # the media is the whole result
    else:
        response = (
            result if isinstance(result, dict) and key == "output" else {key: result}
        )
    function_response: FunctionResponse = {"name": name, "response": response}
    if inner:
        _check_refs(response, inner, name)
        function_response["parts"] = inner
    call_id = message.tool_call_id
    if call_id and not call_id.startswith(GENERATED_ID_PREFIX):
        function_response["id"] = call_id
    return {"functionResponse": function_response}, extra


def _place_media(
    part: Part,
    block: Mapping[str, Any],
    nested: bool,
    inner: list[Part],
    out: list[Part],
) -> None:
    blob = part.get("inlineData")
    mime = str(blob.get("mimeType", "")).lower() if blob else ""
    if not (nested and blob is not None and mime in NESTED_MEDIA_TYPES):
        out.append(part)
        return
    extras = block.get("extras")
    name = extras.get("display_name") if isinstance(extras, Mapping) else None
    name = name or block.get("filename")
    inline: Blob = {"mimeType": blob["mimeType"], "data": blob.get("data", "")}
    if name:
        inline["displayName"] = str(name)
    inside: Part = {"inlineData": inline}
    if "mediaResolution" in part:
        # FunctionResponsePart has its own media_resolution (Gemini 3).
        # See https://ai.google.dev/api/caching#FunctionResponsePart
        inside["mediaResolution"] = part["mediaResolution"]
    inner.append(inside)


def _check_refs(response: Any, parts: list[Part], function: str) -> None:
    """Display names unique, and each ``{"$ref": name}`` naming one of them."""
    names = [p["inlineData"].get("displayName") for p in parts]
    given = [n for n in names if n]
    if len(set(given)) != len(given):
        raise ValueError(
            f"The result of {function!r} has media sharing a display_name "
            f"({given}); Gemini needs each one unique."
        )
    stack = [response]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref not in given:
                raise ValueError(
                    f"The result of {function!r} refers to {{'$ref': {ref!r}}} but "
                    f"no media block has that display_name (given: {given})."
                )
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _add_response(
    turn: list[Part],
    response: Part,
    after: list[Part],
    rank: int,
    ranks: dict[int, int],
) -> None:
    """Put a function response into the user turn of its step.

    Responses go first, in the order of the calls they answer (``rank``;
    ToolMessages may come in any order, and Gemini 3 pairs responses with
    calls by id, name and count, a call without id by position), then any
    media that follows them. ``ranks`` remembers the rank of each response
    placed (by object id: a response to a call without id has no id on the
    wire). See https://ai.google.dev/gemini-api/docs/function-calling
    """
    first = next((i for i, p in enumerate(turn) if "functionResponse" in p), None)
    at = len(turn) if first is None else first
    while at < len(turn) and "functionResponse" in turn[at]:
        if ranks.get(id(turn[at]), rank) > rank:
            break
        at += 1
    ranks[id(response)] = rank
    turn.insert(at, response)
    turn.extend(after)


def _maybe_json(text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return loads(stripped)
        except (ValueError, RecursionError):
            pass  # not strict JSON (NaN, too deep, ...): sent as the text it is
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
    messages: Iterable[BaseMessage],
    *,
    model: str,
    media: Media | None = None,
    inline_limit: int | None = None,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Messages -> (``systemInstruction`` or None, ``contents``).

    ``inline_limit``: most inline media (base64 characters) one request may
    carry; None: Gemini's, :data:`MAX_INLINE_BYTES` (``max_media_bytes``).

    Every system message, wherever it stands, joins the system instruction in
    order; consecutive turns of one role are merged (the API wants turns to
    alternate); the ToolMessages of one step become one ``user`` turn.
    """
    media = media or {}
    placeholder = generation(model) == "3"
    system: list[Part] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    call_order: dict[str, int] = {}
    ranks: dict[int, int] = {}
    nested = placeholder  # Gemini 3 takes media inside function responses
    for message in messages:
        if isinstance(message, SystemMessage) or (
            isinstance(message, ChatMessage) and message.role == "system"
        ):
            system.extend(_content_parts(message.content, media))
            continue
        role = _role(message)
        if isinstance(message, AIMessage):
            for position, call in enumerate(message.tool_calls):
                if call.get("id"):
                    call_names[str(call["id"])] = call["name"]
                    call_order[str(call["id"])] = position
            parts = _ai_parts(message, media, placeholder)
        elif isinstance(message, ToolMessage):
            response, after = _tool_response(message, call_names, media, nested)
            rank = call_order.get(message.tool_call_id, len(call_order))
            if contents and contents[-1]["role"] == "user":
                _add_response(contents[-1]["parts"], response, after, rank, ranks)
                continue
            ranks[id(response)] = rank
            parts = [response, *after]
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
    every = [*system, *(p for c in contents for p in c["parts"])]
    _check_inline_size(
        every, MAX_INLINE_BYTES if inline_limit is None else inline_limit
    )
    if not placeholder:
        _drop_part_resolution(every, model)
    return ({"parts": system} if system else None), contents


def _drop_part_resolution(parts: Iterable[Part], model: str) -> None:
    """Per-part ``mediaResolution`` off the parts of a request to a model
    before Gemini 3, with a warning: Google documents it for Gemini 3 only
    (https://ai.google.dev/gemini-api/docs/media-resolution); the model-wide
    ``media_resolution`` setting is the one 2.5 takes.
    """
    dropped = 0
    for part in parts:
        if part.pop("mediaResolution", None) is not None:
            dropped += 1
        response = part.get("functionResponse")
        for inner in (response or {}).get("parts") or ():
            if inner.pop("mediaResolution", None) is not None:
                dropped += 1
    if dropped:
        warnings.warn(
            f"{model}: per-part media_resolution is a Gemini 3 option; left out "
            f"of {dropped} part(s). Use the model-wide media_resolution setting "
            "for this model.",
            stacklevel=2,
        )


MAX_INLINE_BYTES = 20_000_000
"""Gemini refuses requests whose inline data passes 20 MB; bigger media must go
by file URI. See https://ai.google.dev/gemini-api/docs/file-input-methods"""


def _check_inline_size(parts: Iterable[Part], limit: int) -> None:
    """Refuse, before sending, inline data the service would refuse anyway.

    Counts the base64 text as sent (what the limit applies to on the wire).
    """
    total = sum(
        len(part["inlineData"].get("data") or "")
        for part in parts
        if isinstance(part.get("inlineData"), dict)
    )
    if total > limit:
        raise ValueError(
            f"Inline media total {total / 1e6:.1f} MB (base64) in one request; "
            f"Gemini accepts at most {MAX_INLINE_BYTES / 1e6:.0f} MB inline "
            f"(max_media_bytes={limit:,}). Upload large files and pass them by "
            "file URI instead (a 'file' block with file_id, or an "
            "image/audio/video/file block whose url is a gs:// or Files API URI)."
        )
