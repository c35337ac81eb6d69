"""Function calls whose arguments arrive in pieces (Vertex AI), assembled.

With ``streamFunctionCallArguments`` Vertex AI streams one call over several
parts: the first names it with ``willContinue: true``; nameless parts carry
``partialArgs`` (a JSON path and one typed value each; a string value with
``willContinue`` is continued by the next piece of the same path); an empty
``functionCall`` closes the call. Wire format: ``FunctionCall`` and
``PartialArg`` in
https://github.com/googleapis/googleapis/blob/master/google/cloud/aiplatform/v1/content.proto
(added in googleapis commit 286c66a, "add streaming function call argument
API changes"); JSON path syntax: RFC 9535.

The parser asks :func:`record` about every ``functionCall`` part, in order.
A whole call becomes a :class:`~langchain_cometgemini._parts.Call` at once;
an assembled call yields :class:`Delta` pieces whose ``args`` texts, joined,
parse to the same arguments as the finished :class:`Call` (that is what a
stream's tool-call chunks carry; invoke keeps only the finished call).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from langchain_cometgemini._errors import GeminiStreamError
from langchain_cometgemini._limits import MAX_CALL_PIECES, exceeded
from langchain_cometgemini._parts import Call, snake

__all__ = [
    "SURROGATE",
    "Assembly",
    "CallState",
    "Delta",
    "Item",
    "close",
    "is_closing",
    "mend",
    "record",
]

SURROGATE = re.compile("[\ud800-\udfff]")


def mend(text: str) -> str:
    r"""Join UTF-16 surrogate halves into their character; a lone half -> U+FFFD.

    ``json.loads`` keeps a lone ``\ud83d`` escape as a lone code point, which
    no UTF-8 encoder accepts (the next request would fail with a bare
    ``UnicodeEncodeError``).
    """
    if text.isascii() or not SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class Delta(NamedTuple):
    """One piece of an assembled call for a stream's tool-call chunk: the
    first carries ``id`` and ``name``, later ones ``None``. ``owner`` is the
    call's id on every piece: a signature that arrives on a later piece is
    kept under it.
    """

    id: str | None
    name: str | None
    args: str
    signature: str | None
    owner: str


class Frame:
    """An object or array opened in the arguments' JSON text sent so far."""

    __slots__ = ("is_list", "keys", "members", "step")

    def __init__(self, step: str | int | None, is_list: bool) -> None:
        self.step, self.is_list = step, is_list
        self.members = 0
        self.keys: set[str] = set()


@dataclass
class Assembly:
    """A call being assembled: its arguments so far and the JSON text sent.

    The text is written as the pieces come, never rebuilt: ``frames`` are
    the objects and arrays it has opened (the root first), so each piece
    costs the size of its own value and assembling a call is linear in its
    size. A string that grows is kept as its pieces (``open_parts``) and
    joined once, when the next path begins or the call ends.
    """

    id: str
    name: str
    signature: str | None
    slot: int
    limit: int = MAX_CALL_PIECES
    """Most pieces, and the largest list index (``max_call_pieces``)."""
    args: dict[str, Any] = field(default_factory=dict)
    open_path: tuple[str | int, ...] | None = None
    """The path of a string value that the next piece continues."""
    open_parts: list[str] = field(default_factory=list)
    pieces: int = 0
    frames: list[Frame] = field(default_factory=list)
    """What the JSON text sent has opened (empty: nothing sent yet)."""
    text: list[str] = field(default_factory=list)
    """Text written since the last delta."""
    streamed: bool = False
    """Some of the text went out as a delta (else the call goes out whole)."""
    disordered: bool = False
    """A piece went back into what the text had left: the rest is sent whole
    at the end (a repeated key's last value wins when the text is parsed)."""


class Item(NamedTuple):
    """What one ``functionCall`` part gives, under its tool-call index: the
    text a stream sends (``delta``; for a whole call, ``None``: the stream
    sends ``call``) and the finished call invoke reports (``None`` until the
    call is complete).
    """

    slot: int
    delta: Delta | None
    call: Call | None


class CallState(Protocol):
    """What :func:`record` keeps between parts (the parser's stream state)."""

    assembly: Assembly | None
    tool_index: int
    max_call_pieces: int


def record(call: Call, state: CallState, out: list[Item]) -> None:
    """Take one ``functionCall`` part; add what it completes or streams to ``out``."""
    try:
        _record(call, state, out)
    except RecursionError:  # a structValue nested past what Python recurses
        state.assembly = None
        raise GeminiStreamError(
            "A streamed function call's arguments are nested too deeply to read."
        ) from None


