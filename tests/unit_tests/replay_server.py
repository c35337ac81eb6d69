"""A loopback HTTP/1.1 server that answers with an httpx handler's responses.

Client tests script their answers as ``httpx.MockTransport`` handlers; a
transport that does not speak httpx (aiohttp's) needs real sockets. This
server turns each request it receives into the ``httpx.Request`` the handler
would have seen at ``origin`` (so URL assertions hold), and writes back the
``httpx.Response`` the handler returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
_DROP = {"content-length", "transfer-encoding", "connection", "content-encoding"}


class ReplayServer:
    """Serves ``handler`` on 127.0.0.1 until :meth:`close`; ``url`` is its root."""

    def __init__(self, handler: Handler, origin: str) -> None:
        outer = self

        class Answer(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(size) if size else b""
                request = httpx.Request(
                    self.command,
                    origin + self.path,
                    headers=[(k, v) for k, v in self.headers.items() if k != "Host"],
                    content=body,
                )
                response = outer.handler(request)
                content = response.read()
                self.send_response(response.status_code)
                for name, value in response.headers.multi_items():
                    if name not in _DROP:
                        self.send_header(name, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _answer  # noqa: N815 - http.server names

        self.handler = handler
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
