"""Async transports whose CPU per request stays flat as requests in flight grow.

``_client`` sends each API request straight to a transport of its own pool
(see ``GeminiHTTP._aopen``); this module makes that transport. Which one is
the ``async_transport`` setting (docs/performance.md#transports):

- ``"aiohttp"``: :class:`AiohttpTransport`, an ``httpx.AsyncBaseTransport``
  over an ``aiohttp`` session (``pip install "langchain-cometgemini[aiohttp]"``;
  the ``bulk`` and ``ray`` extras pull it in). aiohttp's pool hands a request a
  connection in constant time, and its HTTP parser is compiled.
- ``"httpx"``: :class:`ShardedPool`, httpx's own async pool split into small
  pools. httpcore assigns requests to connections by scanning every
  connection and every queued request of its pool each time a request enters
  or leaves it, so one pool of 256 connections costs several times more per
  request at 256 in flight than at 1. Pools of :data:`SHARD` connections keep
  each scan short; a request goes to the first pool with a free connection,
  so sequential calls still share one connection.
- ``"auto"`` (the default): aiohttp when it is installed, else httpx.

Clients from ``httpx2`` (httpx's maintained continuation) given as
``http_client`` / ``http_async_client`` are driven through :class:`Httpx2Bridge`
and :class:`AsyncHttpx2Bridge`: their own ``send`` (so their auth, headers,
hooks, mounts and pool apply), with the answer and any error turned into
httpx's types, which the rest of the package speaks.

Every transport here sends exactly what it is given: no redirect followed, the
request's timeout extension honoured (connect, read, pool), the body left
compressed (httpx's ``Response`` decodes it, with the same bounds either way).
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import httpx

__all__ = [
    "SHARD",
    "AiohttpTransport",
    "AsyncHttpx2Bridge",
    "AsyncTransport",
    "Httpx2Bridge",
    "ShardedPool",
    "async_transport",
    "is_httpx2_client",
    "resolve_transport",
]

AsyncTransport = Literal["auto", "aiohttp", "httpx"]
"""The ``async_transport`` setting: which transport the package's async pool uses."""
SHARD = 4
"""Connections per small pool of :class:`ShardedPool` (measured: with 4, the
cost per request at 256 in flight is within 1.2x of the cost at 1; with 8,
1.6x; with one pool of 256, 7x)."""
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
    return ShardedPool(limits)


# -- httpx's pool, in small pools ---------------------------------------------


