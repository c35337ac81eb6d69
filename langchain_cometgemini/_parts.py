"""The part-kind table: each Gemini part kind, both ways, in one entry.

A Gemini ``Part`` holds exactly one data field (``text``, ``inlineData``,
``functionCall`` ...) beside optional modifiers (``thought``,
``thoughtSignature``). Each :class:`PartKind` says, for one kind:

- which wire key holds it and what that value must be (``key``, ``payload``,
  ``when``): how the parser recognises it;
- which keys its payload has (``fields``): with ``key``, they are read in
  both spellings an answer may use, camelCase (the REST reference) and
  snake_case (the proto names, which some relays send);
- how a wire part becomes a LangChain content block (``to_block``; ``None``
  keeps the part whole, as a ``non_standard`` block sent back as it came);
- how content blocks become that part again (``from_blocks``, by block type);
- how the parser numbers its blocks in a stream (``group``, ``merge``) and
  whether the emulator checks the payload's function name (``declared_name``).

The parser (``_response``), the request builder (``_request``) and the
emulator's validation (``testing._requests``) all read :data:`PART_KINDS`, so
a new part kind is one entry here plus its tests.

Part reference: https://ai.google.dev/api/caching#Part
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from langchain_cometgemini._media import (
    MEDIA_TYPES,
    PART_OPTION_KEYS,
    SOURCE_TYPES,
    Media,
    block_url,
    genai_media_part,
    media_part,
    url_part,
)
from langchain_cometgemini._wire import (
    OUTCOMES,
    CodeExecutionResult,
    ExecutableCode,
    Part,
)

__all__ = [
    "BLOCK_BUILDERS",
    "GENERATED_ID_PREFIX",
    "KNOWN_PART_KEYS",
    "PARSED_KINDS",
    "PART_KINDS",
    "SNAKE_PART_KEYS",
    "Call",
    "PartKind",
    "block_signature",
    "respell",
    "snake",
    "unsupported_block",
]

Block = dict[str, Any]


class Call(NamedTuple):
    """A ``functionCall`` part as the parser records it (tool calls are not
    content blocks: they go to ``AIMessage.tool_calls``).

    ``partial`` holds Vertex AI's ``partialArgs`` and ``will_continue`` its
    flag: such a part is one piece of a call streamed over several parts,
    which the parser assembles (``_calls``).
    """

    id: str
    name: str
    args: Any
    signature: str | None
    partial: list[Any] | None = None
    will_continue: bool = False


_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(key: str) -> str:
    """``inlineData`` -> ``inline_data``: the proto spelling of a wire key."""
    return _CAMEL.sub(r"_\1", key).lower()


Piece = str | Block | Call | None
"""What a part becomes: plain text, a content block, a tool call, or nothing."""


ToBlock = Callable[[Part, str | None], Piece]
"""(wire part, its thought signature or None) -> what it becomes."""
FromBlock = Callable[[Mapping[str, Any], Media], Part | None]
"""(content block, downloaded media) -> wire part, or None for nothing to send."""


@dataclass(frozen=True)
class PartKind:
    """One Gemini part kind, both ways (see the module docstring)."""

    name: str
    key: str
    """The wire key of the ``data`` field that identifies the kind."""
    payload: type = dict
    """What the key's value must be for the parser to convert it."""
    flag: str | None = None
    """A modifier key that must be true too (a thought is text with
    ``thought: true``)."""
    when: Callable[[Part], bool] | None = None
    """A further condition on the part (an image is inline data of an image
    type)."""
    to_block: ToBlock | None = None
    """Wire part -> content; ``None``: kept whole, as a non_standard block."""
    from_blocks: Mapping[str, FromBlock] = field(default_factory=dict)
    """Content-block type -> wire part."""
    group: str = "other"
    """Stream block-index group: neighbours of one group may share an index."""
    merge: bool = False
    """Whether neighbouring parts of this kind aggregate into one block."""
    declared_name: bool = False
    """The payload's ``name`` must be a function declared in ``tools``."""
    fields: tuple[str, ...] = ()
    """The payload's own wire keys (camelCase). Their snake_case spellings are
    read too; keys not listed (a call's ``args``) hold the caller's data and
    keep their spelling."""

    @property
    def spellings(self) -> tuple[str, str]:
        """The part key as the REST reference and as the proto spell it."""
        return self.key, snake(self.key)

    chain: Callable[[Block, bool], bool] | None = None
    """For a merging kind: given a block and whether it continues the previous
    block (same index), trims what must not be joined twice and says whether
    the next part may continue it (audio pieces join only while their base64
    can be concatenated)."""


