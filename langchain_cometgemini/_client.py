"""The only module that does I/O: HTTP to the Gemini REST API (via CometAPI).

Everything else in the package is pure. Sync and async paths share every step
that is not a send: URL, headers, body encoding, error mapping, retry policy.
Service reference: https://ai.google.dev/api/generate-content
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from langchain_cometgemini._body import AsyncPieces, encode
from langchain_cometgemini._errors import (
    GeminiAPIError,
    GeminiConnectionError,
    GeminiStreamError,
    GeminiTimeoutError,
    error_from_response,
)
from langchain_cometgemini._sse import SSEDecoder

__all__ = ["GeminiHTTP"]

logger = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)
_MAX_BACKOFF = 30.0
_USER_AGENT = "langchain-cometgemini"


def _backoff(attempt: int, error: GeminiAPIError | None) -> float:
    """Seconds to wait before retry ``attempt`` (0-based).

    The server's ``Retry-After`` / ``RetryInfo.retryDelay`` wins; otherwise
    exponential backoff (0.5 s, 1 s, 2 s, ...) with +-25 % jitter so that
    many clients rejected together do not return together.
    """
    if error is not None and error.retry_after is not None:
        return min(error.retry_after, 60.0)
    base: float = min(0.5 * (2**attempt), _MAX_BACKOFF)
    return base * random.uniform(0.75, 1.25)


def _decode_json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError) as exc:  # RecursionError: hostile nesting
        raise GeminiStreamError(
            f"The service answered {response.status_code} with a body that is not "
            f"JSON ({exc}): {response.content[:200]!r}"
        ) from None
    if not isinstance(data, dict):
        raise GeminiStreamError(
            f"The service answered with JSON that is not an object: {data!r:.200}"
        )
    return data


def _transport_error(exc: httpx.HTTPError, url: str) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        return GeminiTimeoutError(f"Request to {url} timed out ({type(exc).__name__})")
    return GeminiConnectionError(
        f"Could not complete the request to {url}: {type(exc).__name__}: {exc}"
    )


def _retryable(exc: Exception) -> bool:
    """Whether a failed attempt may be tried again.

    Read/write timeouts are not retried: the server may be working on the
    request, and repeating it would multiply the wait the caller asked to cap.
    """
    if isinstance(exc, GeminiAPIError):
        return exc.status_code in _RETRY_STATUS
    return isinstance(exc, GeminiConnectionError)


class GeminiHTTP:
    """Sends requests to ``{base_url}/v1beta/models/{model}:{method}``.

    Clients are created lazily, once, and reused for connection pooling; an
    async client is bound to the event loop it was made on, so a new one is
    made when the loop changes (``asyncio.run`` called twice, say).
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | None,
        timeout: float | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None = None,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        self.root = base if base.endswith("/v1beta") else f"{base}/v1beta"
        self.max_retries = max_retries
        self.timeout: Any = (
            httpx.USE_CLIENT_DEFAULT if timeout is None else httpx.Timeout(timeout)
        )
        headers = {
            "accept": "*/*",
            "accept-encoding": "gzip, deflate",
            "content-type": "application/json",
            "user-agent": _USER_AGENT,
        }
        if api_key is not None:
            headers["x-goog-api-key"] = api_key.get_secret_value()
        headers.update(default_headers or {})
        # Prepared once: httpx re-parses a str URL and re-normalizes a dict of
        # headers on every request (~50 us, a sizeable part of its own cost).
        self._headers = httpx.Headers(headers)
        self._urls: dict[tuple[str, str], tuple[str, httpx.URL]] = {}
        # Sent straight to the transport (see _open), so given here in full.
        self._extensions = {
            "timeout": (
                self.timeout
                if isinstance(self.timeout, httpx.Timeout)
                else _DEFAULT_TIMEOUT
            ).as_dict()
        }
        self._client = client
        self._async_client = async_client
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._injected_async = async_client is not None
        # The transports of our own pools; None for clients given to us.
        self._direct: httpx.HTTPTransport | None = None
        self._adirect: httpx.AsyncHTTPTransport | None = None

    def __repr__(self) -> str:  # never show the headers: they hold the key
        return f"GeminiHTTP(root={self.root!r})"

    def url(self, model: str, method: str) -> str:
        """Endpoint URL; ``model`` may be given as ``models/NAME`` too."""
        name = model.removeprefix("models/")
        suffix = "?alt=sse" if method == "streamGenerateContent" else ""
        return f"{self.root}/models/{name}:{method}{suffix}"

    def _request(
        self, model: str, method: str, body: Mapping[str, Any], *, asynchronous: bool
    ) -> tuple[str, dict[str, Any]]:
        """The URL (for messages) and httpx's ``url``/``content``/``headers``.

        A body sent in pieces (large inline media) declares its length, so it
        goes with ``Content-Length`` like any other, not chunked.
        """
        key = (model, method)
        if key not in self._urls:
            if len(self._urls) > 64:  # many per-call model names: start over
                self._urls.clear()
            text = self.url(model, method)
            self._urls[key] = (text, httpx.URL(text))
        text, url = self._urls[key]
        content = encode(body)
        if isinstance(content, bytes):
            return text, {"url": url, "content": content, "headers": self._headers}
        headers = self._headers.copy()
        headers["content-length"] = str(content.length)
        pieces = AsyncPieces(content) if asynchronous else content
        return text, {"url": url, "content": pieces, "headers": headers}

    # -- clients ---------------------------------------------------------

    def sync_client(self) -> httpx.Client:
        """The pooled sync client, created on first use."""
        if self._client is None:
            if _env_proxies():
                self._client = httpx.Client(timeout=_DEFAULT_TIMEOUT, limits=_LIMITS)
            else:
                self._direct = httpx.HTTPTransport(limits=_LIMITS)
                self._client = httpx.Client(
                    timeout=_DEFAULT_TIMEOUT, transport=self._direct
                )
        return self._client

    def async_client(self) -> httpx.AsyncClient:
        """The pooled async client for the running event loop."""
        if self._injected_async:
            assert self._async_client is not None
            return self._async_client
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_loop is not loop:
            if _env_proxies():
                self._adirect = None
                self._async_client = httpx.AsyncClient(
                    timeout=_DEFAULT_TIMEOUT, limits=_LIMITS
                )
            else:
                self._adirect = httpx.AsyncHTTPTransport(limits=_LIMITS)
                self._async_client = httpx.AsyncClient(
                    timeout=_DEFAULT_TIMEOUT, transport=self._adirect
                )
            self._async_loop = loop
        return self._async_client

    # -- sending ---------------------------------------------------------
    #
    # With a pool of our own, a request goes straight to its transport. The
    # client layer on top (request building and merging, cookie jar, auth and
    # redirect flows, event hooks) does nothing for these calls, yet it costs
    # about a fifth of the CPU of each request when many run at once. Clients
    # given to us keep their full path: their hooks, auth and mounts apply.

    @contextlib.contextmanager
    def _open(self, send: dict[str, Any]) -> Iterator[httpx.Response]:
        """The response to a POST, unread; closed on leaving."""
        client = self.sync_client()
        if self._direct is None:
            with client.stream("POST", **send, timeout=self.timeout) as response:
                yield response
            return
        response = self._direct.handle_request(self._raw(send))
        logger.debug("POST %s: HTTP %d", send["url"], response.status_code)
        try:
            yield response
        finally:
            response.close()

    @contextlib.asynccontextmanager
    async def _aopen(self, send: dict[str, Any]) -> AsyncIterator[httpx.Response]:
        """Async twin of :meth:`_open`."""
        client = self.async_client()
        if self._adirect is None:
            async with client.stream("POST", **send, timeout=self.timeout) as response:
                yield response
            return
        response = await self._adirect.handle_async_request(self._raw(send))
        logger.debug("POST %s: HTTP %d", send["url"], response.status_code)
        try:
            yield response
        finally:
            await response.aclose()

    def _raw(self, send: dict[str, Any]) -> httpx.Request:
        return httpx.Request("POST", **send, extensions=self._extensions)

    # -- unary -----------------------------------------------------------

    def post(self, model: str, method: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST ``body`` and return the JSON answer, retrying what may succeed."""
        url, send = self._request(model, method, body, asynchronous=False)
        for attempt in range(self.max_retries + 1):
            try:
                with self._open(send) as response:
                    response.read()
                if response.status_code == 200:
                    return _decode_json(response)
                error: Exception = error_from_response(
                    response.status_code, response.headers, response.content
                )
            except httpx.HTTPError as exc:
                error = _transport_error(exc, url)
            if attempt == self.max_retries or not _retryable(error):
                raise error
            time.sleep(self._wait(attempt, error))
        raise AssertionError("unreachable")  # pragma: no cover

    async def apost(
        self, model: str, method: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Async twin of :meth:`post`."""
        url, send = self._request(model, method, body, asynchronous=True)
        for attempt in range(self.max_retries + 1):
            try:
                async with self._aopen(send) as response:
                    await response.aread()
                if response.status_code == 200:
                    return _decode_json(response)
                error: Exception = error_from_response(
                    response.status_code, response.headers, response.content
                )
            except httpx.HTTPError as exc:
                error = _transport_error(exc, url)
            if attempt == self.max_retries or not _retryable(error):
                raise error
            await asyncio.sleep(self._wait(attempt, error))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- streaming -------------------------------------------------------

    def stream(self, model: str, body: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Yield each event of ``streamGenerateContent`` the moment it arrives.

        Retries happen only before the first event: once the caller has seen
        content, a failure is raised, never papered over with a second answer.
        """
        method = "streamGenerateContent"
        url, send = self._request(model, method, body, asynchronous=False)
        for attempt in range(self.max_retries + 1):
            try:
                with self._open(send) as response:
                    if response.status_code == 200:
                        decoder = SSEDecoder()
                        try:
                            for chunk in response.iter_bytes():
                                yield from decoder.feed(chunk)
                        except httpx.HTTPError as exc:
                            raise _stream_broken(exc, url) from None
                        yield from decoder.close()
                        return
                    response.read()
                    error: Exception = error_from_response(
                        response.status_code, response.headers, response.content
                    )
            except httpx.HTTPError as exc:
                error = _transport_error(exc, url)
            if attempt == self.max_retries or not _retryable(error):
                raise error
            time.sleep(self._wait(attempt, error))

    async def astream(
        self, model: str, body: Mapping[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """Async twin of :meth:`stream`; cancelling it closes the response."""
        method = "streamGenerateContent"
        url, send = self._request(model, method, body, asynchronous=True)
        for attempt in range(self.max_retries + 1):
            try:
                async with self._aopen(send) as response:
                    if response.status_code == 200:
                        decoder = SSEDecoder()
                        try:
                            async for chunk in response.aiter_bytes():
                                for event in decoder.feed(chunk):
                                    yield event
                        except httpx.HTTPError as exc:
                            raise _stream_broken(exc, url) from None
                        for event in decoder.close():
                            yield event
                        return
                    await response.aread()
                    error: Exception = error_from_response(
                        response.status_code, response.headers, response.content
                    )
            except httpx.HTTPError as exc:
                error = _transport_error(exc, url)
            if attempt == self.max_retries or not _retryable(error):
                raise error
            await asyncio.sleep(self._wait(attempt, error))

    def _wait(self, attempt: int, error: Exception) -> float:
        delay = _backoff(attempt, error if isinstance(error, GeminiAPIError) else None)
        logger.warning(
            "Retrying Gemini request in %.2fs after %s (attempt %d of %d)",
            delay,
            error,
            attempt + 2,
            self.max_retries + 1,
        )
        return delay

    # -- media -----------------------------------------------------------

    def fetch(self, url: str) -> tuple[bytes, str | None]:
        """Download media named by URL in a message; our key is never sent."""
        try:
            response = self.sync_client().get(url, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise _media_error(url, exc) from None
        return _media_result(url, response)

    async def afetch(self, url: str) -> tuple[bytes, str | None]:
        """Async twin of :meth:`fetch`; does not block the event loop."""
        try:
            response = await self.async_client().get(url, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise _media_error(url, exc) from None
        return _media_result(url, response)


def _env_proxies() -> bool:
    """Whether proxies are configured, which only httpx's client applies."""
    return bool(urllib.request.getproxies())


def _stream_broken(exc: httpx.HTTPError, url: str) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        return GeminiTimeoutError(f"Stream from {url} stalled ({type(exc).__name__})")
    return GeminiStreamError(
        f"The connection broke in the middle of the stream from {url}: "
        f"{type(exc).__name__}: {exc}. The answer is incomplete."
    )


def _media_error(url: str, exc: httpx.HTTPError) -> ValueError:
    return ValueError(f"Could not download media from {url}: {type(exc).__name__}")


def _media_result(url: str, response: httpx.Response) -> tuple[bytes, str | None]:
    if response.status_code != 200:
        raise ValueError(
            f"Could not download media from {url}: HTTP {response.status_code}"
        )
    mime = response.headers.get("content-type")
    return response.content, mime.split(";")[0].strip() if mime else None
