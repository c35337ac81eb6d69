"""Pure conversion of Gemini answers into LangChain messages.

One parser serves both paths: :func:`parse_event` turns one
``GenerateContentResponse`` (a unary answer, or one event of a stream) into an
``AIMessageChunk``; the unary path calls it too and turns the chunk into an
``AIMessage``. So the sum of a stream's chunks and the unary message are built
by the same code. Shapes follow ``langchain-google-genai`` (see
``docs/message_format.md``) so langchain-core's ``google_genai`` translator
yields standard ``content_blocks``.

Response reference: https://ai.google.dev/api/generate-content#generatecontentresponse
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.base import merge_content
from langchain_core.messages.tool import (
    invalid_tool_call,
    tool_call,
    tool_call_chunk,
)
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_cometgemini._calls import (
    SURROGATE,
    Assembly,
    Item,
    close,
    is_closing,
    mend,
    record,
)
from langchain_cometgemini._errors import GeminiStreamError
from langchain_cometgemini._limits import MAX_CALL_PIECES
from langchain_cometgemini._parts import (
    KNOWN_PART_KEYS,
    MATCHERS,
    SNAKE_PART_KEYS,
    SNAKE_PAYLOAD_KEYS,
    Call,
    respell,
    snake,
)
from langchain_cometgemini._retry import SERVED_TIER
from langchain_cometgemini._usage import (
    cached_snake,
    snake_keys,
    usage_parts,
)
from langchain_cometgemini._wire import (
    PROVIDER,
    SIGNATURES_KEY,
    Candidate,
    GenerateContentResponse,
    Part,
)
from langchain_cometgemini._wire import UsageMetadata as WireUsage

__all__ = [
    "SIGNATURES_KEY",
    "StreamState",
    "final_chunk",
    "parse_event",
    "response_to_result",
]

# Candidate fields surfaced in response_metadata under their snake_case name,
# which is also how the proto spells them (relays may send either).
_CANDIDATE_META = frozenset(
    {
        "finish_reason",
        "finish_message",
        "safety_ratings",
        "grounding_metadata",
        "url_context_metadata",
        "citation_metadata",
        "avg_logprobs",
        "logprobs_result",
    }
)
_CANDIDATE_FIELDS = {
    spelling: name
    for name in _CANDIDATE_META
    for spelling in (name, re.sub(r"_([a-z])", lambda m: m[1].upper(), name))
} | dict.fromkeys(("content", "index"), "")
"""Candidate keys in either spelling -> response_metadata key ("": not metadata)."""
_SCALARS = (str, int, float)


@dataclass
class StreamState:
    """What the parser remembers between the events of one stream.

    ``block_*`` give each content block a stable ``index`` across chunks, so
    LangChain's chunk aggregation joins the pieces of one thinking block and
    never merges two different blocks; ``tool_index`` does the same for tool
    calls. The rest keeps the latest cumulative usage and metadata, which the
    final chunk reports once (the service's counts are cumulative: summing
    them per event would over-count).
    """

    model: str
    block_index: int = -1
    block_kind: str = ""
    block_signed: bool = False
    tool_index: int = 0
    usage: WireUsage | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    finished: bool = False
    response_id: str | None = None
    assembly: Assembly | None = None
    """A function call whose arguments are still arriving (``_calls``)."""
    max_call_pieces: int = MAX_CALL_PIECES
    """Bound on one streamed call's pieces and list indexes (``_limits``)."""
    pending: str = ""
    """A high surrogate that ended the last text piece: the next piece's low
    surrogate completes the character (a relay may split a pair between
    events)."""


def _next_index(state: StreamState, kind: str, signed: bool, mergeable: bool) -> int:
    if not (
        mergeable and kind == state.block_kind and not (signed and state.block_signed)
    ):
        state.block_index += 1
        state.block_signed = False
    state.block_kind = kind
    state.block_signed = state.block_signed or signed
    return state.block_index


