"""CPU per call: ``process_time`` around ``invoke`` / a whole ``stream``.

WARMUP calls, then CALLS timed calls, in a fresh process per round; floor and
ours alternate round by round for ROUNDS rounds, so a busy moment on the
machine does not land on one of them only. The figure is the median call.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from common import STREAM_TEXT, UNARY_TEXT, child, make, messages, progress, text
from report import Row

WARMUP = 30
CALLS = 100
ROUNDS = 4
MODES = ("invoke", "stream")


def run_child(impl: str, mode: str, port: str) -> dict[str, Any]:
    """In the child: the microseconds of each of CALLS calls."""
    llm = make(impl, int(port))
    prompt = messages(mode)
    if mode == "invoke":
        expected = UNARY_TEXT

        def call() -> str:
            return text(llm.invoke(prompt))
    else:
        expected = STREAM_TEXT

        def call() -> str:
            return "".join(text(chunk) for chunk in llm.stream(prompt))

    got = call()
    if got.rstrip("\n") != expected.rstrip("\n"):  # genai strips trailing newlines
        raise AssertionError(f"{impl} {mode}: unexpected answer {got!r}")
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(CALLS):
        start = time.process_time()
        call()
        samples.append(time.process_time() - start)
    return {"samples_us": [x * 1e6 for x in samples]}


def measure(port: str, impls: list[str]) -> dict[str, Any]:
    """``{"<impl>.<mode>": {median_us, p90_us, calls} or {error}}``."""
    results: dict[str, Any] = {}
    for mode in MODES:
        samples: dict[str, list[float]] = {impl: [] for impl in impls}
        errors: dict[str, str] = {}
        for i in range(ROUNDS):
            # genai is information only: one round is enough.
            for impl in impls if i == 0 else [x for x in impls if x != "genai"]:
                progress(f"cpu {impl} {mode} round {i + 1}")
                result = child("cpu", impl, mode, port)
                if "error" in result:
                    errors[impl] = result["error"]
                samples[impl].extend(result.get("samples_us", []))
        for impl, values in samples.items():
            results[f"{impl}.{mode}"] = (
                {
                    "median_us": statistics.median(values),
                    "p90_us": statistics.quantiles(values, n=10, method="inclusive")[
                        -1
                    ],
                    "calls": len(values),
                }
                if values
                else {"error": errors.get(impl)}
            )
    return results


def rows(cpu: dict[str, Any]) -> list[Row]:
    out = []
    for mode in MODES:
        floor = cpu.get(f"floor.{mode}", {}).get("median_us")
        ours = cpu.get(f"comet.{mode}", {}).get("median_us")
        other = cpu.get(f"genai.{mode}", {}).get("median_us")
        if other is not None and floor:
            other = f"{other:,.0f} us ({other / floor:.2f}x)"
        ratio = ours / floor if floor and ours else None
        label = f"{mode}: CPU per call (us)"
        out.append(Row(f"{mode}.cpu", label, floor, ours, ratio, other))
    return out
