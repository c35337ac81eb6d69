"""Request bodies on the wire: one ``bytes`` object, or pieces for large media.

A body is normally encoded in one go. A body that carries large inline media
(base64 images, audio, PDFs: up to 20 MB each) would be copied twice that way,
into a JSON ``str`` and then into ``bytes``, so peak memory would reach three
times the media. Instead each large base64 string is left out of the JSON
document and sent as it stands, in small ASCII slices, between the document's
other pieces. The bytes on the wire are identical either way.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from langchain_cometgemini._json import dumps

__all__ = ["AsyncPieces", "Pieces", "encode"]

LARGE = 1 << 20
"""Inline data at least this long (characters of base64) travels in slices."""
_SLICE = 1 << 18
# Only text that JSON leaves untouched can be sent unescaped.
_BASE64 = re.compile(r"[A-Za-z0-9+/=_-]*")
# Stands for a left-out string while the rest is encoded. A user string that
# happens to equal it is caught by the count check in ``encode``.
_MARK = "\x00langchain-cometgemini:inline\x00"
_MARK_JSON = json.dumps(_MARK)


def _dumps(body: Mapping[str, Any]) -> str:
    # Compact separators and raw UTF-8 keep large bodies small.
    # NaN/Infinity refused (naming where), never sent as invalid JSON.
    return dumps(body, separators=(",", ":"), ensure_ascii=False)


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8; halves of a surrogate pair joined, lone ones refused.

    Python can hold UTF-16 surrogates that UTF-8 cannot carry: the two halves
    of an emoji kept as two characters (joined here into the one they stand
    for), or a lone half cut from its pair in text from another system (a
    ``ValueError`` that says where, rather than a bare ``UnicodeEncodeError``
    from the HTTP layer). Answers this package parses never hold either.
    """
    try:
        return text.encode()
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16").encode()
    except UnicodeError:
        lone = next(i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff")
        around = text[max(0, lone - 40) : lone + 40]
        raise ValueError(
            f"The request holds a lone UTF-16 surrogate {text[lone]!r}, which "
            f"cannot be sent as UTF-8, near {around!r}. Repair the text first, "
            "e.g. text.encode('utf-16', 'surrogatepass').decode('utf-16', "
            "'replace')."
        ) from None


class Pieces:
    """A body sent as pieces; iterable again and again, so retries can resend it."""

    def __init__(self, parts: list[str]) -> None:
        # Even positions: JSON text, encoded once here (the small pieces);
        # odd positions: base64 kept as it stands and sliced as it is sent.
        self._json = [_utf8(part) for part in parts[::2]]
        self._data = parts[1::2]
        self.length = sum(map(len, self._json)) + sum(map(len, self._data))

    def __iter__(self) -> Iterator[bytes]:
        for i, text in enumerate(self._json):
            yield text
            if i < len(self._data):
                data = self._data[i]
                for start in range(0, len(data), _SLICE):
                    yield data[start : start + _SLICE].encode("ascii")


class AsyncPieces:
    """The async face of :class:`Pieces` (httpx's async client wants one)."""

    def __init__(self, pieces: Pieces) -> None:
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def _left_out(body: Mapping[str, Any], large: list[str]) -> Mapping[str, Any]:
    """``body`` with each large base64 ``inlineData.data`` replaced by the mark.

    The caller's dicts are never changed: what holds a replaced string is a
    shallow copy. With nothing to replace, ``body`` itself is returned.
    """
    copy = dict(body)
    for key, value in body.items():  # in the order they are encoded
        if key == "systemInstruction" and isinstance(value, dict):
            copy[key] = _content(value, large)
        elif key == "contents" and isinstance(value, list):
            copy[key] = [
                _content(c, large) if isinstance(c, dict) else c for c in value
            ]
    return copy if large else body


def _content(content: dict[str, Any], large: list[str]) -> dict[str, Any]:
    parts = content.get("parts")
    if not isinstance(parts, list):
        return content
    found = len(large)
    swapped = [_part(part, large) for part in parts]
    return {**content, "parts": swapped} if len(large) > found else content


def _part(part: Any, large: list[str]) -> Any:
    inline = part.get("inlineData") if isinstance(part, dict) else None
    data = inline.get("data") if isinstance(inline, dict) else None
    if isinstance(data, str) and len(data) >= LARGE and _BASE64.fullmatch(data):
        large.append(data)
        return {**part, "inlineData": {**inline, "data": _MARK}}  # type: ignore[dict-item]
    return part


def encode(body: Mapping[str, Any]) -> bytes | Pieces:
    """The wire form of ``body``: ``bytes``, or :class:`Pieces` for large media."""
    large: list[str] = []
    skeleton = _left_out(body, large)
    if not large:
        return _utf8(_dumps(body))
    text = _dumps(skeleton)
    between = text.split(_MARK_JSON)
    if len(between) != len(large) + 1:  # the mark also occurs in user text
        return _utf8(_dumps(body))
    # The split took each mark's quotes too; the JSON text around a left-out
    # string gives them back.
    texts = [f'"{text}"' for text in between]
    texts[0], texts[-1] = texts[0][1:], texts[-1][:-1]
    parts = [texts[0]]
    for data, text in zip(large, texts[1:], strict=True):
        parts += [data, text]
    return Pieces(parts)
