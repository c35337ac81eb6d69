"""The aiohttp lane (``AiohttpTransport.post_whole``): unary answers read in one
step, decoded by ``_limits.inflate``, must come out exactly as httpx's own
path gives them: every coding, every bound, every error.

Each answer is served by a loopback server and read by two models: one on the
aiohttp pool (the lane) and one on httpx's pool (``async_transport="httpx"``),
which decodes with httpx's decoders; their messages or errors must agree.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._errors import (
    CometGeminiError,
    GeminiAPIError,
    GeminiResponseError,
)
from langchain_cometgemini._limits import inflate
from tests.raw_http import CannedServer

pytest.importorskip("aiohttp")

ANSWER = json.dumps(
    {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": "squeezed " * 50}]},
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 9},
    }
).encode()


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


CODINGS = {
    "identity": lambda b: b,
    "gzip": gzip.compress,
    "deflate": zlib.compress,  # with its zlib header, as the RFC says
    "raw-deflate": _raw_deflate,  # without: what some servers send
}


@pytest.fixture
def server() -> Iterator[CannedServer]:
    serving = CannedServer(ANSWER)
    yield serving
    serving.close()


def _serve(server: CannedServer, coding: str, body: bytes) -> None:
    """Serve ``body`` in ``coding`` (raw deflate goes out as ``deflate``)."""
    server.coding, server.body = coding.removeprefix("raw-"), CODINGS[coding](body)


async def _both(server: CannedServer, **settings: Any) -> list[Any]:
    """What the lane and httpx's pool make of the served answer."""
    got = []
    for transport in ("aiohttp", "httpx"):
        async with ChatCometGemini(
            api_key="k",
            base_url=server.url,
            async_transport=transport,
            max_retries=0,
            **settings,
        ) as llm:
            try:
                message = await llm.ainvoke("hi")
            except CometGeminiError as exc:
                got.append((type(exc), str(exc)))
            else:
                got.append((message.text, message.usage_metadata))
    return got


@pytest.mark.usefixtures("no_proxy_env")
@pytest.mark.parametrize("coding", list(CODINGS))
async def test_every_coding_reads_as_httpx_reads_it(
    server: CannedServer, coding: str
) -> None:
    _serve(server, coding, ANSWER)
    lane, httpx_pool = await _both(server)
    assert lane == httpx_pool
    assert lane[0] == "squeezed " * 50


@pytest.mark.usefixtures("no_proxy_env")
async def test_a_coding_we_did_not_ask_for_is_left_to_httpx(
    server: CannedServer,
) -> None:
    """httpx passes a coding it does not know through as it came."""
    server.coding = "x-unknown"
    lane, httpx_pool = await _both(server)
    assert lane == httpx_pool
    assert lane[0] == "squeezed " * 50


@pytest.mark.usefixtures("no_proxy_env")
@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_a_body_that_is_not_its_coding_fails_as_on_httpx(
    server: CannedServer, coding: str
) -> None:
    server.coding, server.body = coding, b"this is not compressed at all"
    lane, httpx_pool = await _both(server)
    assert lane[0] is httpx_pool[0]
    assert "Could not complete the request" in lane[1]
    assert "DecodingError" in lane[1]


@pytest.mark.usefixtures("no_proxy_env")
@pytest.mark.parametrize("coding", list(CODINGS))
async def test_max_response_bytes_holds_for_every_coding(
    server: CannedServer, coding: str
) -> None:
    _serve(server, coding, ANSWER)
    lane, httpx_pool = await _both(server, max_response_bytes=len(ANSWER) - 1)
    assert lane == httpx_pool
    assert lane[0] is GeminiResponseError
    assert "max_response_bytes" in lane[1]


@pytest.mark.usefixtures("no_proxy_env")
async def test_the_limit_counts_what_a_compressed_body_holds(
    server: CannedServer,
) -> None:
    """Stored (level 0) gzip is a little larger than what it holds, as
    incompressible data is: an answer of exactly ``max_response_bytes``
    passes, as on httpx's path."""
    noise = os.urandom(3000).hex()
    answer = json.dumps(
        {"candidates": [{"content": {"role": "model", "parts": [{"text": noise}]}}]}
    ).encode()
    server.coding, server.body = "gzip", gzip.compress(answer, compresslevel=0)
    assert len(server.body) > len(answer)
    lane, httpx_pool = await _both(server, max_response_bytes=len(answer))
    assert lane == httpx_pool
    assert lane[0] == noise


@pytest.mark.usefixtures("no_proxy_env")
@pytest.mark.parametrize("coding", ["identity", "gzip"])
async def test_an_error_answer_names_the_servers_message(
    server: CannedServer, coding: str
) -> None:
    error = {"error": {"code": 429, "message": "slow down", "status": "X"}}
    server.status = 429
    _serve(server, coding, json.dumps(error).encode())
    lane, httpx_pool = await _both(server)
    assert lane == httpx_pool
    assert issubclass(lane[0], GeminiAPIError)
    assert "slow down" in lane[1]


@pytest.mark.usefixtures("no_proxy_env")
async def test_the_lane_sends_what_the_httpx_path_sends(server: CannedServer) -> None:
    await _both(server, default_headers={"x-team": "blue"})
    lane, httpx_pool = (_header_names(head) for head in server.heads)
    assert lane == httpx_pool
    assert {b"x-goog-api-key", b"x-team", b"content-length", b"host"} <= lane
    lines = [head.split(b"\r\n")[0] for head in server.heads]
    assert lines[0] == lines[1] == b"post " + _PATH + b" http/1.1"
    for head in server.heads:
        assert b"x-goog-api-key: k" in head.split(b"\r\n")


_PATH = b"/v1beta/models/gemini-2.5-flash:generatecontent"


def _header_names(head: bytes) -> set[bytes]:
    return {line.split(b":")[0] for line in head.split(b"\r\n")[1:] if b":" in line}


# -- inflate, alone ------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
def test_inflate_decodes_as_httpx_does(coding: str) -> None:
    data = CODINGS[coding](ANSWER)
    wire = coding.removeprefix("raw-")
    expected = httpx.Response(
        200, headers={"content-encoding": wire}, content=data
    ).content
    assert inflate(data, wire, 10**6) == expected == ANSWER


def test_inflate_stops_at_the_limit_not_after() -> None:
    bomb = gzip.compress(bytes(50_000_000))
    with pytest.raises(GeminiResponseError, match="max_response_bytes"):
        inflate(bomb, "gzip", 1_000_000)
    assert inflate(bomb, "gzip", 50_000_000) == bytes(50_000_000)


def test_inflate_leaves_other_codings_alone() -> None:
    assert inflate(b"abc", "br", 10) is None
    assert inflate(b"abc", "gzip, gzip", 10) is None
