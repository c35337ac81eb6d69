"""The loopback Gemini server the bench talks to, in a process of its own.

A stdlib asyncio HTTP/1.1 keep-alive server on 127.0.0.1: ``:generateContent``
gets the recorded unary answer, ``:streamGenerateContent`` the three recorded
events (``\\r\\n\\r\\n`` framing), or for model ``latency`` LATENCY_EVENTS
events LATENCY_GAP seconds apart whose text is the server's send time. Its CPU
never counts as the client's, since it runs in its own process.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from typing import Any

from common import STREAM, UNARY

UNARY_BODY = json.dumps(UNARY["response_json"]).encode()
STREAM_EVENTS = [
    e + b"\r\n\r\n" for e in STREAM["response_sse"].encode().split(b"\r\n\r\n") if e
]
LATENCY_EVENTS = 12
LATENCY_GAP = 0.05
NOT_FOUND = b'{"error":{"code":404,"message":"no such method"}}'


def _head(status: int, ctype: str, length: int | None) -> bytes:
    size = (
        b"transfer-encoding: chunked"
        if length is None
        else b"content-length: %d" % length
    )
    return b"HTTP/1.1 %d OK\r\ncontent-type: %s\r\n%s\r\n\r\n" % (
        status,
        ctype.encode(),
        size,
    )


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _latency_event(last: bool) -> bytes:
    """An event whose text is the server's send time in ns (``time.time_ns``)."""
    candidate: dict[str, Any] = {
        "content": {"parts": [{"text": str(time.time_ns())}], "role": "model"},
        "index": 0,
    }
    data: dict[str, Any] = {"candidates": [candidate], "modelVersion": "latency"}
    if last:
        candidate["finishReason"] = "STOP"
        data["usageMetadata"] = {
            "promptTokenCount": 1,
            "candidatesTokenCount": LATENCY_EVENTS,
            "totalTokenCount": LATENCY_EVENTS + 1,
        }
    return b"data: " + json.dumps(data).encode() + b"\r\n\r\n"


async def _read_request(reader: asyncio.StreamReader) -> str | None:
    """The target of the next request, its body read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while length:
        got = await reader.read(min(length, 1 << 20))
        if not got:
            return None
        length -= len(got)
    return lines[0].split(b" ")[1].decode()


async def _stream(writer: asyncio.StreamWriter, model: str) -> None:
    writer.write(_head(200, "text/event-stream", None))
    if model == "latency":
        for i in range(LATENCY_EVENTS):
            if i:
                await asyncio.sleep(LATENCY_GAP)
            writer.write(_chunk(_latency_event(i == LATENCY_EVENTS - 1)))
            await writer.drain()
    else:
        writer.write(b"".join(_chunk(event) for event in STREAM_EVENTS))
    writer.write(b"0\r\n\r\n")


async def _connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, accepted: Any
) -> None:
    """Answer requests on one connection until the client closes it."""
    with accepted.get_lock():
        accepted.value += 1
    try:
        while (target := await _read_request(reader)) is not None:
            model, _, rpc = target.split("?")[0].rsplit("/", 1)[-1].partition(":")
            if target == "/accepted":  # the bench's own probe, not Gemini's API
                count = b"%d" % accepted.value
                writer.write(_head(200, "text/plain", len(count)) + count)
            elif rpc == "generateContent":
                writer.write(_head(200, "application/json", len(UNARY_BODY)))
                writer.write(UNARY_BODY)
            elif rpc == "streamGenerateContent":
                await _stream(writer, model)
            else:
                writer.write(_head(404, "application/json", len(NOT_FOUND)))
                writer.write(NOT_FOUND)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(port: Any, accepted: Any) -> None:
    """Process entry point: serve on a free loopback port until terminated."""

    async def main() -> None:
        server = await asyncio.start_server(
            lambda r, w: _connection(r, w, accepted), "127.0.0.1", 0, backlog=1024
        )
        port.value = server.sockets[0].getsockname()[1]
        await server.serve_forever()

    asyncio.run(main())


class BenchServer:
    """The server process, and the count of connections it has accepted."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._port = ctx.Value("i", 0)
        self._accepted = ctx.Value("q", 0)
        self._process = ctx.Process(
            target=_serve, args=(self._port, self._accepted), daemon=True
        )
        self._process.start()
        deadline = time.monotonic() + 30
        while not self._port.value:
            if time.monotonic() > deadline or not self._process.is_alive():
                raise RuntimeError("bench server did not start")
            time.sleep(0.02)
        self.port: int = self._port.value

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(5)


def accepted(port: int) -> int:
    """Connections the bench server has accepted so far (one more for this ask)."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accepted") as answer:
        return int(answer.read())
