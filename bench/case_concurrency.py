"""CONCURRENT simultaneous ``ainvoke``, bracketed by raw httpx batches.

All batches run in one child process in the order ``raw, floor, raw, comet,
raw, floor, ...`` for ROUNDS rounds, each batch with a fresh client as a new
process would have, after one warm-up call. The machine's speed drifts by tens
of percent over seconds, so each model batch is divided by the mean of the raw
batches just before and after it; the figure is the median of those ratios.
The server counts the connections each batch opens.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from common import (
    UNARY_TEXT,
    bare_caller,
    child,
    make,
    messages,
    progress,
    text,
)
from loopback import accepted
from report import Row

CONCURRENT = 500
ROUNDS = 12


def _model_caller(impl: str, port: int) -> tuple[Callable[[], Awaitable[str]], Any]:
    llm = make(impl, port)
    prompt = messages("invoke")

    async def one() -> str:
        return text(await llm.ainvoke(prompt))

    return one, None


async def _batch(impl: str, port: int) -> dict[str, Any]:
    """One fresh client (or model), one warm-up call, then CONCURRENT at once."""
    one, close = (
        bare_caller("httpx", port) if impl == "raw" else _model_caller(impl, port)
    )
    accepted_before = accepted(port)
    await one()  # warm-up: lazy imports and the client itself
    gc.collect()  # no garbage of an earlier batch collected during this one
    start, cpu = time.perf_counter(), time.process_time()
    results = await asyncio.gather(
        *(one() for _ in range(CONCURRENT)), return_exceptions=True
    )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if close is not None:
        await close()
    errors = [r for r in results if r != UNARY_TEXT]
    return {
        "impl": impl,
        "wall_s": wall,
        "cpu_s": cpu,
        "errors": len(errors),
        "first_error": repr(errors[0])[:300] if errors else None,
        # minus the probe's own connection
        "connections": accepted(port) - accepted_before - 1,
    }


def run_child(impls: str, port: str) -> dict[str, Any]:
    """In the child: every batch, in order, raw between any two others."""
    others = [impl for impl in impls.split(",") if impl != "raw"]
    order = ["raw"] + [
        x for _ in range(ROUNDS) for impl in others for x in (impl, "raw")
    ]
    return {"sequence": [asyncio.run(_batch(impl, int(port))) for impl in order]}


def measure(port: str, impls: list[str]) -> dict[str, Any]:
    """Per implementation: median wall, and the bracketed ratios to raw."""
    progress("concurrency (raw, floor, comet alternating)")
    batches = child("concurrency", "raw,floor,comet", port)
    if "error" in batches:
        raise RuntimeError(f"concurrency child failed: {batches['error']}")
    return summary(batches["sequence"])


def summary(sequence: list[dict[str, Any]]) -> dict[str, Any]:
    """Per implementation: median wall, and the median ratio of each batch to
    the mean of its two raw neighbours (wall and CPU time)."""
    result: dict[str, Any] = {}
    for impl in dict.fromkeys(b["impl"] for b in sequence):
        at = [i for i, b in enumerate(sequence) if b["impl"] == impl]
        batches = [sequence[i] for i in at]
        errors = [b["first_error"] for b in batches if b["first_error"]]
        result[impl] = {
            "wall_s": statistics.median(b["wall_s"] for b in batches),
            "walls_s": [round(b["wall_s"], 3) for b in batches],
            "errors": sum(b["errors"] for b in batches),
            "connections": max(b["connections"] for b in batches),
            "first_error": errors[0] if errors else None,
        }
        if impl == "raw":
            continue
        for key, name in (("wall_s", "ratio_to_raw"), ("cpu_s", "cpu_ratio_to_raw")):
            ratios = [
                sequence[i][key] / ((sequence[i - 1][key] + sequence[i + 1][key]) / 2)
                for i in at
            ]
            result[impl][name] = statistics.median(ratios)
            result[impl][name + "_each"] = [round(r, 3) for r in ratios]
    return result


def rows(conc: dict[str, Any]) -> list[Row]:
    raw, mine, floor = conc["raw"], conc["comet"], conc["floor"]
    return [
        Row(
            "concurrency.wall",
            f"{CONCURRENT} concurrent ainvoke: wall (s), raw httpx = floor",
            raw["wall_s"],
            mine["wall_s"],
            mine.get("ratio_to_raw"),
        ),
        Row(
            "concurrency.floor",
            f"{CONCURRENT} concurrent: the floor model itself vs raw httpx",
            raw["wall_s"],
            floor["wall_s"],
            floor.get("ratio_to_raw"),
        ),
        Row(
            "concurrency.errors",
            f"{CONCURRENT} concurrent: errors",
            raw["errors"],
            mine["errors"],
        ),
        Row(
            "concurrency.connections",
            f"{CONCURRENT} concurrent: connections opened",
            raw["connections"],
            mine["connections"],
        ),
    ]
