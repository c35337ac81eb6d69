"""The aiohttp transport's contract with httpx: what it hands aiohttp, and
which httpx errors aiohttp's failures become (the retry policy reads those).

The request is caught at ``ClientSession.request``; sending over sockets is
tested through the model in test_client.py, test_relay.py and test_faults.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from langchain_cometgemini._media_guard import pinned

aiohttp = pytest.importorskip("aiohttp")

from langchain_cometgemini._transport import (  # noqa: E402 - needs aiohttp
    AiohttpTransport,
    _httpx_error,
)


class _StopError(Exception):
    pass


class _Session:
    """Records what ``request`` was given, then stops the send."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    async def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        self.seen = {"method": method, "url": str(url), **kwargs}
        raise _StopError


async def _sent(request: httpx.Request) -> dict[str, Any]:
    transport = AiohttpTransport(httpx.Limits())
    session = transport._session = _Session()
    with pytest.raises(_StopError):
        await transport.handle_async_request(request)
    return session.seen


async def test_a_pinned_download_checks_tls_against_the_host_name() -> None:
    url, headers, extensions = pinned("https://media.example/cat.png", "93.184.216.34")
    seen = await _sent(
        httpx.Request("GET", url, headers=headers, extensions=extensions)
    )
    assert seen["url"] == "https://93.184.216.34/cat.png"  # the checked address
    assert seen["server_hostname"] == "media.example"
    assert ("host", "media.example") in seen["headers"]


async def test_no_redirect_and_the_timeout_extension_as_given() -> None:
    timeout = httpx.Timeout(7.0, connect=2.0, pool=3.0)
    request = httpx.Request(
        "POST",
        "https://api.cometapi.test/v1beta/models/m:generateContent",
        content=b"{}",
        headers={"x-goog-api-key": "k"},
        extensions={"timeout": timeout.as_dict()},
    )
    seen = await _sent(request)
    assert seen["allow_redirects"] is False
    assert "server_hostname" not in seen
    assert seen["data"] == b"{}"
    assert ("x-goog-api-key", "k") in seen["headers"]
    limits = seen["timeout"]
    assert (limits.total, limits.sock_connect, limits.sock_read, limits.connect) == (
        None,
        2.0,
        7.0,
        3.0,
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("slow"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("slow"), httpx.ReadTimeout),
        (asyncio.TimeoutError(), httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("cut"), httpx.RemoteProtocolError),
        (ConnectionResetError("reset"), httpx.ReadError),
    ],
)
def test_aiohttp_errors_become_httpx_errors(
    error: BaseException, expected: type[httpx.HTTPError]
) -> None:
    assert type(_httpx_error(error)) is expected


def test_other_errors_are_left_alone() -> None:
    assert _httpx_error(ValueError("a bug of ours")) is None
