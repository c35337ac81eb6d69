"""The only module that does I/O: HTTP to the Gemini REST API (via CometAPI).

Everything else in the package is pure. Sync and async paths share every step
that is not a send: URL, headers, body encoding, error mapping, retry policy.
Service reference: https://ai.google.dev/api/generate-content
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import urllib.request
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Generator,
    Iterator,
    Mapping,
)
from typing import Any

import httpx
from pydantic import SecretStr

from langchain_cometgemini._auth import ApiKey, AuthHeader
from langchain_cometgemini._body import AsyncPieces, encode
from langchain_cometgemini._errors import (
    CometGeminiError,
    GeminiAPIError,
    GeminiStreamError,
    GeminiTimeoutError,
    error_from_payload,
)
from langchain_cometgemini._hops import Hops
from langchain_cometgemini._limits import Limits, abounded, bounded
from langchain_cometgemini._media_guard import (
    MAX_REDIRECTS,
    MEDIA_TIMEOUT,
    Budget,
    Collector,
    check_addresses,
    check_media,
    media_error,
    media_host,
    mime_of,
    next_hop,
    pinned,
)
from langchain_cometgemini._pools import Made, Pools
from langchain_cometgemini._retry import (
    DELIVER,
    PEEK,
    SEND,
    Flow,
    RetryPolicy,
    Whole,
    backoff,
    max_wait,
)
from langchain_cometgemini._sse import SSEDecoder
from langchain_cometgemini._transport import (
    AiohttpTransport,
    AsyncTransport,
    async_transport,
    is_httpx2_client,
)

__all__ = ["AuthHeader", "GeminiHTTP"]

logger = logging.getLogger(__name__)

Body = Mapping[str, Any]
"""A request body (a ``GenerateContentRequest`` or a ``countTokens`` one)."""
Seconds = float | httpx.Timeout | None
"""A timeout: seconds or an ``httpx.Timeout``; per call, ``None`` keeps the model's."""
Events = AsyncGenerator[dict[str, Any], None]
"""What :meth:`GeminiHTTP.astream` returns (an async generator: closable)."""
_STREAM = "streamGenerateContent"

_DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
MAX_CONNECTIONS = 256
"""Default pool size (per client): 256 requests in flight without queueing."""
_LIMITS = httpx.Limits(
    max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
)
_USER_AGENT = "langchain-cometgemini"
_backoff = backoff
DEFAULT_LIMITS = Limits()


def _wait(attempt: int, error: GeminiAPIError | None) -> float:
    # ``_backoff`` is looked up on each retry, so a test can record the waits.
    return _backoff(attempt, error)


