"""httpx's pool in small pools (``_shards``): where requests go, and back.

The small pools are ``httpx.MockTransport``s here, so each request is seen
with the pool it went to; a request counts as open until its response is
closed, and a failed send frees its place too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from langchain_cometgemini._shards import SHARD, AsyncShardedPool, ShardedPool

URL = "https://api.cometapi.test/v1beta/models/m:generateContent"


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body sent as a stream (not read at once), as a real pool's is."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self.data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, httpx.Limits]]:
    """Each small pool made: its number and its limits (it answers with it)."""
    pools: list[tuple[int, httpx.Limits]] = []

    def make(limits: httpx.Limits) -> httpx.MockTransport:
        number = len(pools)
        pools.append((number, limits))

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("fail"):
                raise httpx.ConnectError("refused")
            return httpx.Response(200, stream=_Body(str(number).encode()))

        return httpx.MockTransport(answer)

    monkeypatch.setattr(httpx, "HTTPTransport", lambda limits: make(limits))
    monkeypatch.setattr(httpx, "AsyncHTTPTransport", lambda limits: make(limits))
    return pools


def _send(pool: ShardedPool, url: str = URL) -> httpx.Response:
    return pool.handle_request(httpx.Request("POST", url))


def test_sequential_requests_share_the_first_small_pool(made: list[Any]) -> None:
    pool = ShardedPool(httpx.Limits(max_connections=256))
    for _ in range(10):
        response = _send(pool)
        assert response.read() == b"0"
        response.close()
    assert len(made) == 1
    assert made[0][1].max_connections == SHARD


def test_open_requests_fill_small_pools_in_turn_and_free_them(
    made: list[Any],
) -> None:
    pool = ShardedPool(httpx.Limits(max_connections=8, max_keepalive_connections=8))
    held = [_send(pool) for _ in range(9)]
    got = [r.read().decode() for r in held]
    # Two small pools of four: the ninth request goes to the least busy.
    assert got == ["0"] * 4 + ["1"] * 4 + ["0"]
    assert len(made) == 2
    for response in held:
        response.close()
        response.close()  # a second close frees nothing twice
    assert pool._shards.busy == [0, 0]
    assert _send(pool).read() == b"0"  # the first pool again


def test_a_failed_send_frees_its_place(made: list[Any]) -> None:
    pool = ShardedPool(httpx.Limits(max_connections=4))
    for _ in range(6):
        with pytest.raises(httpx.ConnectError):
            _send(pool, URL + "fail")
    assert pool._shards.busy == [0]


def test_keepalive_is_shared_out(made: list[Any]) -> None:
    pool = ShardedPool(httpx.Limits(max_connections=16, max_keepalive_connections=4))
    held = [_send(pool) for _ in range(16)]
    assert [limits.max_keepalive_connections for _, limits in made] == [1] * 4
    for response in held:
        response.close()
    pool.close()
    assert pool._shards.pools == []


async def test_async_pool_fills_in_turn_and_frees(made: list[Any]) -> None:
    pool = AsyncShardedPool(httpx.Limits(max_connections=256))

    async def send(url: str = URL) -> httpx.Response:
        return await pool.handle_async_request(httpx.Request("POST", url))

    held = await asyncio.gather(*(send() for _ in range(2 * SHARD + 1)))
    assert [(await r.aread()).decode() for r in held] == (
        ["0"] * SHARD + ["1"] * SHARD + ["2"]
    )
    for response in held:
        await response.aclose()
    with pytest.raises(httpx.ConnectError):
        await send(URL + "fail")
    assert pool._shards.busy == [0, 0, 0]
    await pool.aclose()
