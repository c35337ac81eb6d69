"""Clients from ``httpx2`` given as ``http_client`` / ``http_async_client``.

httpx2 is httpx's maintained continuation (same design and API, its own
types). The package speaks httpx's types throughout, so a given httpx2 client
is wrapped in an httpx client (:func:`bridged`) whose transport sends through
the given client's own ``build_request`` and ``send``: its headers, auth,
hooks, mounts, proxies and pool apply, as for any client given to us. The
answer comes back as httpx's ``Response`` with its body still raw (httpx
decodes it, within the package's bounds), and httpx2's errors as httpx's
errors of the same name. No redirect is followed; the given client is never
closed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from langchain_cometgemini._transport import body_pieces

__all__ = ["AsyncHttpx2Bridge", "Httpx2Bridge", "bridged"]


def _as_httpx_error(exc: Exception) -> Exception:
    """Httpx's error of the same name as an httpx2 one (httpx2 keeps httpx's names)."""
    kind = getattr(httpx, type(exc).__name__, None)
    if isinstance(kind, type) and issubclass(kind, httpx.TransportError):
        return kind(str(exc))
    return httpx.TransportError(f"{type(exc).__name__}: {exc}")


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    """httpx2's errors raised in the block, raised again as httpx's."""
    try:
        yield
    except Exception as exc:
        if type(exc).__module__.startswith("httpx2"):
            raise _as_httpx_error(exc) from exc
        raise


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
        with _httpx_errors():
            yield from self._answer.iter_raw()

    def close(self) -> None:
        self._answer.close()


class _AsyncHttpx2Body(httpx.AsyncByteStream):
    def __init__(self, answer: Any) -> None:
        self._answer = answer

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for chunk in self._answer.aiter_raw():
                yield chunk

    async def aclose(self) -> None:
        await self._answer.aclose()


class Httpx2Bridge(httpx.BaseTransport):
    """Sends through a given ``httpx2.Client`` (used as given, never closed)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        with _httpx_errors():
            answer = self.client.send(
                _httpx2_request(self.client, request, content),
                stream=True,
                follow_redirects=False,
            )
        return _httpx_response(answer, _Httpx2Body(answer))


class AsyncHttpx2Bridge(httpx.AsyncBaseTransport):
    """Sends through a given ``httpx2.AsyncClient`` (used as given, never closed)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            content: Any = request.content
        except httpx.RequestNotRead:
            content = body_pieces(request.stream)
        with _httpx_errors():
            answer = await self.client.send(
                _httpx2_request(self.client, request, content),
                stream=True,
                follow_redirects=False,
            )
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
