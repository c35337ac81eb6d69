"""Stream event arrival -> the caller, on each model's default send path.

The server sends LATENCY_EVENTS events LATENCY_GAP apart, each holding its
send time. ``httpx.HTTPTransport.handle_request`` is wrapped, for the whole
child process, so the response body is handed up chunk by chunk (after the
socket read and HTTP/1.1 de-chunking, the same for every client) and each
event's bytes are noted with ``perf_counter_ns`` and ``thread_time_ns`` as
they arrive, before any client code has seen them. The models are built as a
user builds them: ChatCometGemini sends through the transport of its own pool,
the floor through its ``httpx.Client``'s, and neither is given a client.
The caller takes both clocks again when the chunk comes out of ``stream()``.
The end-to-end figure (server send time -> caller) adds the server's
scheduling and the loopback; it is the only one when a model's transport
cannot be stamped.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from typing import Any

from common import make, messages, per_impl, text
from report import Row

STREAMS = 10
_STAMP = re.compile(rb'"text": ?"([0-9]+)"')


def _stamp_transports() -> dict[str, tuple[int, int]]:
    """Wrap every ``httpx.HTTPTransport``; the arrival marks, by event text."""
    import httpx

    arrived: dict[str, tuple[int, int]] = {}
    handle = httpx.HTTPTransport.handle_request

    class Stamped(httpx.SyncByteStream):
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self.inner:
                now = time.perf_counter_ns(), time.thread_time_ns()
                for match in _STAMP.finditer(chunk):
                    arrived.setdefault(match.group(1).decode(), now)
                yield chunk

        def close(self) -> None:
            self.inner.close()

    def stamped(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        response = handle(self, request)
        response.stream = Stamped(response.stream)
        return response

    httpx.HTTPTransport.handle_request = stamped  # type: ignore[method-assign]
    return arrived


def run_child(impl: str, port: str) -> dict[str, Any]:
    """In the child: per event, arrival -> caller (wall, CPU) and end to end."""
    arrived = _stamp_transports()
    llm = make(impl, int(port), model="latency")
    prompt = messages("stream")
    delays, cpu, end_to_end = [], [], []
    for _ in range(STREAMS):
        for chunk in llm.stream(prompt):
            now = time.perf_counter_ns(), time.thread_time_ns()
            wall = time.time_ns()
            sent = text(chunk).strip()
            if sent.isdigit():
                end_to_end.append((wall - int(sent)) / 1e6)
                if sent in arrived:
                    delays.append((now[0] - arrived[sent][0]) / 1e6)
                    cpu.append((now[1] - arrived[sent][1]) / 1e6)
    if impl != "genai" and len(delays) != len(end_to_end):
        # The default path no longer runs through httpx.HTTPTransport: say so
        # rather than report a figure for fewer events.
        raise RuntimeError(f"{impl}: {len(delays)}/{len(end_to_end)} events stamped")
    result: dict[str, Any] = {
        "events": len(end_to_end),
        "end_to_end_median_ms": statistics.median(end_to_end),
        "end_to_end_max_ms": max(end_to_end),
    }
    if delays:
        result.update(
            median_ms=statistics.median(delays),
            p99_ms=statistics.quantiles(delays, n=100, method="inclusive")[-1],
            max_ms=max(delays),
            cpu_max_ms=max(cpu),
            stamped=len(delays),
        )
    return result


def measure(port: str, impls: list[str]) -> dict[str, Any]:
    return per_impl("latency", impls, port)


STATS = (
    ("median_ms", "latency.median", "arrival -> caller, median"),
    ("cpu_max_ms", "latency.cpu_max", "arrival -> caller, max CPU time"),
    ("p99_ms", "latency.p99", "arrival -> caller, 99th percentile"),
    ("max_ms", "latency.max", "arrival -> caller, max"),
    ("end_to_end_median_ms", "latency.e2e_median", "server send -> caller, median"),
    ("end_to_end_max_ms", "latency.e2e_max", "server send -> caller, max"),
)


def rows(lat: dict[str, Any]) -> list[Row]:
    return [
        Row(
            metric,
            f"stream event {label} (ms)",
            lat.get("floor", {}).get(stat),
            lat.get("comet", {}).get(stat),
            other=lat.get("genai", {}).get(stat),
        )
        for stat, metric, label in STATS
    ]