def _record(call: Call, state: CallState, out: list[Item]) -> None:
    current = state.assembly
    if call.partial is None:  # a whole call
        if current is not None:
            close(state, out)
        out.append(Item(_index(state), None, call))
        return
    if current is not None and _continues(call, current):
        _apply(current, call)
        signature = None
        if current.signature is None and call.signature:
            signature = current.signature = call.signature
        if call.will_continue:
            delta = Delta(None, None, _delta(current), signature, current.id)
            out.append(Item(current.slot, delta, None))
        else:
            close(state, out, signature)
        return
    if current is not None:
        close(state, out)
    if is_closing(call):
        return  # a stray closing part: never an extra call
    current = state.assembly = Assembly(
        call.id, call.name, call.signature, _index(state), state.max_call_pieces
    )
    _apply(current, call)
    if not call.will_continue:
        close(state, out)  # begun and finished in one part
        return
    delta = Delta(call.id, call.name, _delta(current), call.signature, call.id)
    out.append(Item(current.slot, delta, None))


def is_closing(call: Call) -> bool:
    """The empty ``functionCall`` part that closes a streamed call: no name,
    no arguments, not continued.
    """
    return not (call.name or call.partial or call.args or call.will_continue)


def close(state: CallState, out: list[Item], signature: str | None = None) -> None:
    """Finish the open call (if any): its last piece and the whole call."""
    current = state.assembly
    if current is None:
        return
    state.assembly = None
    _settle(current)
    try:
        current.args = _mended(current.args)
    except RecursionError:
        raise GeminiStreamError(
            "A streamed function call's arguments are nested too deeply to read."
        ) from None
    whole = Call(current.id, current.name, current.args, current.signature)
    if not current.streamed:  # nothing streamed yet: the stream sends it whole
        out.append(Item(current.slot, None, whole))
        return
    tail = Delta(None, None, _delta(current, closing=True), signature, current.id)
    out.append(Item(current.slot, tail, whole))


def _index(state: CallState) -> int:
    state.tool_index += 1
    return state.tool_index - 1


def _continues(call: Call, current: Assembly) -> bool:
    # Continuation parts are nameless; a part naming another call starts it.
    return not call.name or call.name == current.name


# -- arguments ---------------------------------------------------------------------

_VALUES = ("stringValue", "numberValue", "boolValue", "nullValue")
_STRUCTURED = ("structValue", "listValue")
_SPELLINGS = {snake(k): k for k in ("jsonPath", "willContinue", *_VALUES, *_STRUCTURED)}


def _apply(current: Assembly, call: Call) -> None:
    """Put the part's arguments into the call, and their text into ``text``."""
    if not current.frames:
        current.frames.append(Frame(None, False))
        current.text.append("{")
    if isinstance(call.args, dict):
        for key, value in call.args.items():
            _piece(current, (str(key),), value, False)
    for raw in call.partial or ():
        current.pieces += 1
        if current.pieces > current.limit:
            raise GeminiStreamError(
                exceeded(
                    "A streamed function call's partialArgs",
                    current.limit,
                    "max_call_pieces",
                    "pieces",
                )
            )
        if not isinstance(raw, dict):
            raise GeminiStreamError(f"partialArgs item is not an object: {raw!r:.200}")
        item = {_SPELLINGS.get(str(k), str(k)): v for k, v in raw.items()}
        path = _path(item.get("jsonPath"), current.limit)
        value = _value(item)
        more = isinstance(value, str) and bool(item.get("willContinue"))
        _piece(current, path, value, more)


def _piece(
    current: Assembly, path: tuple[str | int, ...], value: Any, more: bool
) -> None:
    """One value at ``path``: into the arguments and the text."""
    if isinstance(value, str) and path == current.open_path:
        current.open_parts.append(value)  # joined once, by _settle
        if not current.disordered:
            current.text.append(json.dumps(value)[1:-1])
        if not more:
            _settle(current)
        return
    _settle(current)
    _put(current.args, path, value)
    if not current.disordered:
        _write(current, path, value, more)
    if more:
        current.open_path, current.open_parts = path, [value]


def _settle(current: Assembly) -> None:
    """The growing string, joined into the arguments; its text closed."""
    if current.open_path is None:
        return
    joined = "".join(current.open_parts)
    _put(current.args, current.open_path, joined)
    current.open_path, current.open_parts = None, []
    if not current.disordered:
        current.text.append('"')
        if not joined.isascii() and mend(joined) != joined:
            # A surrogate half the text sent as it came: the end re-sends
            # the arguments, repaired (their last value wins).
            current.disordered = True


def _write(
    current: Assembly, path: tuple[str | int, ...], value: Any, more: bool
) -> None:
    """The text of one new value, if it extends what was sent; else stop
    writing (``disordered``): the arguments are then sent whole at the end.
    """
    frames, text = current.frames, current.text
    depth = 0  # containers of the text this path still shares
    while (
        depth + 1 < len(frames)
        and depth < len(path) - 1
        and frames[depth + 1].step == path[depth]
    ):
        depth += 1
    frame = frames[depth]
    step = path[depth]
    fresh = step == frame.members if frame.is_list else step not in frame.keys
    if not fresh or any(
        isinstance(later, int) and later != 0 for later in path[depth + 1 :]
    ):
        current.disordered = True
        return
    while len(frames) > depth + 1:
        text.append("]" if frames.pop().is_list else "}")
    for position in range(depth, len(path)):
        step = path[position]
        if position > depth:
            frame = Frame(path[position - 1], isinstance(step, int))
            frames.append(frame)
            text.append("[" if frame.is_list else "{")
        if frame.members:
            text.append(", ")
        frame.members += 1
        if not frame.is_list:
            frame.keys.add(str(step))
            text.append(json.dumps(step) + ": ")
    text.append('"' + json.dumps(value)[1:-1] if more else json.dumps(_mended(value)))