# -- wire part -> content -------------------------------------------------------


def _signed(block: Block, signature: str | None) -> Block:
    if signature:
        block["extras"] = {"signature": signature}
    return block


def _text(part: Part, signature: str | None) -> Piece:
    # Unsigned text is plain string content; a signed part opens a text block
    # that the unsigned text after it continues (see _response).
    if signature is None:
        return part["text"]
    return _signed({"type": "text", "text": part["text"]}, signature)


def _thought(part: Part, signature: str | None) -> Piece:
    block: Block = {"type": "thinking", "thinking": part["text"]}
    if signature:
        block["signature"] = signature
    return block


def _alone(part: Part) -> bool:
    # A part is text only when it carries no other data: a relay may send
    # ``"text": ""`` beside inlineData or executableCode.
    return _OTHER_DATA.isdisjoint(part)


def _mime(part: Part) -> str:
    return str(part["inlineData"].get("mimeType", "application/octet-stream"))


def _is_image(part: Part) -> bool:
    return _mime(part).startswith("image/")


def _image(part: Part, signature: str | None) -> Piece:
    url = f"data:{_mime(part)};base64,{part['inlineData'].get('data', '')}"
    return _signed({"type": "image_url", "image_url": {"url": url}}, signature)


GENERATED_ID_PREFIX = "lc_gemini_"
"""Start of the ids the parser makes for calls the service sent without one;
such ids are never sent back (Gemini matches those calls by name and order,
and an id it never issued must not be invented)."""


def _is_audio(part: Part) -> bool:
    return _mime(part).lower().startswith("audio/")


def _audio(part: Part, signature: str | None) -> Piece:
    """Audio output (TTS, ``responseModalities: ["AUDIO"]``) -> a standard v1
    ``audio`` block; e.g. ``audio/L16;codec=pcm;rate=24000`` for raw PCM.
    See https://ai.google.dev/gemini-api/docs/speech-generation
    """
    data = str(part["inlineData"].get("data", ""))
    return _signed(
        {"type": "audio", "base64": data, "mime_type": _mime(part)}, signature
    )


def _audio_chain(block: Block, continued: bool) -> bool:
    # A continuing piece must not repeat the mime type (LangChain's merge
    # concatenates strings); base64 joins by concatenation only after a piece
    # whose length is a multiple of 4 with no padding.
    if continued:
        block.pop("mime_type", None)
    data = block.get("base64", "")
    return len(data) % 4 == 0 and not data.endswith("=")


def _function_call(part: Part, signature: str | None) -> Piece:
    call = part["functionCall"]
    call_id = str(call.get("id") or f"{GENERATED_ID_PREFIX}{uuid.uuid4()}")
    name = call.get("name")
    name = name if isinstance(name, str) else ""  # a name is a string or none
    if call and "partialArgs" not in call and "willContinue" not in call:
        return Call(call_id, name, call.get("args", {}), signature)
    # A piece of a call streamed in parts (Vertex AI), or the empty
    # functionCall that closes one: assembled by the parser (``_calls``).
    partial = call.get("partialArgs")
    return Call(
        call_id,
        name,
        call.get("args"),
        signature,
        partial if isinstance(partial, list) else [],
        bool(call.get("willContinue")),
    )


def _executable_code(part: Part, signature: str | None) -> Piece:
    code = part["executableCode"]
    block = {
        "type": "executable_code",
        "executable_code": code.get("code", ""),
        "language": code.get("language", "PYTHON"),
        "id": str(code.get("id") or uuid.uuid4()),
    }
    return _signed(block, signature)


def _code_execution_result(part: Part, signature: str | None) -> Piece:
    result = part["codeExecutionResult"]
    block = {
        "type": "code_execution_result",
        "code_execution_result": result.get("output", ""),
        "outcome": OUTCOMES.get(str(result.get("outcome", "OUTCOME_OK")), 0),
        "tool_call_id": str(result.get("id", "")),
    }
    return _signed(block, signature)


# -- content block -> wire part ---------------------------------------------------


def block_signature(block: Mapping[str, Any]) -> Any:
    """The block's thought signature (top level or in extras), if any."""
    extras = block.get("extras")
    return block.get("signature") or (
        extras.get("signature") if isinstance(extras, dict) else None
    )