def _block(
    state: StreamState, kind: str, sig: str | None, body: dict[str, Any], merge: bool
) -> dict[str, Any]:
    body["index"] = _next_index(state, kind, sig is not None, merge)
    return body


def _convert_part(
    part: Part, state: StreamState, calls: list[Item], mergeable: bool = True
) -> str | dict[str, Any] | None:
    """One wire part -> a content piece (str or block), or a recorded call.

    The part's kind comes from the part-kind table (``_parts``); this only
    adds what depends on the stream so far: block indexes and plain text.
    """
    if len(part) == 1 and mergeable:
        text = part.get("text")
        if text.__class__ is str:  # the common part: bare text, nothing to match
            return _plain(text, state)
    if not SNAKE_PART_KEYS.isdisjoint(part):
        part = respell(part)  # snake_case wire keys, as some relays send
    raw_sig = part.get("thoughtSignature")
    sig = raw_sig if isinstance(raw_sig, str) and raw_sig else None
    extra = {k: v for k, v in part.items() if k not in KNOWN_PART_KEYS}
    if extra and len(extra) < len(part) and mergeable:
        return _with_extras(part, extra, state, calls)
    # The first kind of the table whose matcher takes the part (inlined: the
    # parser asks it of every part; `kind` is used after the break).
    for key, payload, flag, when, kind in MATCHERS:  # noqa: B007
        if (
            isinstance(part.get(key), payload)
            and (flag is None or part.get(flag))
            and (when is None or when(part))
        ):
            break
    else:
        # A part kind this version does not convert (file data, inline audio,
        # a newer kind): keep it whole so it can be sent back as it came.
        body = {"type": "non_standard", "value": dict(part)}
        return _block(state, "other", None, body, False)
    if kind.fields and not SNAKE_PAYLOAD_KEYS.isdisjoint(part[key]):  # type: ignore[literal-required]
        part = respell(part)
    piece = kind.to_block(part, sig)  # type: ignore[misc]
    if isinstance(piece, Call):
        if piece.name or _continues_or_closes(piece, state):
            record(piece, state, calls)
            return None
        # A call with no name: nothing could run or answer it, and a tool
        # call without one cannot go back to Gemini. Kept whole, as sent.
        body = {"type": "non_standard", "value": dict(part)}
        return _block(state, "other", None, body, False)
    if isinstance(piece, str):
        return _plain(piece, state, mergeable)
    if piece is None:
        return None
    if kind.group in _TEXTS:
        text = piece[kind.group]
        if state.pending or (not text.isascii() and SURROGATE.search(text)):
            piece[kind.group] = _mend(text, state)
    elif isinstance(part.get("text"), str) and part["text"]:
        # Text beside another kind's data: kept with the block, not lost.
        piece["extras"] = {**piece.get("extras", {}), "text": part["text"]}
    before = state.block_index
    block = _block(state, kind.group, sig, piece, merge=kind.merge and mergeable)
    if kind.chain is not None and not kind.chain(block, block["index"] == before):
        state.block_kind = ""  # the next part opens a block of its own
    return block


def _continues_or_closes(call: Call, state: StreamState) -> bool:
    """A nameless piece of a streamed call: one that continues the open call,
    or the empty part that closes one (``_calls``).
    """
    if call.partial is None:
        return False
    return state.assembly is not None or is_closing(call)


_TEXTS = frozenset({"text", "thinking"})


def _plain(
    text: str, state: StreamState, mergeable: bool = True
) -> str | dict[str, Any] | None:
    """Unsigned text: a plain string, or the continuation of a signed block."""
    if state.pending or (not text.isascii() and SURROGATE.search(text)):
        text = _mend(text, state)
    if not text:
        return None
    if state.block_kind != "text":
        state.block_kind = "str"
        return text
    # Unsigned text after a signed text part continues its block (same
    # index), so a streamed answer whose first piece carries the signature
    # aggregates into the same block as invoke.
    return _block(state, "text", None, {"type": "text", "text": text}, mergeable)


