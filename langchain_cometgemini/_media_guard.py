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
  :data:`MAX_REDIRECTS`). The host is resolved once per hop and the
  connection goes to an address that was checked (:func:`pinned`), so a DNS
  answer that changes between the check and the connection (DNS rebinding)
  reaches nothing else. ``allow_private_media_urls=True`` lifts this for
  local use and tests;
- at most ``max_media_bytes`` (default Gemini's inline limit, 20 MB) for all
  the downloads of one request together, counted as the bytes arrive (a
  :class:`Budget` shared by concurrent downloads): reading stops there;
  bigger media must go by file URI
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
    "Budget",
    "Collector",
    "check_addresses",
    "check_media",
    "media_error",
    "media_host",
    "mime_of",
    "next_hop",
    "pinned",
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


def check_addresses(url: str, host: str, addresses: Iterable[str]) -> str:
    """Refuse ``url`` unless every address ``host`` resolved to is public;
    the first of them (the one to connect to).
    """
    found = None
    for text in addresses:
        found = found or text
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
    return found


def pinned(
    url: str, address: str | None
) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The URL, headers and extensions of a GET of ``url`` sent to ``address``.

    The connection goes to the address that was checked, not to whatever the
    host resolves to a moment later; the host name stays in the ``Host``
    header and, for https, in TLS (SNI and certificate checks: httpcore's
    ``sni_hostname`` extension). ``address`` None: ``url`` as it stands.
    """
    parsed = httpx.URL(url)
    if address is None or parsed.host == address:
        return parsed, {}, {}
    host = parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"
    extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
    return parsed.copy_with(host=address.split("%", 1)[0]), {"host": host}, extensions


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


class Budget:
    """The bytes all media downloads of one request may bring, together.

    Shared by the downloads of one call (which may run at once): each chunk
    is counted as it arrives, so forty 19 MB files stop at the limit, not
    after forty downloads.
    """

    __slots__ = ("limit", "used")

    def __init__(self, limit: int = MAX_MEDIA_BYTES) -> None:
        self.limit, self.used = limit, 0

    def take(self, url: str, size: int) -> None:
        """Count ``size`` more bytes from ``url``; raise once past the limit."""
        more = self.used > 0
        self.used += size
        if self.used > self.limit:
            raise too_large(url, self.limit, more=more)


def too_large(
    url: str,
    limit: int = MAX_MEDIA_BYTES,
    size: int | None = None,
    *,
    more: bool = False,
) -> ValueError:
    """The error for media over ``limit``; ``more``: other downloads counted too."""
    said = f" ({size} bytes)" if size is not None else ""
    what = f"Media at {url}" + (" with this request's other media" if more else "")
    return ValueError(
        f"{what} is larger than {limit / 1e6:.0f} MB{said} (max_media_bytes="
        f"{limit:,}; by default Gemini's limit for inline data). Upload it with "
        "the Files API and send its file URI instead "
        "(https://ai.google.dev/gemini-api/docs/file-input-methods), or raise "
        "max_media_bytes if your endpoint takes more."
    )


def media_error(url: str, exc: httpx.HTTPError) -> ValueError:
    """A failed download, named by its URL and the error's kind."""
    return ValueError(f"Could not download media from {url}: {type(exc).__name__}")


def check_media(url: str, response: httpx.Response, budget: Budget) -> None:
    """Refuse an error status, or a declared length over what is left, unread."""
    if response.status_code != 200:
        raise ValueError(
            f"Could not download media from {url}: HTTP {response.status_code}"
        )
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > budget.limit - budget.used:
        raise too_large(url, budget.limit, int(length), more=budget.used > 0)


def mime_of(response: httpx.Response) -> str | None:
    """The media type the server declared, without parameters."""
    mime = response.headers.get("content-type")
    return mime.split(";")[0].strip() if mime else None


class Collector:
    """A download's body, gathered until the budget or the deadline runs out."""

    __slots__ = ("budget", "chunks", "deadline", "url")

    def __init__(self, url: str, deadline: float, budget: Budget) -> None:
        self.url, self.deadline, self.budget = url, deadline, budget
        self.chunks: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        """Keep ``chunk``; raise once past the budget or the deadline."""
        self.budget.take(self.url, len(chunk))
        if time.monotonic() > self.deadline:
            raise ValueError(f"Could not download media from {self.url}: too slow")
        self.chunks.append(chunk)

    def body(self) -> bytes:
        """Everything gathered, in one piece."""
        return b"".join(self.chunks)
