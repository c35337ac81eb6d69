"""Save the images a Gemini image model returned: :func:`save_images`.

Image output arrives as ``{"type": "image_url", "image_url": {"url":
"data:<mime>;base64,..."}}`` blocks (or standard v1 ``image`` blocks with
``base64`` data, if the message was converted); this decodes them to files so
users do not have to parse data URIs themselves.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

__all__ = ["image_data", "save_images"]

_DATA_URI = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)(?:;[^,;]*)*;base64,(?P<data>.*)$", re.S
)
# Explicit table: mimetypes.guess_extension varies by platform (".jpe", ".jfif").
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/svg+xml": ".svg",
}


def _block_image(block: Mapping[str, Any]) -> tuple[str, str] | None:
    """(mime, base64) of one content block when it holds inline image data."""
    if block.get("type") == "image_url":
        ref = block.get("image_url")
        url = ref.get("url") if isinstance(ref, Mapping) else ref
        match = _DATA_URI.match(url) if isinstance(url, str) else None
        if match and match.group("mime").startswith("image/"):
            return match.group("mime"), match.group("data")
    if block.get("type") == "image":
        data = block.get("base64")
        if isinstance(data, str):
            return str(block.get("mime_type") or "image/png"), data
        url = block.get("url")
        match = _DATA_URI.match(url) if isinstance(url, str) else None
        if match:
            return match.group("mime"), match.group("data")
    return None


def image_data(message: BaseMessage) -> Iterator[tuple[str, bytes]]:
    """Yield ``(mime_type, bytes)`` for each inline image in ``message``, in order.

    Images referenced only by an http(s) URL are skipped: there is nothing to
    decode locally.
    """
    if isinstance(message.content, str):
        return
    for block in message.content:
        if not isinstance(block, Mapping):
            continue
        found = _block_image(block)
        if found is None:
            continue
        mime, data = found
        yield mime, decode_base64(data, mime)


def decode_base64(data: str, what: str) -> bytes:
    """Bytes of a block's base64 (padding restored), or a ``ValueError``
    naming the ``what`` block.
    """
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"An {what} block holds invalid base64 data") from exc


def save_images(
    message: BaseMessage,
    directory: str | Path,
    prefix: str = "image",
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write every inline image of ``message`` to ``directory``; return the paths.

    Files are named ``{prefix}_{n}{ext}`` in content order, with the
    extension taken from the MIME type (``image/png`` -> ``.png``,
    ``image/jpeg`` -> ``.jpg``). An existing file is never replaced: ``n``
    starts after the highest ``{prefix}_{n}`` already in the directory, so
    saving the images of several answers under one prefix keeps them all
    (``overwrite=True``: ``n`` from 0, replacing files of those names). The
    directory is created if needed. A message without images gives ``[]``.

    Example:
        .. code-block:: python

            msg = llm.invoke("Draw a cat", response_modalities=["TEXT", "IMAGE"])
            paths = save_images(msg, "out")  # out/image_0.png, then image_1.png...

    """
    folder = Path(directory)
    paths: list[Path] = []
    first = 0
    for number, (mime, raw) in enumerate(image_data(message)):
        if number == 0:
            folder.mkdir(parents=True, exist_ok=True)
            first = 0 if overwrite else _next_free(folder, prefix)
        subtype = mime.split("/")[-1].split("+")[0]
        extension = _EXTENSIONS.get(mime.lower(), f".{subtype}")
        path = folder / f"{prefix}_{first + number}{extension}"
        # "x": fails rather than replace a file made since we looked.
        with path.open("wb" if overwrite else "xb") as handle:
            handle.write(raw)
        paths.append(path)
    return paths


def _next_free(folder: Path, prefix: str) -> int:
    """The ``n`` after the highest ``{prefix}_{n}.<ext>`` in ``folder`` (0 if none)."""
    pattern = re.compile(rf"{re.escape(prefix)}_(\d+)\.[^.]+")
    numbers = [
        int(found.group(1))
        for entry in folder.iterdir()
        if (found := pattern.fullmatch(entry.name))
    ]
    return max(numbers, default=-1) + 1