def with_signature(part: Part, block: Mapping[str, Any]) -> Part:
    """Put the block's thought signature on the part."""
    signature = block_signature(block)
    if signature:
        part["thoughtSignature"] = signature
    return part


def _text_part(block: Mapping[str, Any], media: Media) -> Part:
    raw = block.get("extras")
    extras: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    given = [k for k, _ in PART_OPTION_KEYS if k in extras]
    if given:
        # Refused as video_metadata on an image is: the option would be
        # dropped (text has no input resolution), never silently.
        raise ValueError(
            f"{given[0]} was given on a 'text' block; per-part media options "
            "apply to image, audio, video and file blocks (docs/media_options.md)."
        )
    part: dict[str, Any] = {"text": str(block.get("text", ""))}
    # In the wire's spelling, an answer's own text part carried it (the
    # parser keeps unknown fields in extras): it goes back as it came, so a
    # message the package made can always be sent (_media.part_options).
    part.update(
        {k: extras[k] for _, k in PART_OPTION_KEYS if extras.get(k) is not None}
    )
    return with_signature(part, block)  # type: ignore[arg-type]


def _thought_part(block: Mapping[str, Any], media: Media) -> Part:
    text = block.get("thinking", block.get("reasoning", ""))
    return with_signature({"text": str(text), "thought": True}, block)


def _image_url_part(block: Mapping[str, Any], media: Media) -> Part:
    url = block_url(block)
    if not url:
        raise ValueError("The 'image_url' content block has no url.")
    return with_signature(url_part(url, None, "image", media), block)


def _media_part(block: Mapping[str, Any], media: Media) -> Part:
    # A model's audio answer sent back in history keeps its signature.
    return with_signature(media_part(block, media), block)


def _genai_media_part(block: Mapping[str, Any], media: Media) -> Part:
    return genai_media_part(block)


def _code_part(block: Mapping[str, Any], media: Media) -> Part:
    code: ExecutableCode = {
        "language": block.get("language", "PYTHON"),
        "code": block.get("executable_code", ""),
    }
    return with_signature({"executableCode": code}, block)


_OUTCOME_NAMES: dict[Any, Any] = {number: name for name, number in OUTCOMES.items()}


def _result_part(block: Mapping[str, Any], media: Media) -> Part:
    outcome = block.get("outcome", 1)
    result: CodeExecutionResult = {
        "outcome": _OUTCOME_NAMES.get(outcome, outcome)
        if isinstance(outcome, int)
        else str(outcome),
        "output": block.get("code_execution_result", ""),
    }
    return with_signature({"codeExecutionResult": result}, block)


def _from_tool_calls(block: Mapping[str, Any], media: Media) -> None:
    return None  # sent from AIMessage.tool_calls, which is authoritative


def _as_sent(block: Mapping[str, Any], media: Media) -> Part:
    value = block.get("value")
    if not isinstance(value, dict):
        raise unsupported_block(block.get("type"))
    return dict(value)  # type: ignore[return-value]


# -- the table ------------------------------------------------------------------

_MEDIA: dict[str, FromBlock] = {
    "image_url": _image_url_part,
    **dict.fromkeys((*MEDIA_TYPES, *SOURCE_TYPES), _media_part),
    "media": _genai_media_part,  # langchain-google-genai's own block
}

