"""Pure conversion of media references into Gemini's ``inlineData`` / ``fileData``.

A media content block names its bytes by base64, data URI, http(s) URL, file
id or ``gs://`` / Files API URI. Nothing here does I/O: media behind http(s)
URLs is downloaded by the client beforehand (:func:`media_urls` lists what is
needed) and passed in as ``media``.

Part references: https://ai.google.dev/api/caching#Blob and
https://ai.google.dev/api/caching#FileData
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_cometgemini._wire import FileData, Part

__all__ = [
    "MEDIA_TYPES",
    "PART_OPTION_KEYS",
    "SOURCE_TYPES",
    "Media",
    "block_url",
    "genai_media_part",
    "media_part",
    "media_urls",
    "part_options",
    "standard_block",
    "url_part",
]

Media = Mapping[str, tuple[bytes, str | None]]
"""Downloaded media: URL -> (bytes, the Content-Type the server gave)."""

MEDIA_TYPES = ("image", "audio", "video", "file", "text-plain")
"""LangChain's standard data blocks (v1, and v0.3 with ``source_type``)."""
SOURCE_TYPES = ("image", "document")
"""Anthropic's media blocks, which name their bytes in a ``source`` mapping."""

_DATA_URI = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[^,;]*)*?;base64,(?P<data>.*)$", re.S
)
_YOUTUBE = re.compile(r"^https?://(www\.|m\.)?(youtube\.com|youtu\.be)/", re.I)
_FILES_API = re.compile(r"^https://generativelanguage\.googleapis\.com/", re.I)
_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"%PDF", "application/pdf"),
    (b"ID3", "audio/mpeg"),
)
# RIFF is a container: bytes 8-12 name its form (a WAV is not an image). Names
# as Gemini lists them: https://ai.google.dev/gemini-api/docs/audio#supported-formats
# and https://ai.google.dev/gemini-api/docs/video-understanding#supported-formats
_RIFF_FORMS = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/avi"}


def _is_remote(url: str) -> bool:
    """An http(s) URL we must download (YouTube and Files API URIs are not)."""
    return (
        url.startswith(("http://", "https://"))
        and not _YOUTUBE.match(url)
        and not _FILES_API.match(url)
    )


def standard_block(block: Mapping[str, Any]) -> Mapping[str, Any]:
    """An Anthropic-format media block (``{"type": "image" | "document",
    "source": {"type": "base64" | "url" | "file" | "text", ...}}``) as
    LangChain's standard block, through langchain-core's own translator (so
    both read Anthropic's shapes alike); any other block as it is.

    A ``source`` the translator cannot read (missing ``data``, an unknown
    ``type``) is refused with an error that names it, never dropped.
    """
    source = block.get("source")
    if block.get("type") not in SOURCE_TYPES or not isinstance(source, Mapping):
        return block
    from langchain_core.messages.block_translators.anthropic import (
        _convert_to_v1_from_anthropic_input,
    )

    (converted,) = _convert_to_v1_from_anthropic_input([dict(block)])  # type: ignore[list-item]
    standard: dict[str, Any] = dict(converted)
    if standard.get("type") == "non_standard":
        raise ValueError(
            f"Unsupported Anthropic {block.get('type')!r} source "
            f"{dict(source)!r:.120}: give base64 data with a media_type, a url, "
            "a file_id or text."
        )
    if source.get("type") == "file":
        # The translator puts Anthropic's file id in ``id``; ours reads
        # ``file_id`` (``id`` is the block's own id in LangChain's blocks).
        standard["file_id"] = standard.pop("id")
    return standard


def block_url(block: Mapping[str, Any]) -> str | None:
    block = standard_block(block)
    btype = block.get("type")
    if btype == "image_url":
        ref = block.get("image_url")
        url = ref.get("url") if isinstance(ref, dict) else ref
        return url if isinstance(url, str) else None
    if btype in MEDIA_TYPES and (
        block.get("source_type", "url") == "url" and isinstance(block.get("url"), str)
    ):
        return str(block["url"])
    return None