def _mend(text: str, state: StreamState) -> str:
    """Text with split surrogate pairs joined and lone halves repaired.

    A trailing high surrogate waits in ``state.pending`` for the next piece
    (a relay may split a pair between events); :func:`_flush` repairs it if
    nothing completes it.
    """
    text = state.pending + text
    state.pending = ""
    if text and "\ud800" <= text[-1] <= "\udbff":
        state.pending, text = text[-1], text[:-1]
    return mend(text)


def _flush(state: StreamState) -> str | dict[str, Any] | None:
    """A held surrogate half that nothing completed, as U+FFFD in its place."""
    state.pending = ""
    kind = state.block_kind
    if kind == "thinking":
        return {"type": "thinking", "thinking": "\ufffd", "index": state.block_index}
    if kind == "text":
        return {"type": "text", "text": "\ufffd", "index": state.block_index}
    return "\ufffd"


def _with_extras(
    part: Part, extra: dict[str, Any], state: StreamState, calls: list[Item]
) -> str | dict[str, Any] | None:
    """A known kind carrying fields of a newer service version: keep them in
    the block's extras. Such a block is never merged with its neighbour, whose
    extras could clash. (On a functionCall part they are not kept: tool calls
    have no place for them.)
    """
    known: Part = {k: v for k, v in part.items() if k not in extra}  # type: ignore[assignment]
    piece = _convert_part(known, state, calls, mergeable=False)
    if isinstance(piece, str):
        body = {"type": "text", "text": piece, "extras": extra}
        return _block(state, "text", None, body, merge=False)
    if isinstance(piece, dict) and piece["type"] == "non_standard":
        piece["value"] = dict(part)
    elif isinstance(piece, dict):
        piece["extras"] = {**piece.get("extras", {}), **extra}
    return piece


class _Content:
    """Content pieces joined as ``merge_content`` would, in linear time.

    ``merge_content(content, piece)`` copies the whole list on every call, so
    joining N parts that way costs O(N^2). Here runs of text are joined once
    at the end, and a block only ever merges with the last one (the parser
    reuses a block index only for the block just before it).
    """

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[list[str] | dict[str, Any]] = []

    def add(self, piece: str | dict[str, Any]) -> None:
        items = self.items
        last = items[-1] if items else None
        if isinstance(piece, str):
            if isinstance(last, list):
                last.append(piece)
            else:
                items.append([piece])
        elif isinstance(last, dict) and last.get("index") == piece["index"]:
            items[-1:] = merge_content([last], [piece])  # type: ignore[assignment]
        else:
            items.append(piece)

    def value(self) -> str | list[Any]:
        items = self.items
        if not items:
            return ""
        if len(items) == 1 and isinstance(items[0], list):
            return "".join(items[0])
        return ["".join(i) if isinstance(i, list) else i for i in items]


def _candidate_content(
    candidate: Candidate, state: StreamState, final: bool
) -> tuple[str | list[Any], list[Item]]:
    """Content pieces and function calls of one candidate.

    ``final``: nothing follows (invoke, or the stream's finishing event), so
    a held surrogate half is repaired and a call still assembling is closed.
    """
    pieces: list[str | dict[str, Any]] = []
    calls: list[Item] = []
    body = candidate.get("content")
    parts = body.get("parts") if isinstance(body, dict) else None
    for part in parts if isinstance(parts, list) else ():
        if isinstance(part, dict):
            piece = _convert_part(part, state, calls)
            if piece is not None:
                pieces.append(piece)
    if final and (state.pending or state.assembly is not None):
        if state.pending:
            pieces.append(_flush(state))  # type: ignore[arg-type]
        close(state, calls)
    if len(pieces) == 1:  # most stream events: nothing to join
        only = pieces[0]
        return (only if isinstance(only, str) else [only]), calls
    content = _Content()
    for piece in pieces:
        content.add(piece)
    return content.value(), calls


