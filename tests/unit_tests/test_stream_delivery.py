"""Streamed events reach the caller as they arrive, not when the answer ends.

A lockstep server on 127.0.0.1 sends one event and then waits until the test
has received that event's chunk before it sends the next. A client that
buffered the response (whole, or by more than one event) would never get the
chunk it waits for: the server gives up after 10 s and the test fails.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from langchain_cometgemini import ChatCometGemini
from tests.raw_http import read_request

PIECES = ["one ", "two ", "three"]


def _event(text: str, last: bool) -> bytes:
    candidate: dict[str, object] = {
        "content": {"role": "model", "parts": [{"text": text}]}
    }
    if last:
        candidate["finishReason"] = "STOP"
    data = b"data: " + json.dumps({"candidates": [candidate]}).encode() + b"\r\n\r\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


class LockstepServer:
    """Serves one streamed answer, event ``i + 1`` only once ``seen[i]`` is set."""

    def __init__(self) -> None:
        self.seen = [threading.Event() for _ in PIECES]
        self.waited_in_vain = False
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._socket.accept()
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            read_request(conn)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            for i, piece in enumerate(PIECES):
                conn.sendall(_event(piece, last=i == len(PIECES) - 1))
                if not self.seen[i].wait(10):
                    self.waited_in_vain = True
            conn.sendall(b"0\r\n\r\n")

    def close(self) -> None:
        self._thread.join(15)
        self._socket.close()


@pytest.fixture
def server() -> Iterator[LockstepServer]:
    lockstep = LockstepServer()
    yield lockstep
    lockstep.close()


def test_stream_yields_each_event_before_the_next_is_sent(
    server: LockstepServer,
) -> None:
    llm = ChatCometGemini(api_key="k", base_url=server.url, max_retries=0)
    got = []
    for chunk in llm.stream("count"):
        if chunk.text:
            got.append(chunk.text)
            server.seen[len(got) - 1].set()
    assert got == PIECES
    assert not server.waited_in_vain


async def test_astream_yields_each_event_before_the_next_is_sent(
    server: LockstepServer,
) -> None:
    llm = ChatCometGemini(api_key="k", base_url=server.url, max_retries=0)
    got = []
    async for chunk in llm.astream("count"):
        if chunk.text:
            got.append(chunk.text)
            server.seen[len(got) - 1].set()
    assert got == PIECES
    assert not server.waited_in_vain