class _Release(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed (once)."""

    __slots__ = ("_done", "_inner", "_on_close")

    def __init__(self, inner: Any, on_close: Any) -> None:
        self._inner, self._on_close, self._done = inner, on_close, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if not self._done:
                self._done = True
                self._on_close()


class ShardedPool(httpx.AsyncBaseTransport):
    """httpx's async pool as many pools of :data:`SHARD` connections each.

    ``limits`` bound the whole: ``max_connections`` (``None``: unbounded) and
    ``max_keepalive_connections`` are shared out between the small pools,
    which are made as requests need them. A request goes to the first pool
    with fewer requests open than it has connections, else to the least busy.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        total = limits.max_connections
        keep = limits.max_keepalive_connections
        self._per = SHARD if total is None else max(1, min(SHARD, total))
        count = None if total is None else -(-total // self._per)
        self._count = count
        per_keep = None if keep is None else max(1, -(-keep // (count or 1)))
        self._limits = httpx.Limits(
            max_connections=self._per,
            max_keepalive_connections=(
                self._per if per_keep is None else min(self._per, per_keep)
            ),
            keepalive_expiry=limits.keepalive_expiry,
        )
        self._pools: list[httpx.AsyncHTTPTransport] = []
        self._open: list[int] = []  # requests open per pool

    def _pick(self) -> int:
        per, open_ = self._per, self._open
        for index, busy in enumerate(open_):
            if busy < per:
                return index
        if self._count is None or len(self._pools) < self._count:
            self._pools.append(httpx.AsyncHTTPTransport(limits=self._limits))
            open_.append(0)
            return len(open_) - 1
        return open_.index(min(open_))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._pick()
        self._open[index] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._open[index] -= 1

        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        response.stream = _Release(response.stream, release)
        return response

    async def aclose(self) -> None:
        pools, self._pools, self._open = self._pools, [], []
        for pool in pools:
            await pool.aclose()


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
    for the connection, ``read`` for each read, ``pool`` for a free connection.
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
            data = _aiter(request.stream)
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers.raw
        ]
        try:
            answer = await session.request(
                request.method,
                self._url(request.url),
                headers=headers,
                data=data,
                allow_redirects=False,
                timeout=timeout,
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


async def _aiter(stream: Any) -> AsyncIterator[bytes]:
    async for piece in stream:
        yield piece


# -- clients from httpx2 ------------------------------------------------------


def is_httpx2_client(client: Any) -> bool:
    """Whether ``client`` is an ``httpx2.Client`` / ``httpx2.AsyncClient``."""
    return type(client).__module__.split(".", 1)[0] == "httpx2" or any(
        cls.__module__.split(".", 1)[0] == "httpx2" for cls in type(client).__mro__
    )


def _as_httpx_error(exc: Exception) -> Exception:
    """Httpx's error of the same name as an httpx2 one (httpx2 keeps httpx's names)."""
    kind = getattr(httpx, type(exc).__name__, None)
    if isinstance(kind, type) and issubclass(kind, httpx.TransportError):
        return kind(str(exc))
    return httpx.TransportError(f"{type(exc).__name__}: {exc}")


def _httpx2_request(client: Any, request: httpx.Request, content: Any) -> Any:
    """The httpx2 request for ``request``, built by ``client`` (its headers apply)."""
    headers = [
        (k, v)
        for k, v in request.headers.raw
        if k.lower() not in (b"host", b"connection")
    ]
    return client.build_request(
        request.method,
        str(request.url),
        headers=headers,
        content=content,
        extensions={k: v for k, v in request.extensions.items() if k == "timeout"},
    )


def _httpx_response(answer: Any, stream: Any) -> httpx.Response:
    """Httpx's response for an httpx2 one, its body still raw (httpx decodes).

    An answer already read (a mock transport's) gives its decoded content.
    """
    extensions = {
        k: v
        for k, v in answer.extensions.items()
        if k in ("http_version", "reason_phrase")
    }
    if answer.is_stream_consumed:
        headers = [
            (k, v) for k, v in answer.headers.raw if k.lower() != b"content-encoding"
        ]
        return httpx.Response(
            answer.status_code,
            headers=headers,
            content=answer.content,
            extensions=extensions,
        )
    return httpx.Response(
        answer.status_code,
        headers=answer.headers.raw,
        stream=stream,
        extensions=extensions,
    )


class _Httpx2Body(httpx.SyncByteStream):
    def __init__(self, answer: Any) -> None:
        self._answer = answer

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._answer.iter_raw()
        except Exception as exc:
            if type(exc).__module__.startswith("httpx2"):
                raise _as_httpx_error(exc) from exc
            raise

    def close(self) -> None:
        self._answer.close()


class _AsyncHttpx2Body(httpx.AsyncByteStream):
    def __init__(self, answer: Any) -> None:
        self._answer = answer

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._answer.aiter_raw():
                yield chunk
        except Exception as exc:
            if type(exc).__module__.startswith("httpx2"):
                raise _as_httpx_error(exc) from exc
            raise

    async def aclose(self) -> None:
        await self._answer.aclose()


class Httpx2Bridge(httpx.BaseTransport):
    """Sends through a given ``httpx2.Client`` (used as given, never closed)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        try:
            answer = self.client.send(
                _httpx2_request(self.client, request, content),
                stream=True,
                follow_redirects=False,
            )
        except Exception as exc:
            if type(exc).__module__.startswith("httpx2"):
                raise _as_httpx_error(exc) from exc
            raise
        return _httpx_response(answer, _Httpx2Body(answer))


class AsyncHttpx2Bridge(httpx.AsyncBaseTransport):
    """Sends through a given ``httpx2.AsyncClient`` (used as given, never closed)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            content: Any = request.content
        except httpx.RequestNotRead:
            content = _aiter(request.stream)
        try:
            answer = await self.client.send(
                _httpx2_request(self.client, request, content),
                stream=True,
                follow_redirects=False,
            )
        except Exception as exc:
            if type(exc).__module__.startswith("httpx2"):
                raise _as_httpx_error(exc) from exc
            raise
        return _httpx_response(answer, _AsyncHttpx2Body(answer))


def bridged(client: Any, asynchronous: bool) -> Any:
    """An httpx client that sends through the httpx2 ``client`` given.

    Its timeout is the given client's, so a model without ``timeout`` keeps
    the given client's own; it adds no headers of its own.
    """
    timeout = httpx.Timeout(**client.timeout.as_dict())
    if asynchronous:
        wrapper: Any = httpx.AsyncClient(
            transport=AsyncHttpx2Bridge(client), timeout=timeout
        )
    else:
        wrapper = httpx.Client(transport=Httpx2Bridge(client), timeout=timeout)
    wrapper.headers.clear()
    return wrapper