def media_urls(messages: Sequence[BaseMessage]) -> list[str]:
    """The http(s) media URLs in ``messages`` that must be downloaded first."""
    urls: dict[str, None] = {}  # ordered, and a lookup per URL stays O(1)
    for message in messages:
        if isinstance(message.content, list):
            for block in message.content:
                if isinstance(block, dict):
                    url = block_url(block)
                    if url and _is_remote(url):
                        urls[url] = None
    return list(urls)


def _guess_mime(data: bytes | None, name: str | None, fallback: str) -> str:
    if name:
        guessed = mimetypes.guess_type(name)[0]
        if guessed:
            return guessed
    if data is None:
        return fallback
    if data.startswith(b"RIFF"):
        return _RIFF_FORMS.get(data[8:12], fallback)
    for magic, mime in _MAGIC:
        if data.startswith(magic):
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


def url_part(url: str, mime: str | None, kind: str, media: Media) -> Part:
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
        file_data: FileData = {"fileUri": url}
        if mime or not _YOUTUBE.match(url):
            file_data["mimeType"] = mime or _guess_mime(None, url, _default_mime(kind))
        return {"fileData": file_data}
    raise ValueError(
        f"Unsupported media URL {url[:80]!r}: give an http(s) URL, a data URI, "
        "a gs:// or Files API URI, or base64 data."
    )


def media_part(block: Mapping[str, Any], media: Media) -> Part:
    """A v1 (or v0.3 ``source_type``) data block -> ``inlineData``/``fileData``,
    with the block's per-part options (:func:`part_options`) beside it.
    Anthropic-format blocks are translated first (:func:`standard_block`).
    """
    block = standard_block(block)
    part = _media_data(block, media)
    extras = block.get("extras")
    if isinstance(extras, Mapping) and extras:
        part.update(part_options(extras, str(block["type"])))
    return part


def _media_data(block: Mapping[str, Any], media: Media) -> Part:
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
        return url_part(str(block["url"]), mime, kind, media)
    raise ValueError(
        f"The {kind!r} content block has no base64 data, url or file_id: "
        f"{sorted(block)}"
    )


def genai_media_part(block: Mapping[str, Any]) -> Part:
    """langchain-google-genai's own ``media`` block (``file_uri`` or ``data``)."""
    if block.get("file_uri"):
        return {
            "fileData": {
                "fileUri": block["file_uri"],
                "mimeType": block.get("mime_type"),  # type: ignore[typeddict-item]
            }
        }
    data = block.get("data")
    if isinstance(data, bytes):
        data = base64.b64encode(data).decode()
    return _inline(str(data), block.get("mime_type"), "file")


# -- per-part options ----------------------------------------------------------

_LEVELS = ("unspecified", "low", "medium", "high", "ultra_high")
_DURATION = re.compile(r"^\d+(\.\d{1,9})?s$")
_VIDEO_KEYS = {
    "start_offset": "startOffset",
    "startOffset": "startOffset",
    "end_offset": "endOffset",
    "endOffset": "endOffset",
    "fps": "fps",
}


def _level(value: Any) -> str:
    text = str(getattr(value, "name", value)).strip()
    short = text.lower().removeprefix("media_resolution_")
    if short not in _LEVELS:
        raise ValueError(
            f"media_resolution {value!r} on a content block: use one of "
            f"{list(_LEVELS[1:])} (or MEDIA_RESOLUTION_<LEVEL>)."
        )
    return f"MEDIA_RESOLUTION_{short.upper()}"


_NANOSECOND = Decimal("1e-9")
_MAX_DURATION = 315_576_000_000  # Duration's range: about 10,000 years


