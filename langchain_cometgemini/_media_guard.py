"""What a media download may touch: pure checks, no I/O (that is ``_client``).

A message may name an image or a document by URL; the package downloads it
and sends it inline. The URL comes from whoever wrote the message, which in
an agent may be a tool's output or a web page, so the download is bounded:

- only ``http``/``https``;
- by default, never to an address that is not public: private networks,
  loopback, link-local (which holds the cloud metadata services at
  169.254.169.254 and fd00:ec2::254), shared, reserved and multicast ranges.
  Every address the host resolves to is checked, and so is each redirect hop
  (redirects are followed by hand, one at a time, at most
  :data:`MAX_REDIRECTS`). ``allow_private_media_urls=True`` lifts this for
  local use and tests;
- at most ``MAX_INLINE_BYTES`` (Gemini's inline limit, 20 MB): reading stops
  there; bigger media must go by file URI
  (https://ai.google.dev/gemini-api/docs/file-input-methods);
- within :data:`MEDIA_TIMEOUT` seconds in all (or the model's ``timeout``).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable

import httpx

from langchain_cometgemini._request import MAX_INLINE_BYTES

__all__ = [
    "MAX_MEDIA_BYTES",
    "MAX_REDIRECTS",
    "MEDIA_TIMEOUT",
    "Collector",
    "check_addresses",
    "check_media",
    "media_error",
    "media_host",
    "mime_of",
    "next_hop",
    "too_large",
]

MAX_MEDIA_BYTES = MAX_INLINE_BYTES
"""Reading a download stops past this many bytes."""
MAX_REDIRECTS = 5
MEDIA_TIMEOUT = 60.0
"""Seconds a download may take in all, redirects included, unless ``timeout``."""


def media_host(url: str) -> tuple[str, int]:
    """``(host, port)`` of a media URL, or a ``ValueError`` naming what is wrong."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"Could not download media from {url}: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(
            f"Could not download media from {url}: only http(s) URLs are fetched"
        )
    return parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)


def check_addresses(url: str, host: str, addresses: Iterable[str]) -> None:
    """Refuse ``url`` unless every address ``host`` resolved to is public."""
    found = False
    for text in addresses:
        found = True
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global:
            raise ValueError(
                f"Refusing to download media from {url}: {host} resolves to "
                f"{address}, which is not a public address (private, loopback, "
                "link-local or cloud metadata). Pass allow_private_media_urls=True "
                "to allow it, or send the media inline."
            )
    if not found:
        raise ValueError(f"Could not download media from {url}: {host} has no address")


def next_hop(url: str, location: str | None, hops: int) -> str:
    """The URL a redirect from ``url`` points to (hop number ``hops``)."""
    if not location:
        raise ValueError(
            f"Could not download media from {url}: redirect without a Location"
        )
    if hops >= MAX_REDIRECTS:
        raise ValueError(
            f"Could not download media from {url}: more than {MAX_REDIRECTS} redirects"
        )
    return str(httpx.URL(url).join(location))


def too_large(url: str, size: int | None = None) -> ValueError:
    """The error for media over the inline limit."""
    said = f" ({size} bytes)" if size is not None else ""
    return ValueError(
        f"Media at {url} is larger than {MAX_MEDIA_BYTES / 1e6:.0f} MB{said}, "
        "Gemini's limit for inline data; upload it with the Files API and send "
        "its file URI instead (https://ai.google.dev/gemini-api/docs/file-input-methods)."
    )


def media_error(url: str, exc: httpx.HTTPError) -> ValueError:
    """A failed download, named by its URL and the error's kind."""
    return ValueError(f"Could not download media from {url}: {type(exc).__name__}")


def check_media(url: str, response: httpx.Response) -> None:
    """Refuse an error status, or a declared length over the limit, unread."""
    if response.status_code != 200:
        raise ValueError(
            f"Could not download media from {url}: HTTP {response.status_code}"
        )
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_MEDIA_BYTES:
        raise too_large(url, int(length))


def mime_of(response: httpx.Response) -> str | None:
    """The media type the server declared, without parameters."""
    mime = response.headers.get("content-type")
    return mime.split(";")[0].strip() if mime else None


class Collector:
    """A download's body, gathered until the inline limit or the deadline."""

    __slots__ = ("chunks", "deadline", "size", "url")

    def __init__(self, url: str, deadline: float) -> None:
        self.url, self.deadline = url, deadline
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        """Keep ``chunk``; raise once past the limit or the deadline."""
        self.size += len(chunk)
        if self.size > MAX_MEDIA_BYTES:
            raise too_large(self.url)
        if time.monotonic() > self.deadline:
            raise ValueError(f"Could not download media from {self.url}: too slow")
        self.chunks.append(chunk)

    def body(self) -> bytes:
        """Everything gathered, in one piece."""
        return b"".join(self.chunks)
