"""Async transports whose CPU per request stays flat as requests in flight grow.

``_client`` sends each API request straight to a transport of its own pool
(see ``GeminiHTTP._aopen``); this module makes that transport. Which one is
the ``async_transport`` setting (docs/performance.md#transports):

- ``"aiohttp"``: :class:`AiohttpTransport`, an ``httpx.AsyncBaseTransport``
  over an ``aiohttp`` session (``pip install "langchain-cometgemini[aiohttp]"``;
  the ``bulk`` and ``ray`` extras pull it in). aiohttp's pool hands a request a
  connection in constant time, and its HTTP parser is compiled.
- ``"httpx"``: ``_shards.AsyncShardedPool``, httpx's own async pool split
  into small pools (the sync path always uses its twin; see ``_shards``).
- ``"auto"`` (the default): aiohttp when it is installed, else httpx.

Clients from ``httpx2`` given by the user go through ``_httpx2``.

Every transport here sends exactly what it is given: no redirect followed, the
request's timeout extension honoured (connect, read, pool), the body left
compressed (httpx's ``Response`` decodes it, with the same bounds either way).
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx

__all__ = [
    "AiohttpTransport",
    "AsyncTransport",
    "async_transport",
    "body_pieces",
    "is_httpx2_client",
    "resolve_transport",
]

AsyncTransport = Literal["auto", "aiohttp", "httpx"]
"""The ``async_transport`` setting: which transport the package's async pool uses."""
_AIOHTTP_HINT = (
    'async_transport="aiohttp" needs aiohttp: '
    'pip install "langchain-cometgemini[aiohttp]"'
)


def aiohttp_installed() -> bool:
    """Whether ``aiohttp`` can be imported (without importing it)."""
    return importlib.util.find_spec("aiohttp") is not None


def resolve_transport(kind: AsyncTransport) -> Literal["aiohttp", "httpx"]:
    """The transport ``kind`` stands for here; a clear error when it cannot be."""
    if kind == "auto":
        return "aiohttp" if aiohttp_installed() else "httpx"
    if kind == "aiohttp" and not aiohttp_installed():
        raise ImportError(_AIOHTTP_HINT)
    if kind not in ("aiohttp", "httpx"):
        raise ValueError(
            f"async_transport must be 'auto', 'aiohttp' or 'httpx', not {kind!r}"
        )
    return kind


def async_transport(kind: AsyncTransport, limits: httpx.Limits) -> Any:
    """A new transport of ``kind`` (see :func:`resolve_transport`) with ``limits``."""
    if resolve_transport(kind) == "aiohttp":
        return AiohttpTransport(limits)
    from langchain_cometgemini._shards import AsyncShardedPool

    return AsyncShardedPool(limits)


def is_httpx2_client(client: Any) -> bool:
    """Whether ``client`` is an ``httpx2.Client`` / ``httpx2.AsyncClient``."""
    return type(client).__module__.split(".", 1)[0] == "httpx2" or any(
        cls.__module__.split(".", 1)[0] == "httpx2" for cls in type(client).__mro__
    )


# -- aiohttp ------------------------------------------------------------------


def _ssl_context() -> ssl.SSLContext:
    """The certificates httpx verifies with (certifi's), for aiohttp too."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _httpx_error(exc: BaseException) -> httpx.HTTPError | None:
    """The httpx error an aiohttp failure stands for (None: not a transport one)."""
    import aiohttp

    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp's socket read timeouts
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(message)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return httpx.ReadError(message)
    return None


class _AiohttpBody(httpx.AsyncByteStream):
    """An aiohttp response body as httpx reads one: raw bytes, errors mapped."""

    __slots__ = ("_response",)

    def __init__(self, response: Any) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except Exception as exc:
            mapped = _httpx_error(exc)
            if mapped is None:
                raise
            raise mapped from exc

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through one ``aiohttp.ClientSession``.

    The session is made on first use, on the running event loop (an aiohttp
    session belongs to the loop it was made on, as an httpx pool does; the
    caller keeps one transport per loop). It sends the request's own headers
    only (aiohttp adds none of its defaults), follows no redirect, leaves
    compressed bodies to httpx, and reads the timeout extension: ``connect``
    for the connection, ``read`` for each read, ``pool`` for a free connection;
    and ``sni_hostname``, the name TLS checks the certificate against.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        if not aiohttp_installed():
            raise ImportError(_AIOHTTP_HINT)
        self._limits = limits
        self._session: Any = None
        self._urls: dict[str, Any] = {}

    def _open_session(self) -> Any:
        import aiohttp

        limits = self._limits
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry or 0,
            ssl=_ssl_context(),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # httpx decodes, as for its own transport
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent"),
            timeout=aiohttp.ClientTimeout(total=None),
        )
        return self._session

    def _url(self, url: httpx.URL) -> Any:
        import yarl

        text = str(url)
        found = self._urls.get(text)
        if found is None:
            if len(self._urls) > 64:
                self._urls.clear()
            found = self._urls[text] = yarl.URL(text, encoded=True)
        return found

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import aiohttp

        session = self._session or self._open_session()
        given = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=given.get("pool"),
            sock_connect=given.get("connect"),
            sock_read=given.get("read"),
        )
        try:
            data: Any = request.content
        except httpx.RequestNotRead:  # a body in pieces (_body.AsyncPieces)
            data = body_pieces(request.stream)
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers.raw
        ]
        # A pinned media download goes to an address with the host name kept
        # for TLS (httpcore's ``sni_hostname``; _media_guard.pinned).
        extra: dict[str, Any] = {}
        if "sni_hostname" in request.extensions:
            extra["server_hostname"] = request.extensions["sni_hostname"]
        try:
            answer = await session.request(
                request.method,
                self._url(request.url),
                headers=headers,
                data=data,
                allow_redirects=False,
                timeout=timeout,
                **extra,
            )
        except Exception as exc:
            mapped = _httpx_error(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=_AiohttpBody(answer),
            extensions={
                "http_version": b"HTTP/%d.%d" % tuple(answer.version),
                "reason_phrase": (answer.reason or "").encode("latin-1"),
            },
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


async def body_pieces(stream: Any) -> AsyncIterator[bytes]:
    """A request body sent in pieces (``_body.AsyncPieces``), as an async iterator."""
    async for piece in stream:
        yield piece