_EVENT_SPELLINGS = {
    snake(key): key for key in GenerateContentResponse.__annotations__
} | {"block_reason": "blockReason"}
_SNAKE_EVENT = frozenset(k for k, v in _EVENT_SPELLINGS.items() if k != v)


def _camel(holder: dict[str, Any]) -> dict[str, Any]:
    """An answer's (or prompt feedback's) top-level keys as camelCase."""
    return {_EVENT_SPELLINGS.get(k, k): v for k, v in holder.items()}


def _record_metadata(
    event: GenerateContentResponse, candidate: Candidate | None, state: StreamState
) -> None:
    meta = state.metadata
    if not _SNAKE_EVENT.isdisjoint(event):
        event = cast(GenerateContentResponse, _camel(cast("dict[str, Any]", event)))
    if isinstance(event.get("usageMetadata"), dict):
        state.usage = event["usageMetadata"]
    if event.get("modelVersion") and isinstance(event["modelVersion"], str):
        meta["model_name"] = event["modelVersion"]
    if event.get("responseId") and isinstance(event["responseId"], str):
        # Only a string: the message id must be one (a hostile value would
        # make the message constructor raise a bare ValidationError).
        state.response_id = meta["response_id"] = event["responseId"]
    if "createTime" in event:
        meta["create_time"] = event["createTime"]  # Vertex AI-backed answers
    tier = cast("dict[str, Any]", event).get(SERVED_TIER)
    if isinstance(tier, str):
        meta["service_tier"] = tier  # the x-gemini-service-tier header
    feedback = event.get("promptFeedback")
    if isinstance(feedback, dict):
        meta["prompt_feedback"] = snake_keys(feedback)
        if _camel(cast("dict[str, Any]", feedback)).get("blockReason"):
            state.finished = True
    if candidate is None:
        return
    for wire, value in cast("dict[str, Any]", candidate).items():
        key = _CANDIDATE_FIELDS.get(wire)
        if key is None:
            # Candidate fields of a newer service version: kept under their
            # snake_case name rather than lost (never overriding a known key).
            meta.setdefault(cached_snake(str(wire)), snake_keys(value))
        elif key:
            meta[key] = value if isinstance(value, _SCALARS) else snake_keys(value)
            if key == "finish_reason" and value:
                state.finished = True


def _pick_candidate(event: GenerateContentResponse, index: int = 0) -> Candidate | None:
    candidates = event.get("candidates")
    if not isinstance(candidates, list):
        return None
    # Junk entries are skipped (as response_to_result does); when no index
    # matches, the first candidate still counts: streams carry one candidate,
    # and dropping its content would lose the answer.
    found = [c for c in candidates if isinstance(c, dict)]
    for position, candidate in enumerate(found):
        if candidate.get("index", position) == index:
            return candidate
    return found[0] if found else None


def parse_event(event: Any, state: StreamState) -> AIMessageChunk:
    """Turn one streamed ``GenerateContentResponse`` into a chunk.

    Content and tool calls are returned at once; usage and candidate metadata
    are remembered in ``state`` and reported by :func:`final_chunk`.
    """
    try:
        return _parse_event(event, state)
    except RecursionError:  # a value json could read, nested past what we can
        raise GeminiStreamError(_TOO_DEEP) from None


_TOO_DEEP = "The answer is nested too deeply to read (a hostile or broken reply)."