class GeminiHTTP:
    """Sends requests to ``{base_url}/v1beta/models/{model}:{method}``.

    Clients are created lazily, once, and reused for connection pooling; an
    async client is bound to the event loop it was made on, so each loop gets
    its own (``asyncio.run`` called twice, or one loop per thread; see
    ``_pools``). Pools of ours are closed by :meth:`close` / :meth:`aclose`,
    with their loop, or when this object is garbage-collected.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | str | None,
        timeout: Seconds,
        max_retries: int,
        default_headers: Mapping[str, str] | None = None,
        client: Any = None,
        async_client: Any = None,
        settings: tuple[Any, ...] = (),
        auth_header: AuthHeader | None = None,
        allow_private_media: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        pool_limits: httpx.Limits = _LIMITS,
        transport: AsyncTransport = "auto",
    ) -> None:
        self.settings = settings  # what the owner built us from (see chat_models)
        base = base_url.rstrip("/")
        self.root = base if base.endswith("/v1beta") else f"{base}/v1beta"
        self.max_retries = max_retries
        # One number where one is needed: an httpx.Timeout's read timeout,
        # the longest wait for an answer.
        seconds = timeout.read if isinstance(timeout, httpx.Timeout) else timeout
        self.policy = RetryPolicy(max_retries, _wait, max_wait(seconds))
        self.allow_private_media = allow_private_media
        self.limits = limits
        self.media_timeout = MEDIA_TIMEOUT if seconds is None else seconds
        self.timeout: Any = (
            httpx.USE_CLIENT_DEFAULT if timeout is None else httpx.Timeout(timeout)
        )
        # The key is written into each request as it is sent (see _auth).
        self._key = ApiKey.of(api_key, auth_header, default_headers)
        self._headers = _headers(default_headers)
        self._header_list = list(self._headers.multi_items())  # the aiohttp lane
        self._urls: dict[tuple[str, str], tuple[str, httpx.URL]] = {}
        # Sent straight to the transport (see _open), so given here in full.
        self._extensions = {
            "timeout": (
                self.timeout
                if isinstance(self.timeout, httpx.Timeout)
                else _DEFAULT_TIMEOUT
            ).as_dict()
        }
        # Clients given to us (httpx's, or httpx2's behind a bridge), used
        # as given: never sent to directly, never closed by us.
        if is_httpx2_client(client) or is_httpx2_client(async_client):
            from langchain_cometgemini._httpx2 import bridged

            if is_httpx2_client(client):
                client = bridged(client, asynchronous=False)
            if is_httpx2_client(async_client):
                async_client = bridged(async_client, asynchronous=True)
        self._client: httpx.Client | None = client
        self._async_client: httpx.AsyncClient | None = async_client
        # Our own pools; closed with this object at the latest.
        self.pools = Pools(
            lambda: _own_sync(pool_limits), lambda: _own_async(pool_limits, transport)
        )
        weakref.finalize(self, self.pools.close, drive=False)

    def __repr__(self) -> str:  # never show the headers: they hold the key
        return f"GeminiHTTP(root={self.root!r})"

    def url(self, model: str, method: str) -> str:
        """Endpoint URL; ``model`` may be given as ``models/NAME`` too."""
        name = model.removeprefix("models/")
        suffix = "?alt=sse" if method == "streamGenerateContent" else ""
        return f"{self.root}/models/{name}:{method}{suffix}"

    def _request(
        self,
        model: str,
        method: str,
        body: Mapping[str, Any],
        *,
        asynchronous: bool,
        timeout: Seconds = None,
    ) -> tuple[str, dict[str, Any]]:
        """The URL (for messages) and httpx's ``url``/``content``/``headers``.

        A body sent in pieces (large inline media) declares its length, so it
        goes with ``Content-Length`` like any other, not chunked. A per-call
        ``timeout`` (seconds; ``invoke(x, timeout=5)``) goes as the request's
        timeout extension, which both send paths honour over the default.
        """
        key = (model, method)
        if key not in self._urls:
            if len(self._urls) > 64:  # many per-call model names: start over
                self._urls.clear()
            text = self.url(model, method)
            self._urls[key] = (text, httpx.URL(text))
        text, url = self._urls[key]
        content: Any = encode(body)
        headers = self._headers
        if not isinstance(content, bytes):
            headers = headers.copy()
            headers["content-length"] = str(content.length)
            content = AsyncPieces(content) if asynchronous else content
        send = {"url": url, "content": content, "headers": headers}
        if timeout is not None:
            send["extensions"] = {"timeout": httpx.Timeout(timeout).as_dict()}
        return text, send

    # -- clients ---------------------------------------------------------

    def sync_client(self) -> httpx.Client:
        """The sync client: the one given, or our pooled one (made on first use)."""
        return self._sync_pair()[0]  # type: ignore[no-any-return]

    def async_client(self) -> httpx.AsyncClient:
        """The async client: the one given, or our pool for the running loop."""
        return self._async_pair()[0]  # type: ignore[no-any-return]

    def _sync_pair(self) -> Made:
        if self._client is not None:
            return self._client, None
        return self.pools.sync()

    def _async_pair(self) -> Made:
        if self._async_client is not None:
            return self._async_client, None
        return self.pools.for_loop()

    def close(self) -> None:
        """Close our own pools (never a client given to us); reopened on use."""
        self.pools.close()

    async def aclose(self) -> None:
        """Async twin of :meth:`close`: this loop's pool is closed on return."""
        await self.pools.aclose()

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
        client, direct = self._sync_pair()
        if direct is None:
            # Never follow a redirect, whatever the client says: the key
            # would go with the request to wherever it points.
            request = self._sign(
                client.build_request("POST", **send, timeout=self.timeout)
            )
            response = client.send(request, stream=True, follow_redirects=False)
        else:
            response = direct.handle_request(self._raw(send))
            logger.debug("POST %s: HTTP %d", send["url"], response.status_code)
        try:
            yield response
        finally:
            response.close()

    @contextlib.asynccontextmanager
    async def _aopen(self, send: dict[str, Any]) -> AsyncIterator[httpx.Response]:
        """Async twin of :meth:`_open`."""
        client, direct = self._async_pair()
        if direct is None:
            request = self._sign(
                client.build_request("POST", **send, timeout=self.timeout)
            )
            response = await client.send(request, stream=True, follow_redirects=False)
        else:
            response = await direct.handle_async_request(self._raw(send))
            logger.debug("POST %s: HTTP %d", send["url"], response.status_code)
        try:
            yield response
        finally:
            await response.aclose()

    def _raw(self, send: dict[str, Any]) -> httpx.Request:
        return self._sign(
            httpx.Request("POST", **{"extensions": self._extensions, **send})
        )

    def _sign(self, request: httpx.Request) -> httpx.Request:
        """``request`` with the key written in, the last step before sending."""
        return request if self._key is None else self._key.sign(request)

    # -- the drivers of the retry policy (decisions: _retry.RetryPolicy) --

    def _attempt(self, send: dict[str, Any]) -> Any:
        """One unary attempt: the read response, or the transport error."""
        try:
            with self._open(send) as response:
                return self._read(response)
        except httpx.HTTPError as exc:
            return exc

    async def _aattempt(self, send: dict[str, Any]) -> Any:
        """Async twin of :meth:`_attempt`; our aiohttp pool reads in one step."""
        direct = self._async_pair()[1]
        if isinstance(direct, AiohttpTransport) and type(send["content"]) is bytes:
            try:
                response = await direct.post_whole(
                    send["url"],
                    [*self._header_list, *ApiKey.pairs(self._key)],
                    send["content"],
                    send.get("extensions", self._extensions)["timeout"],
                    self.limits.max_response_bytes,
                )
                logger.debug("POST %s: HTTP %d", send["url"], response.status_code)
                if isinstance(response, httpx.Response) and not response.is_closed:
                    return await self._aread(response)  # a coding left to httpx
                return response
            except httpx.HTTPError as exc:
                return exc
        try:
            async with self._aopen(send) as response:
                return await self._aread(response)
        except httpx.HTTPError as exc:
            return exc

    def _read(self, response: httpx.Response) -> Whole:
        """``response`` read whole, up to ``max_response_bytes`` decompressed:
        what the policy reads of it (as the aiohttp lane answers).
        """
        limit = self.limits.max_response_bytes
        body = b"".join(bounded(response.iter_bytes(), limit))
        return Whole(response.status_code, response.headers, body)

    async def _aread(self, response: httpx.Response) -> Whole:
        """Async twin of :meth:`_read`."""
        limit = self.limits.max_response_bytes
        chunks = [chunk async for chunk in abounded(response.aiter_bytes(), limit)]
        return Whole(response.status_code, response.headers, b"".join(chunks))

    def _begin(
        self,
        model: str,
        method: str,
        body: Mapping[str, Any],
        *,
        asynchronous: bool,
        timeout: Seconds,
        streaming: bool = False,
    ) -> tuple[str, dict[str, Any], Flow]:
        """URL, send arguments and a fresh policy flow for one call."""
        url, send = self._request(
            model, method, body, asynchronous=asynchronous, timeout=timeout
        )
        return url, send, self.policy.flow(url, streaming=streaming)

    def post(
        self, model: str, method: str, body: Body, timeout: Seconds = None
    ) -> dict[str, Any]:
        """POST ``body`` and return the JSON answer, retrying what may succeed."""
        _, send, flow = self._begin(
            model, method, body, asynchronous=False, timeout=timeout
        )
        outcome: Any = None  # what the last command produced (None: a wait)
        try:
            while True:
                command = flow.send(outcome)
                if command is SEND:
                    outcome = self._attempt(send)
                else:
                    time.sleep(command)
                    outcome = None
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def apost(
        self, model: str, method: str, body: Body, timeout: Seconds = None
    ) -> dict[str, Any]:
        """Async twin of :meth:`post`."""
        _, send, flow = self._begin(
            model, method, body, asynchronous=True, timeout=timeout
        )
        outcome: Any = None
        try:
            while True:
                command = flow.send(outcome)
                outcome = await (
                    self._aattempt(send) if command is SEND else asyncio.sleep(command)
                )
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def stream(
        self, model: str, body: Body, timeout: Seconds = None
    ) -> Iterator[dict[str, Any]]:
        """Yield each event of ``streamGenerateContent`` the moment it arrives.

        Retries happen only before the policy lets events through: once the
        caller has seen content, a failure is raised, never papered over with
        a second answer.
        """
        url, send, flow = self._begin(
            model, _STREAM, body, asynchronous=False, timeout=timeout, streaming=True
        )
        command = next(flow)
        while command is not DELIVER:
            if command is SEND:
                command = yield from self._stream_attempt(flow, send, url)
            else:
                time.sleep(command)
                command = next(flow)

    def _stream_attempt(
        self, flow: Flow, send: dict[str, Any], url: str
    ) -> Generator[dict[str, Any], None, Any]:
        """One stream attempt; returns the policy's next command.

        Yields the events if the policy lets them through.
        """
        try:
            with self._open(send) as response:
                if response.status_code != 200:  # an error answer, read whole
                    return flow.send(self._read(response))
                command = flow.send(response)
                events = _events(response, url, self.limits)
                return (yield from _deliver(flow, command, events))
        except httpx.HTTPError as exc:
            failed = exc
        return flow.send(failed)

    async def astream(self, model: str, body: Body, timeout: Seconds = None) -> Events:
        """Async twin of :meth:`stream`; cancelling it closes the response."""
        url, send, flow = self._begin(
            model, _STREAM, body, asynchronous=True, timeout=timeout, streaming=True
        )
        command = next(flow)
        while command is not DELIVER:
            if command is not SEND:
                await asyncio.sleep(command)
                command = next(flow)
                continue
            try:
                async with self._aopen(send) as response:
                    if response.status_code != 200:  # an error answer, read whole
                        command = flow.send(await self._aread(response))
                        continue
                    command = flow.send(response)
                    events = _aevents(response, url, self.limits)
                    async with contextlib.aclosing(events):
                        held: list[Any] = []
                        while command is PEEK:  # see _deliver
                            try:
                                held.append(await anext(events, None))
                            except CometGeminiError as exc:
                                held.append(exc)  # the policy decides
                            command = flow.send(held[-1])
                        if command is DELIVER:
                            for event in _present(held):
                                yield event
                            async for event in events:
                                yield event
                continue
            except httpx.HTTPError as exc:
                failed = exc
            command = flow.send(failed)

    # -- the hops of one call (decisions: _hops.Hops) --------------------

    def generate(self, model: str, hops: Hops, timeout: Seconds = None) -> Body:
        """``generateContent`` for each request ``hops`` asks for; one answer."""
        while (body := hops.next_body()) is not None:
            hops.answer(self.post(model, "generateContent", body, timeout))
        return hops.joined()

    async def agenerate(self, model: str, hops: Hops, timeout: Seconds = None) -> Body:
        """Async twin of :meth:`generate`."""
        while (body := hops.next_body()) is not None:
            hops.answer(await self.apost(model, "generateContent", body, timeout))
        return hops.joined()

    def stream_hops(
        self, model: str, hops: Hops, timeout: Seconds = None
    ) -> Iterator[dict[str, Any]]:
        """The events of every stream ``hops`` asks for, as one stream."""
        while (body := hops.next_body()) is not None:
            for event in self.stream(model, body, timeout):
                yield hops.see(event)

    async def astream_hops(
        self, model: str, hops: Hops, timeout: Seconds = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Async twin of :meth:`stream_hops`; closing it closes the response."""
        while (body := hops.next_body()) is not None:
            # astream is an async generator: closed here, not at garbage
            # collection, when the caller stops early.
            hop = self.astream(model, body, timeout)
            async with contextlib.aclosing(hop):
                async for event in hop:
                    yield hops.see(event)

    # -- media (what may be fetched: _media) ----------------------------

    def fetch(self, url: str, budget: Budget | None = None) -> tuple[bytes, str | None]:
        """Download media named by URL in a message; our key is never sent.

        Redirects are followed here, one hop at a time, each checked like the
        first URL; the body is read up to the inline limit, within
        ``media_timeout`` seconds in all.
        """
        client, deadline = self.sync_client(), time.monotonic() + self.media_timeout
        budget = budget or Budget(self.limits.max_media_bytes)
        for hops in range(MAX_REDIRECTS + 1):
            where, address = media_host(url), None
            if not self.allow_private_media:
                address = check_addresses(url, where[0], _resolve(*where))
            request = self._media_request(client, url, deadline, address)
            try:
                response = client.send(request, stream=True, follow_redirects=False)
                with contextlib.closing(response):
                    if response.is_redirect:
                        url = next_hop(url, response.headers.get("location"), hops)
                        continue
                    check_media(url, response, budget)
                    body = Collector(url, deadline, budget)
                    for chunk in response.iter_bytes():
                        body.add(chunk)
                    return body.body(), mime_of(response)
            except httpx.HTTPError as exc:
                raise media_error(url, exc) from None
        raise AssertionError("unreachable")  # next_hop stops the loop

    async def afetch(
        self, url: str, budget: Budget | None = None
    ) -> tuple[bytes, str | None]:
        """Async twin of :meth:`fetch`; does not block the event loop."""
        client = self.async_client()
        deadline = time.monotonic() + self.media_timeout
        budget = budget or Budget(self.limits.max_media_bytes)
        for hops in range(MAX_REDIRECTS + 1):
            where, address = media_host(url), None
            if not self.allow_private_media:
                address = check_addresses(url, where[0], await _aresolve(*where))
            request = self._media_request(client, url, deadline, address)
            try:
                response = await client.send(
                    request, stream=True, follow_redirects=False
                )
                try:
                    if response.is_redirect:
                        url = next_hop(url, response.headers.get("location"), hops)
                        continue
                    check_media(url, response, budget)
                    body = Collector(url, deadline, budget)
                    async for chunk in response.aiter_bytes():
                        body.add(chunk)
                    return body.body(), mime_of(response)
                finally:
                    await response.aclose()
            except httpx.HTTPError as exc:
                raise media_error(url, exc) from None
        raise AssertionError("unreachable")  # next_hop stops the loop

    def _media_request(
        self,
        client: httpx.Client | httpx.AsyncClient,
        url: str,
        deadline: float,
        address: str | None,
    ) -> httpx.Request:
        """The GET for one hop; to ``address`` (the one checked) when given."""
        left = max(0.001, deadline - time.monotonic())
        target, headers, extensions = pinned(url, address)
        return client.build_request(
            "GET",
            target,
            headers=headers,
            extensions=extensions,
            timeout=httpx.Timeout(left),
        )


def _headers(default_headers: Mapping[str, str] | None) -> httpx.Headers:
    """Every request's headers but the key, prepared once.

    httpx re-normalizes a dict of headers on every request (~50 us, a sizeable
    part of its own cost). The key is not among them: it is written into each
    request as it is sent (:class:`~langchain_cometgemini._auth.ApiKey`).
    """
    headers = {
        "accept": "*/*",
        "accept-encoding": "gzip, deflate",
        "content-type": "application/json",
        "user-agent": _USER_AGENT,
    }
    headers.update(default_headers or {})
    return httpx.Headers(headers)


def _passed(events: list[Any], response: httpx.Response) -> Iterator[Any]:
    """Decoded events in order, up to an error object (a relay's error event),
    which is raised where it stands: the events before it count as shown.
    """
    for event in events:
        if type(event) is dict and event.get("error"):
            raise _error_event(event, response)
        yield event


def _events(
    response: httpx.Response, url: str, limits: Limits
) -> Iterator[dict[str, Any]]:
    """The events of a 200 stream, as they arrive (within ``limits``)."""
    decoder = SSEDecoder(limits.max_event_bytes)
    try:
        for chunk in bounded(response.iter_bytes(), limits.max_response_bytes):
            yield from _passed(decoder.feed(chunk), response)
    except httpx.HTTPError as exc:
        raise _stream_broken(exc, url) from None
    yield from _passed(decoder.close(), response)


async def _aevents(
    response: httpx.Response, url: str, limits: Limits
) -> AsyncGenerator[Any, None]:
    """Async twin of :func:`_events`."""
    decoder = SSEDecoder(limits.max_event_bytes)
    chunks = abounded(response.aiter_bytes(), limits.max_response_bytes)
    try:
        async for chunk in chunks:
            for event in _passed(decoder.feed(chunk), response):
                yield event
    except httpx.HTTPError as exc:
        raise _stream_broken(exc, url) from None
    for event in _passed(decoder.close(), response):
        yield event


def _deliver(
    flow: Flow, command: Any, events: Iterator[dict[str, Any]]
) -> Generator[dict[str, Any], None, Any]:
    """Hand a stream's events to the caller as the policy says; its next command.

    While the policy peeks (``PEEK``), events are held back and shown to it
    one by one (``None``: the stream ended); on ``DELIVER`` the held events
    and every later one go to the caller. Any other command (a wait: the
    answer is refused before the caller saw it) is returned to the driver.
    """
    held: list[Any] = []
    while command is PEEK:
        try:
            held.append(next(events, None))
        except CometGeminiError as exc:  # an error event, a broken start: the
            held.append(exc)  # policy retries it or raises it
        command = flow.send(held[-1])
    if command is DELIVER:
        yield from _present(held)
        yield from events
    return command


def _present(held: list[Any]) -> list[dict[str, Any]]:
    return [event for event in held if event is not None]


def _own_sync(limits: httpx.Limits) -> Made:
    """Our sync client, and the transport requests go to directly (no proxy)."""
    if _env_proxies():
        return httpx.Client(timeout=_DEFAULT_TIMEOUT, limits=limits), None
    from langchain_cometgemini._shards import ShardedPool

    direct = ShardedPool(limits)
    return httpx.Client(timeout=_DEFAULT_TIMEOUT, transport=direct), direct


def _own_async(limits: httpx.Limits, transport: AsyncTransport) -> Made:
    """Async twin of :func:`_own_sync`, on the transport ``transport`` names."""
    if _env_proxies():
        return httpx.AsyncClient(timeout=_DEFAULT_TIMEOUT, limits=limits), None
    direct = async_transport(transport, limits)
    return httpx.AsyncClient(timeout=_DEFAULT_TIMEOUT, transport=direct), direct


def _env_proxies() -> bool:
    """Whether proxies are configured, which only httpx's client applies."""
    return bool(urllib.request.getproxies())


def _error_event(event: dict[str, Any], response: httpx.Response) -> Exception:
    """The exception for a JSON error object sent inside a 200 stream."""
    return error_from_payload(event, response.status_code, response.headers)


def _stream_broken(exc: httpx.HTTPError, url: str) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        return GeminiTimeoutError(f"Stream from {url} stalled ({type(exc).__name__})")
    return GeminiStreamError(
        f"The connection broke in the middle of the stream from {url}: "
        f"{type(exc).__name__}: {exc}. The answer is incomplete."
    )


def _resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (what a connection may reach)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError(f"Could not resolve media host {host}: {exc}") from None
    return [str(info[4][0]) for info in found]


async def _aresolve(host: str, port: int) -> list[str]:
    """Async twin of :func:`_resolve` (the loop's resolver, in a thread)."""
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError(f"Could not resolve media host {host}: {exc}") from None
    return [str(info[4][0]) for info in found]