def _value(item: dict[str, Any]) -> Any:
    for key in _VALUES:
        if key in item:
            return None if key == "nullValue" else item[key]
    for key in _STRUCTURED:
        if key in item:
            return item[key]
    raise GeminiStreamError(
        f"partialArgs item {item.get('jsonPath')!r} carries no value: {item!r:.200}"
    )


_STEP = re.compile(
    r"\.(?P<name>[A-Za-z_][\w-]*)|\[(?P<index>\d+)\]"
    r"|\['(?P<single>(?:[^'\\]|\\.)*)'\]|\[\"(?P<double>(?:[^\"\\]|\\.)*)\"\]"
)


MAX_DEPTH = 64
"""Steps one ``jsonPath`` may take (deeper arguments would exhaust the stack
when the call is read or sent back; real ones are a few levels deep)."""


def _path(text: Any, limit: int = MAX_CALL_PIECES) -> tuple[str | int, ...]:
    """``$.a.b[0]['c d']`` -> ``("a", "b", 0, "c d")`` (RFC 9535 names and indexes).

    An index past ``limit`` (``max_call_pieces``) or a path deeper than
    :data:`MAX_DEPTH` is refused: either would allocate without bound.
    """
    if not isinstance(text, str) or not text.startswith("$"):
        raise GeminiStreamError(
            f"partialArgs jsonPath is not a JSON path: {text!r:.200}"
        )
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None or len(steps) >= MAX_DEPTH:
            problem = "Unsupported" if match is None else "Too deep (64 steps at most)"
            raise GeminiStreamError(f"{problem} partialArgs jsonPath: {text!r:.200}")
        if match["index"] is not None:
            digits = match["index"]
            if len(digits) > len(str(limit)) or int(digits) > limit:
                raise GeminiStreamError(
                    exceeded(
                        f"A partialArgs index ({digits[:20]}"
                        f"{'...' if len(digits) > 20 else ''})",
                        limit,
                        "max_call_pieces",
                        "items",
                    )
                )
            steps.append(int(digits))
        else:
            quoted = match["single"] if match["single"] is not None else match["double"]
            name = match["name"] if quoted is None else _name(quoted, text)
            steps.append(name)
        position = match.end()
    if not steps:
        raise GeminiStreamError("partialArgs jsonPath '$' names no argument.")
    return tuple(steps)


def _name(quoted: str, path: str) -> str:
    """A quoted name's text: JSON's escapes, and RFC 9535's escaped quote."""
    try:
        name = json.loads('"' + quoted.replace("\\'", "'") + '"')
    except ValueError:
        raise GeminiStreamError(
            f"Unsupported escape in partialArgs jsonPath: {path!r:.200}"
        ) from None
    return str(name)


def _put(args: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = args
    for step, after in zip(path, (*path[1:], None), strict=True):
        if isinstance(step, int) != isinstance(node, list):
            raise GeminiStreamError(
                f"partialArgs path step {step!r} does not fit the arguments so far."
            )
        if isinstance(node, list):
            node.extend([None] * (step + 1 - len(node)))  # type: ignore[operator]
        if after is None:
            node[step] = value
            return
        child = node.get(step) if isinstance(node, dict) else node[step]
        if not isinstance(child, dict | list):
            child = node[step] = [] if isinstance(after, int) else {}
        node = child


def _mended(value: Any) -> Any:
    if isinstance(value, str):
        return mend(value)
    if isinstance(value, dict):
        return {mend(k): _mended(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mended(v) for v in value]
    return value


def _delta(current: Assembly, closing: bool = False) -> str:
    """The arguments' JSON text not sent yet (and, ``closing``, its end).

    Joined, the deltas of one call parse to its arguments. After a piece
    that went back into what the text had left (``disordered``), nothing
    more is written until the end, which re-sends every member after the
    old ones: a repeated key's last value wins when the text is parsed.
    """
    text, frames = current.text, current.frames
    if closing:
        if current.disordered:
            members = frames[0].members
            text.extend("]" if f.is_list else "}" for f in reversed(frames[1:]))
            whole = json.dumps(current.args)
            text.append((", " + whole[1:]) if members else whole[1:])
        else:
            text.extend("]" if f.is_list else "}" for f in reversed(frames))
    delta = "".join(text)
    text.clear()
    current.streamed = True
    return delta
