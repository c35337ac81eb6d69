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
Unary calls on aiohttp take a shorter lane, :meth:`AiohttpTransport.post_whole`
(no httpx request or response for a 200; gzip and deflate decoded by
``_limits.inflate`` within the same bound).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import ssl
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Literal

import httpx

from langchain_cometgemini._limits import inflate, too_large
from langchain_cometgemini._retry import Whole

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
    # The MRO starts with the type itself, then any httpx2 class it extends.
    return any(
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


@contextlib.contextmanager
def _as_httpx() -> Iterator[None]:
    """Aiohttp's transport errors raised as httpx's (others pass as they are)."""
    try:
        yield
    except Exception as exc:
        mapped = _httpx_error(exc)
        if mapped is None:
            raise
        raise mapped from exc


def _extensions(answer: Any) -> dict[str, Any]:
    """Httpx's response extensions for an aiohttp response."""
    return {
        "http_version": b"HTTP/%d.%d" % tuple(answer.version),
        "reason_phrase": (answer.reason or "").encode("latin-1"),
    }


async def _read(answer: Any, limit: int) -> bytes:
    """An aiohttp response's body as sent (still encoded), at most ``limit`` bytes."""
    chunks, size = [], 0
    with _as_httpx():
        async for chunk in answer.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
    return b"".join(chunks)


class _Bytes(httpx.AsyncByteStream):
    """Bytes already read, as a stream httpx decodes while it reads."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data


class _AiohttpBody(httpx.AsyncByteStream):
    """An aiohttp response body as httpx reads one: raw bytes, errors mapped."""

    __slots__ = ("_response",)

    def __init__(self, response: Any) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx():
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through one ``aiohttp.ClientSession``.

    The session is made on first use, on the running event loop (an aiohttp
    session belongs to the loop it was made on, as an httpx pool does; the
    caller keeps one transport per loop). It sends the request's own headers
    only (aiohttp adds none of its defaults), follows no redirect, leaves
    compressed bodies to httpx (but see :meth:`post_whole`), and reads the
    timeout extension: ``connect``
    for the connection, ``read`` for each read, ``pool`` for a free connection;
    and ``sni_hostname``, the name TLS checks the certificate against.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        if not aiohttp_installed():
            raise ImportError(_AIOHTTP_HINT)
        self._limits = limits
        self._session: Any = None
        self._urls: dict[str, Any] = {}
        self._timeouts: dict[tuple[float | None, ...], Any] = {}

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

    def _timeout(self, given: Mapping[str, float | None]) -> Any:
        """The aiohttp timeouts for httpx's timeout extension (made once each)."""
        key = (given.get("pool"), given.get("connect"), given.get("read"))
        found = self._timeouts.get(key)
        if found is None:
            import aiohttp

            if len(self._timeouts) > 64:  # many per-call timeouts: start over
                self._timeouts.clear()
            found = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, connect=key[0], sock_connect=key[1], sock_read=key[2]
            )
        return found

    async def _post(
        self,
        request: httpx.Request | None,
        url: httpx.URL,
        headers: list[tuple[str, str]],
        data: Any,
        timeout: Mapping[str, float | None],
    ) -> Any:
        """Send; aiohttp's response, its head read, transport errors as httpx's."""
        session = self._session or self._open_session()
        # A pinned media download goes to an address with the host name kept
        # for TLS (httpcore's ``sni_hostname``; _media_guard.pinned).
        extra: dict[str, Any] = {}
        if request is not None and "sni_hostname" in request.extensions:
            extra["server_hostname"] = request.extensions["sni_hostname"]
        with _as_httpx():
            return await session.request(
                "POST" if request is None else request.method,
                self._url(url),
                headers=headers,
                data=data,
                allow_redirects=False,
                timeout=self._timeout(timeout),
                **extra,
            )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            data: Any = request.content
        except httpx.RequestNotRead:  # a body in pieces (_body.AsyncPieces)
            data = body_pieces(request.stream)
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers.raw
        ]
        timeout = request.extensions.get("timeout", {})
        answer = await self._post(request, request.url, headers, data, timeout)
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=_AiohttpBody(answer),
            extensions=_extensions(answer),
        )

    async def post_whole(
        self,
        url: httpx.URL,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout: Mapping[str, float | None],
        limit: int,
    ) -> Whole | httpx.Response:
        """POST ``body`` and read the answer whole: the unary fast lane.

        The same answer as :meth:`handle_async_request` and a bounded read,
        without httpx's request and response objects (about 15 % of a call's
        CPU in a profile): ``headers`` go as given (aiohttp adds
        ``Host`` and ``Content-Length``), the body is read at once and decoded
        here (gzip, deflate; never past ``limit`` bytes). A 200 comes back as
        a :class:`~langchain_cometgemini._retry.Whole`; any other status as a
        read ``httpx.Response``, as do bodies in another coding, unread, for
        httpx to decode as it streams.
        """
        answer = await self._post(None, url, headers, body, timeout)
        coding = answer.headers.get("content-encoding", "").strip().lower()
        coded = coding not in ("", "identity")
        try:
            # A compressed body may be a little larger than what it holds
            # (incompressible data); ``limit`` applies to what it holds.
            raw = await _read(answer, limit + (limit >> 6) + 1024 if coded else limit)
        finally:
            answer.release()
        if coded:
            try:
                decoded = inflate(raw, coding, limit)
            except zlib.error as exc:  # as httpx's decoders report it
                raise httpx.DecodingError(f"{coding} body: {exc}") from None
            if decoded is None:
                return httpx.Response(
                    answer.status, headers=answer.raw_headers, stream=_Bytes(raw)
                )
            raw = decoded
        if answer.status == 200:
            return Whole(200, answer.headers, raw)
        raw_headers = answer.raw_headers
        if coded:  # decoded above: its coding no longer applies
            raw_headers = tuple(
                (k, v) for k, v in raw_headers if k.lower() != b"content-encoding"
            )
        return httpx.Response(
            answer.status,
            headers=raw_headers,
            content=raw,
            extensions=_extensions(answer),
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


async def body_pieces(stream: Any) -> AsyncIterator[bytes]:
    """A request body sent in pieces (``_body.AsyncPieces``), as an async iterator."""
    async for piece in stream:
        yield piece
