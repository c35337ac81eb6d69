"""Anthropic-format ``image`` / ``document`` blocks (a ``source`` mapping).

They reach the wire through langchain-core's Anthropic translator: base64
and text inline, a URL downloaded first, a file id by reference; a source
the translator cannot read is refused with its name.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_cometgemini._request import build_contents, media_urls

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PNG_B64 = base64.b64encode(PNG).decode()
PDF_B64 = base64.b64encode(b"%PDF-1.4 minimal").decode()
FILE_URI = "https://generativelanguage.googleapis.com/v1beta/files/abc123"


def _parts(block: dict[str, Any], **media: tuple[bytes, str | None]) -> Any:
    message = HumanMessage([block])
    _, contents = build_contents([message], model="gemini-2.5-flash", media=media)
    return contents[0]["parts"]


@pytest.mark.parametrize(
    ("block", "part"),
    [
        (
            {"type": "base64", "media_type": "image/png", "data": PNG_B64},
            {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
        ),
        (
            {"type": "file", "file_id": FILE_URI},
            {"fileData": {"fileUri": FILE_URI, "mimeType": "image/png"}},
        ),
    ],
)
def test_image_source(block: dict[str, Any], part: dict[str, Any]) -> None:
    image = {"type": "image", "source": block, "cache_control": {"type": "ephemeral"}}
    assert _parts(image) == [part]


def test_image_url_source_is_downloaded_first() -> None:
    url = "https://example.test/cat.png"
    block = {"type": "image", "source": {"type": "url", "url": url}}
    assert media_urls([HumanMessage([block])]) == [url]
    assert _parts(block, **{url: (PNG, "image/png")}) == [
        {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}
    ]


@pytest.mark.parametrize(
    ("source", "part"),
    [
        (
            {"type": "base64", "media_type": "application/pdf", "data": PDF_B64},
            {"inlineData": {"mimeType": "application/pdf", "data": PDF_B64}},
        ),
        (
            {"type": "text", "media_type": "text/plain", "data": "plain words"},
            {
                "inlineData": {
                    "mimeType": "text/plain",
                    "data": base64.b64encode(b"plain words").decode(),
                }
            },
        ),
    ],
)
def test_document_source(source: dict[str, Any], part: dict[str, Any]) -> None:
    assert _parts({"type": "document", "source": source}) == [part]


def test_document_url_source_is_downloaded_first() -> None:
    url = "https://example.test/paper.pdf"
    block = {"type": "document", "source": {"type": "url", "url": url}}
    assert media_urls([HumanMessage([block])]) == [url]
    data = b"%PDF-1.4 paper"
    assert _parts(block, **{url: (data, "application/pdf")}) == [
        {
            "inlineData": {
                "mimeType": "application/pdf",
                "data": base64.b64encode(data).decode(),
            }
        }
    ]


@pytest.mark.parametrize(
    "source",
    [
        {"type": "base64", "data": PNG_B64},  # no media_type
        {"type": "hologram", "data": "x"},
    ],
)
def test_unreadable_source_is_refused_by_name(source: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Unsupported Anthropic 'image' source"):
        _parts({"type": "image", "source": source})