def _parse_event(event: Any, state: StreamState) -> AIMessageChunk:
    if not isinstance(event, dict):
        raise GeminiStreamError(f"Stream event is not a JSON object: {event!r:.200}")
    answer = cast(GenerateContentResponse, event)
    candidate = _pick_candidate(answer)
    _record_metadata(answer, candidate, state)
    content, calls = (
        _candidate_content(candidate, state, state.finished) if candidate else ("", [])
    )
    chunks: list[ToolCallChunk] = []
    signatures: dict[str, str] = {}
    for index, delta, call in calls:
        if delta is not None:  # a piece of a call whose arguments are streamed
            name, args, call_id, sig = delta.name, delta.args, delta.id, delta.signature
            owner = delta.owner
        elif call is not None:
            name, args, call_id, sig = (
                call.name,
                json.dumps(call.args),
                call.id,
                call.signature,
            )
            owner = call.id
        if sig:
            signatures[owner] = sig
        if chunks and chunks[-1]["index"] == index:
            # Pieces of one call in one event go in one chunk: LangChain joins
            # chunks of an index across messages, not within one.
            chunks[-1]["args"] = (chunks[-1]["args"] or "") + (args or "")
            continue
        chunks.append(tool_call_chunk(name=name, args=args, id=call_id, index=index))
    return AIMessageChunk(
        content=content,
        tool_call_chunks=chunks,
        additional_kwargs={SIGNATURES_KEY: signatures} if signatures else {},
        response_metadata={"model_provider": PROVIDER},
        id=state.response_id,
    )


def _finish(state: StreamState) -> tuple[UsageMetadata | None, dict[str, Any]]:
    """(usage, response_metadata) once the answer is complete."""
    usage, whole = usage_parts(state.usage)
    meta = {"model_provider": PROVIDER, "model_name": state.model, **state.metadata}
    if whole is not None:
        # The service's usage whole (per-modality details, Vertex AI's
        # trafficType), beside the standard counts in usage_metadata.
        meta["usage_metadata"] = whole
    return usage, meta


def final_chunk(state: StreamState) -> AIMessageChunk:
    """The closing chunk: usage (once, the last cumulative counts) and metadata."""
    usage, meta = _finish(state)
    return AIMessageChunk(
        content="",
        usage_metadata=usage,
        response_metadata=meta,
        id=state.response_id,
        chunk_position="last",
    )


def _message(
    response: GenerateContentResponse,
    candidate: Candidate | None,
    model: str,
    max_call_pieces: int,
) -> AIMessage:
    state = StreamState(model=model, max_call_pieces=max_call_pieces)
    _record_metadata(response, candidate, state)
    content, calls = (
        _candidate_content(candidate, state, True) if candidate else ("", [])
    )
    tool_calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    signatures: dict[str, str] = {}
    usage, meta = _finish(state)
    for _, _, call in calls:
        if call is None:
            continue
        call_id, name, args, sig = call.id, call.name, call.args, call.signature
        if sig:
            signatures[call_id] = sig
        if isinstance(args, dict):
            tool_calls.append(tool_call(name=name, args=args, id=call_id))
        else:
            invalid.append(
                invalid_tool_call(
                    name=name,
                    args=json.dumps(args),
                    id=call_id,
                    error=f"functionCall.args is {type(args).__name__}, not an object",
                )
            )
    return AIMessage(
        content=content,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        additional_kwargs={SIGNATURES_KEY: signatures} if signatures else {},
        response_metadata=meta,
        usage_metadata=usage,
        id=state.response_id,
    )


def response_to_result(
    response: Any, model: str, max_call_pieces: int = MAX_CALL_PIECES
) -> ChatResult:
    """Turn a unary ``GenerateContentResponse`` into a ``ChatResult``.

    One generation per candidate (``n > 1``); a prompt blocked before any
    candidate yields one empty message whose metadata carries the reason.
    """
    try:
        return _result(response, model, max_call_pieces)
    except RecursionError:
        raise GeminiStreamError(_TOO_DEEP) from None


def _result(response: Any, model: str, max_call_pieces: int) -> ChatResult:
    if not isinstance(response, dict):
        raise GeminiStreamError(f"Response is not a JSON object: {response!r:.200}")
    answer = cast(GenerateContentResponse, response)
    raw = answer.get("candidates")
    candidates: list[Candidate | None] = (
        [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []
    )
    generations = []
    for candidate in candidates or [None]:
        message = _message(answer, candidate, model, max_call_pieces)
        info = {"finish_reason": message.response_metadata.get("finish_reason")}
        generations.append(ChatGeneration(message=message, generation_info=info))
    return ChatResult(generations=generations, llm_output={"model_name": model})
