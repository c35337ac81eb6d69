"""A few lines of raw HTTP/1.1 for tests whose server must control each byte."""

from __future__ import annotations

import socket
import threading


def read_request(conn: socket.socket) -> tuple[bytes, bytes]:
    """Read one request: (head, body), the body as long as its
    ``Content-Length`` (none: empty). ``ConnectionError`` when the client
    hangs up before the whole request came.
    """
    data = b""
    while b"\r\n\r\n" not in data:
        data += _recv(conn)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        body += _recv(conn)
    return head, body


def _recv(conn: socket.socket) -> bytes:
    piece = conn.recv(65536)
    if not piece:
        raise ConnectionError("the client hung up in the middle of a request")
    return piece


def free_port() -> int:
    """A loopback port nothing listens on: connections to it are refused
    (until something binds it, as a server told to use it will)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CannedServer:
    """Answers every POST with ``status``, ``body`` and ``coding`` (settable
    between requests, one connection each); notes each request's head."""

    def __init__(self, body: bytes, coding: str = "identity") -> None:
        self.status, self.body, self.coding = 200, body, coding
        self.heads: list[bytes] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            with conn:
                head, _ = read_request(conn)
                self.heads.append(head.lower())
                conn.sendall(
                    b"HTTP/1.1 %d X\r\ncontent-type: application/json\r\n"
                    b"content-encoding: %s\r\nconnection: close\r\n"
                    b"content-length: %d\r\n\r\n%s"
                    % (self.status, self.coding.encode(), len(self.body), self.body)
                )

    def close(self) -> None:
        self._socket.close()