def _seconds(value: Any) -> Decimal | None:
    """Seconds as an exact decimal: a ``timedelta`` from its integer parts, a
    float from its shortest repr (the digits the caller wrote, not the binary
    value's expansion), ints and ``Decimal`` as they are.
    """
    if isinstance(value, timedelta):
        whole = value.days * 86_400 + value.seconds
        return Decimal(whole) + Decimal(value.microseconds).scaleb(-6)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return None


def _duration(name: str, value: Any) -> str:
    """Seconds (a number, ``timedelta`` or ``"12.5s"``) -> the ``Duration`` string
    the REST API takes (https://protobuf.dev/reference/protobuf/google.protobuf/#duration).
    """
    exact = _seconds(value)
    if exact is not None and exact.is_finite() and 0 <= exact <= _MAX_DURATION:
        # Google's Duration: seconds with at most nine fractional digits
        # (nanoseconds), never exponent notation.
        text = format(exact.quantize(_NANOSECOND), "f").rstrip("0").rstrip(".")
        return f"{text}s"
    if isinstance(value, str) and _DURATION.match(value.strip()):
        return value.strip()
    raise ValueError(
        f"video_metadata.{name} must be seconds (a number >= 0, a timedelta or a "
        f"string like '12.5s'), got {value!r}"
    )


def _video_metadata(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(
            "video_metadata on a content block must be a dict such as "
            f"{{'start_offset': 10, 'end_offset': 20, 'fps': 2}}, got {value!r}"
        )
    metadata: dict[str, Any] = {}
    for key, raw in value.items():
        wire = _VIDEO_KEYS.get(str(key))
        if wire is None:
            raise ValueError(
                f"video_metadata: unknown key {key!r}; known: start_offset, "
                "end_offset, fps"
            )
        if wire == "fps":
            if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
                raise ValueError(f"video_metadata.fps must be > 0, got {raw!r}")
            metadata[wire] = raw
        else:
            metadata[wire] = _duration(str(key), raw)
    return metadata


def _resolution(value: Any, kind: str) -> dict[str, str]:
    level = value.get("level") if isinstance(value, Mapping) else value
    return {"level": _level(level)}


def _video(value: Any, kind: str) -> dict[str, Any]:
    if kind not in ("video", "file", "media"):
        raise ValueError(
            f"video_metadata was given on a {kind!r} block; it applies to videos."
        )
    return _video_metadata(value)


_OPTIONS = (
    ("media_resolution", "mediaResolution", _resolution),
    ("video_metadata", "videoMetadata", _video),
)
PART_OPTION_KEYS = tuple((snake_key, wire_key) for snake_key, wire_key, _ in _OPTIONS)
"""The per-part options :func:`part_options` reads: (snake_case, wire) keys."""


def part_options(extras: Mapping[str, Any], kind: str) -> Part:
    """A content block's per-part input options -> the part's fields.

    ``media_resolution`` (``"low"`` ... ``"ultra_high"``) becomes the part's
    ``mediaResolution: {"level": ...}`` (Gemini 3 takes it per part); a video's
    ``video_metadata`` (``start_offset`` / ``end_offset`` in seconds, ``fps``)
    becomes ``videoMetadata``. Both are read from the block's ``extras``, in
    snake_case or the wire's camelCase. Other extras are not sent.
    See https://ai.google.dev/api/caching#Part and
    https://ai.google.dev/gemini-api/docs/media-resolution
    """
    options: dict[str, Any] = {}
    for snake_key, wire_key, build in _OPTIONS:
        if extras.get(snake_key) is not None:
            options[wire_key] = build(extras[snake_key], kind)
        elif extras.get(wire_key) is not None:
            # The wire's spelling: what an answer's part carried (kept in the
            # block's extras). Checked and normalized like the snake_case
            # form; a value that does not pass is sent back as it came (the
            # service wrote it), so a message the parser made always goes back.
            try:
                options[wire_key] = build(extras[wire_key], kind)
            except ValueError:
                options[wire_key] = extras[wire_key]
    return options  # type: ignore[return-value]