PART_KINDS: tuple[PartKind, ...] = (
    # Order is the parser's precedence when a part carries more than one key.
    PartKind(
        "functionCall",
        "functionCall",
        fields=("id", "name", "args", "partialArgs", "willContinue"),
        to_block=_function_call,
        from_blocks=dict.fromkeys(
            ("tool_call", "tool_call_chunk", "function_call"), _from_tool_calls
        ),
        declared_name=True,
    ),
    PartKind(
        "thought",
        "text",
        str,
        flag="thought",
        when=_alone,
        to_block=_thought,
        from_blocks={"thinking": _thought_part, "reasoning": _thought_part},
        group="thinking",
        merge=True,
    ),
    PartKind(
        "text",
        "text",
        str,
        when=_alone,
        to_block=_text,
        from_blocks={"text": _text_part},
        group="text",
        merge=True,
    ),
    PartKind(
        "audio",
        "inlineData",
        when=_is_audio,
        to_block=_audio,
        group="audio",
        merge=True,
        chain=_audio_chain,
    ),
    # Media blocks become inlineData, or fileData when they refer by URI.
    # Inline data other than images is kept whole (to_block declines it).
    PartKind(
        "inlineData",
        "inlineData",
        fields=("mimeType", "data"),
        when=_is_image,
        to_block=_image,
        from_blocks=_MEDIA,
        group="image",
    ),
    PartKind(
        "executableCode",
        "executableCode",
        fields=("id", "language", "code"),
        to_block=_executable_code,
        from_blocks={"executable_code": _code_part},
        group="code",
    ),
    PartKind(
        "codeExecutionResult",
        "codeExecutionResult",
        fields=("id", "outcome", "output"),
        to_block=_code_execution_result,
        from_blocks={"code_execution_result": _result_part},
        group="result",
    ),
    # Kept whole by the parser; built from media blocks (above) and from
    # ToolMessages (``_request``).
    PartKind("fileData", "fileData", fields=("mimeType", "fileUri")),
    PartKind(
        "functionResponse",
        "functionResponse",
        fields=("id", "name", "response", "willContinue", "scheduling"),
        declared_name=True,
    ),
    # Server-side tool steps (Gemini 3 combining built-in tools with
    # functions): kept whole, sent back as they came.
    # See https://ai.google.dev/gemini-api/docs/tool-combination
    PartKind("toolCall", "toolCall", fields=("id", "toolType", "args")),
    PartKind("toolResponse", "toolResponse", fields=("id", "toolType", "response")),
    # Kinds a newer service may add: kept whole, sent back as they came.
    PartKind("unknown", "", from_blocks={"non_standard": _as_sent}),
)

_MODIFIERS = ("thought", "thoughtSignature")
PART_SPELLINGS: dict[str, str] = {
    snake(key): key
    for key in (*(kind.key for kind in PART_KINDS if kind.key), *_MODIFIERS)
    if snake(key) != key
}
"""snake_case part key -> the table's camelCase key."""
_PAYLOAD_SPELLINGS: dict[str, dict[str, str]] = {
    kind.key: {snake(f): f for f in kind.fields if snake(f) != f}
    for kind in PART_KINDS
    if kind.fields
}
SNAKE_PART_KEYS = frozenset(PART_SPELLINGS)
"""Keys whose presence marks a part as snake_case (see :func:`respell`)."""
SNAKE_PAYLOAD_KEYS = frozenset(k for f in _PAYLOAD_SPELLINGS.values() for k in f)
_OTHER_DATA = frozenset(
    spelling
    for kind in PART_KINDS
    if kind.key not in ("", "text")
    for spelling in kind.spellings
)


def respell(part: Mapping[str, Any]) -> Part:
    """A part whose wire keys (its own and its payload's) are camelCase.

    Relays may pass answers on in the proto's snake_case (``inline_data``,
    ``mime_type``, ``thought_signature``); the table's ``key`` and ``fields``
    say which keys are the wire's. Values under other keys (a call's
    ``args``) are left as sent.
    """
    out: dict[str, Any] = {}
    for key, value in part.items():
        camel = PART_SPELLINGS.get(key, key)
        fields = _PAYLOAD_SPELLINGS.get(camel)
        if fields and isinstance(value, dict):
            value = {fields.get(k, k): v for k, v in value.items()}
        out[camel] = value
    return out  # type: ignore[return-value]


PARSED_KINDS = tuple(kind for kind in PART_KINDS if kind.to_block is not None)
"""The kinds the parser converts, in precedence order."""

KNOWN_PART_KEYS = frozenset({kind.key for kind in PARSED_KINDS} | set(_MODIFIERS))
"""Part keys the parser understands; any other key beside them is kept in the
block's ``extras`` (or, for a part of no parsed kind, the part is kept whole)."""

BLOCK_BUILDERS: dict[str, FromBlock] = {
    block_type: build
    for kind in PART_KINDS
    for block_type, build in kind.from_blocks.items()
}
"""Content-block type -> the function that makes its wire part."""

_SUPPORTED = ", ".join(
    t for t, build in BLOCK_BUILDERS.items() if build is not _from_tool_calls
)


Matcher = tuple[str, type, str | None, Callable[[Part], bool] | None, PartKind]
MATCHERS: tuple[Matcher, ...] = tuple(
    (kind.key, kind.payload, kind.flag, kind.when, kind) for kind in PARSED_KINDS
)
"""``PartKind.matches`` unrolled for the parser, which asks it of every part."""


def unsupported_block(block_type: Any) -> ValueError:
    """The error for a content block no part kind builds."""
    return ValueError(
        f"Unsupported content block type {block_type!r} for Gemini. "
        f"Supported: {_SUPPORTED}."
    )
