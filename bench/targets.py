"""The targets, as data: one line per judged metric.

A metric is met when its ``value`` column (``ratio``: ours / floor, or
``ours``: the package's own figure) passes ``comparison`` against ``target``.
A metric not listed here is shown as ``(info)``. A metric whose figure is
missing (its case failed) is a miss.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import NamedTuple


class Target(NamedTuple):
    metric: str
    value: str  # the column judged: "ratio" or "ours"
    comparison: str  # a key of COMPARISONS
    target: float
    unit: str = ""

    @property
    def text(self) -> str:
        """As the table shows it: ``<= 1.10x``, ``<= 2 ms``, ``= 0``."""
        number = f"{self.target:.2f}" if self.unit == "x" else f"{self.target:g}"
        return f"{self.comparison} {number}{self.unit}"


COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "=": operator.eq,
}

TARGETS = {
    t.metric: t
    for t in (
        Target("invoke.cpu", "ratio", "<=", 1.10, "x"),
        Target("stream.cpu", "ratio", "<=", 1.10, "x"),
        Target("import.package", "ratio", "<=", 1.10, "x"),
        Target("import.model", "ratio", "<=", 1.10, "x"),
        Target("concurrency.wall", "ratio", "<=", 1.20, "x"),
        Target("concurrency.errors", "ours", "=", 0),
        Target("concurrency.connections", "ours", "<=", 256),
        # Flat cost as requests in flight grow (bench/case_inflight.py).
        Target("inflight.abatch.flat", "ratio", "<=", 1.5, "x"),
        Target("inflight.run_bulk.flat", "ratio", "<=", 1.5, "x"),
        Target("inflight.abatch.vs_aiohttp", "ratio", "<=", 3.0, "x"),
        Target("inflight.run_bulk.vs_aiohttp", "ratio", "<=", 3.0, "x"),
        # No worse than before: abatch at 1 in flight cost 1.1x-1.3x bare httpx
        # (issue 20's table), and the sync path was flat.
        Target("inflight.abatch.at_one", "ratio", "<=", 1.3, "x"),
        Target("inflight.batch.flat", "ratio", "<=", 1.5, "x"),
        Target("latency.median", "ours", "<=", 2, " ms"),
        Target("latency.cpu_max", "ours", "<=", 2, " ms"),
        Target("memory.image", "ours", "<=", 3, "x"),
    )
}


def judge(metric: str, ratio: float | None, ours: float | None) -> bool | None:
    """True / False against the metric's target; None for an info metric."""
    target = TARGETS.get(metric)
    if target is None:
        return None
    value = ratio if target.value == "ratio" else ours
    return value is not None and COMPARISONS[target.comparison](value, target.target)
