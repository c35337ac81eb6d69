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
from typing import TYPE_CHECKING, Any, NamedTuple

from langchain_cometgemini._errors import GeminiStreamError
from langchain_cometgemini._parts import Call, snake

if TYPE_CHECKING:
    from langchain_cometgemini._response import StreamState

__all__ = ["SURROGATE", "Assembly", "Delta", "Item", "close", "mend", "record"]

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
    first carries ``id`` and ``name``, later ones ``None``.
    """

    id: str | None
    name: str | None
    args: str
    signature: str | None


@dataclass
class Assembly:
    """A call being assembled: its arguments so far and the JSON text sent."""

    id: str
    name: str
    signature: str | None
    slot: int
    args: dict[str, Any] = field(default_factory=dict)
    open_path: tuple[str | int, ...] | None = None
    """The path of a string value that the next piece continues."""
    sent: str = ""
    """The arguments' JSON text sent so far, without its closing brackets."""
    closers: str = ""
    """What closes ``sent`` (brackets, and a quote inside an open string)."""


class Item(NamedTuple):
    """What one ``functionCall`` part gives, under its tool-call index: the
    text a stream sends (``delta``; for a whole call, ``None``: the stream
    sends ``call``) and the finished call invoke reports (``None`` until the
    call is complete).
    """

    slot: int
    delta: Delta | None
    call: Call | None


def record(call: Call, state: StreamState, out: list[Item]) -> None:
    """Take one ``functionCall`` part; add what it completes or streams to ``out``."""
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
            delta = Delta(None, None, _delta(current), signature)
            out.append(Item(current.slot, delta, None))
        else:
            close(state, out, signature)
        return
    if current is not None:
        close(state, out)
    if not (call.name or call.partial or call.args or call.will_continue):
        return  # a stray closing part: never an extra call
    current = state.assembly = Assembly(
        call.id, call.name, call.signature, _index(state)
    )
    _apply(current, call)
    if not call.will_continue:
        close(state, out)  # begun and finished in one part
        return
    delta = Delta(call.id, call.name, _delta(current), call.signature)
    out.append(Item(current.slot, delta, None))


def close(state: StreamState, out: list[Item], signature: str | None = None) -> None:
    """Finish the open call (if any): its last piece and the whole call."""
    current = state.assembly
    if current is None:
        return
    state.assembly = None
    current.args = _mended(current.args)
    current.open_path = None
    whole = Call(current.id, current.name, current.args, current.signature)
    if not current.sent:  # nothing streamed yet: the stream sends it whole
        out.append(Item(current.slot, None, whole))
        return
    tail = Delta(None, None, _delta(current, closing=True), signature)
    out.append(Item(current.slot, tail, whole))


def _index(state: StreamState) -> int:
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
    if isinstance(call.args, dict):
        current.args.update(call.args)
        current.open_path = None
    for raw in call.partial or ():
        if not isinstance(raw, dict):
            raise GeminiStreamError(f"partialArgs item is not an object: {raw!r:.200}")
        item = {_SPELLINGS.get(str(k), str(k)): v for k, v in raw.items()}
        path = _path(item.get("jsonPath"))
        value = _value(item)
        if isinstance(value, str) and path == current.open_path:
            value = _get(current.args, path) + value
        _put(current.args, path, value)
        more = isinstance(value, str) and bool(item.get("willContinue"))
        current.open_path = path if more else None


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


def _path(text: Any) -> tuple[str | int, ...]:
    """``$.a.b[0]['c d']`` -> ``("a", "b", 0, "c d")`` (RFC 9535 names and indexes)."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise GeminiStreamError(f"partialArgs jsonPath is not a JSON path: {text!r}")
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            raise GeminiStreamError(f"Unsupported partialArgs jsonPath: {text!r}")
        if match["index"] is not None:
            steps.append(int(match["index"]))
        else:
            quoted = match["single"] if match["single"] is not None else match["double"]
            name = match["name"] if quoted is None else json.loads(f'"{quoted}"')
            steps.append(name)
        position = match.end()
    if not steps:
        raise GeminiStreamError("partialArgs jsonPath '$' names no argument.")
    return tuple(steps)


def _get(args: dict[str, Any], path: tuple[str | int, ...]) -> str:
    node: Any = args
    for step in path:
        node = node[step]
    return node if isinstance(node, str) else ""


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
    """The arguments' JSON text not sent yet.

    What was sent is the current text without its closing brackets (and
    without the closing quote of a string still growing), so each piece
    extends it. Paths arrive in document order; if one does not (a key added
    to an object already left), every member is sent again after the old
    ones: a repeated key's last value wins when the text is parsed.
    """
    full = json.dumps(current.args)
    opened = full
    if not closing:
        opened = full.rstrip("]}")
        if current.open_path is not None and opened.endswith('"'):
            opened = opened[:-1]
    if opened.startswith(current.sent):
        delta = opened[len(current.sent) :]
    else:
        delta = current.closers[:-1] + ", " + opened[1:]
    current.sent, current.closers = opened, full[len(opened) :]
    return delta
