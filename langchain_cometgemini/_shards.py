"""httpx's connection pool, split into small pools (sync and async).

httpcore (httpx 0.x's pool) assigns requests to connections by scanning every
connection and every queued request of its pool each time a request enters
or leaves it. One pool of 256 connections thus costs several times more CPU
per request with 256 requests in flight than with 1 (measured, one core:
0.5 ms at 1, 4.6-6.8 ms at 256 async; sync, 0.33 ms at 1 and 1.2 ms at 64
threads). Pools of :data:`SHARD` connections keep each scan short: 0.6-0.7 ms
at 256 async, 0.29 ms at 64 threads. A request goes to the first small pool
with a free connection (so sequential calls still share one connection),
else to the least busy; small pools are made as they are needed, and
``max_connections`` / ``max_keepalive_connections`` are shared out between
them.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

__all__ = ["SHARD", "AsyncShardedPool", "ShardedPool"]

SHARD = 4
"""Connections per small pool (with 4, the cost per request at 256 in flight
is within 1.2x of the cost at 1; with 8, 1.6x; with one pool of 256, 7x)."""


class _Shards:
    """Which small pool takes the next request, and how busy each one is."""

    def __init__(self, limits: httpx.Limits, make: Callable[[httpx.Limits], Any]):
        total, keep = limits.max_connections, limits.max_keepalive_connections
        self.per = SHARD if total is None else max(1, min(SHARD, total))
        self.count = None if total is None else -(-total // self.per)
        per_keep = None if keep is None else max(1, -(-keep // (self.count or 1)))
        self.limits = httpx.Limits(
            max_connections=self.per,
            max_keepalive_connections=(
                self.per if per_keep is None else min(self.per, per_keep)
            ),
            keepalive_expiry=limits.keepalive_expiry,
        )
        self.make = make
        self.pools: list[Any] = []
        self.busy: list[int] = []  # requests open per pool

    def take(self) -> int:
        """The pool for the next request, counted busy until ``give`` is called."""
        busy = self.busy
        index = next((i for i, n in enumerate(busy) if n < self.per), None)
        if index is None:
            if self.count is None or len(self.pools) < self.count:
                self.pools.append(self.make(self.limits))
                busy.append(0)
                index = len(busy) - 1
            else:
                index = busy.index(min(busy))
        busy[index] += 1
        return index

    def give(self, index: int) -> None:
        if index < len(self.busy):  # not after a close
            self.busy[index] -= 1

    def drop(self) -> list[Any]:
        pools, self.pools, self.busy = self.pools, [], []
        return pools


class _Once:
    """Calls ``release`` the first time it is called, never again."""

    __slots__ = ("_release",)

    def __init__(self, release: Callable[[], None]) -> None:
        self._release: Callable[[], None] | None = release

    def __call__(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


class _Released(httpx.SyncByteStream):
    def __init__(self, inner: Any, release: _Once) -> None:
        self._inner, self._release = inner, release

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._release()


class _AsyncReleased(httpx.AsyncByteStream):
    def __init__(self, inner: Any, release: _Once) -> None:
        self._inner, self._release = inner, release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._release()


class ShardedPool(httpx.BaseTransport):
    """httpx's sync pool as pools of :data:`SHARD` connections (thread-safe)."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._shards = _Shards(limits, lambda small: httpx.HTTPTransport(limits=small))
        self._lock = threading.Lock()

    def _give(self, index: int) -> None:
        with self._lock:
            self._shards.give(index)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            index = self._shards.take()
            pool = self._shards.pools[index]
        release = _Once(lambda: self._give(index))
        try:
            response: httpx.Response = pool.handle_request(request)
        except BaseException:
            release()
            raise
        if response.is_closed:  # answered in full already (a mock's response)
            release()
        else:
            response.stream = _Released(response.stream, release)
        return response

    def close(self) -> None:
        with self._lock:
            pools = self._shards.drop()
        for pool in pools:
            pool.close()


class AsyncShardedPool(httpx.AsyncBaseTransport):
    """httpx's async pool as pools of :data:`SHARD` connections (one loop)."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._shards = _Shards(
            limits, lambda small: httpx.AsyncHTTPTransport(limits=small)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shards = self._shards
        index = shards.take()
        release = _Once(lambda: shards.give(index))
        try:
            response: httpx.Response = await shards.pools[index].handle_async_request(
                request
            )
        except BaseException:
            release()
            raise
        if response.is_closed:
            release()
        else:
            response.stream = _AsyncReleased(response.stream, release)
        return response

    async def aclose(self) -> None:
        for pool in self._shards.drop():
            await pool.aclose()
