"""Prompts per second of the two bulk recipes on the emulator, and Ray's overhead.

``make bench-bulk`` (or ``python bench/bulk.py``) starts the Gemini emulator
in its own process (so its threads do not share the client's interpreter),
then runs the same prompts through

- ``run_bulk`` (one process, ``abatch_as_completed``), and
- ``run_on_ray`` (Ray Data ``map_batches`` over 2 actors, a local 2-CPU Ray
  on 127.0.0.1 without dashboard),

each writing a JSONL file, in two settings: instant answers (the recipes' own
overhead, bounded by what the emulator serves on this machine) and answers
that take ``--latency`` seconds (closer to a model, where concurrency sets the
pace). Ray's start-up is timed apart. Results go to
``bench/results/bulk.json``. Needs ``pip install -e ".[ray]"``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "bulk.json"


def serve(latency: float) -> None:
    """Child mode: an emulator whose answers take ``latency`` seconds."""
    import threading

    from langchain_cometgemini.testing import GeminiEmulator, Reply, default_reply

    def slow(request: Any) -> Reply:
        return default_reply(request).delayed(latency)

    with GeminiEmulator(slow if latency else None) as emulator:
        print(emulator.url, flush=True)
        threading.Event().wait()


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def items(n: int) -> list[tuple[int, str]]:
    return [(i, f"Classify item #{i}") for i in range(n)]


def one_process(url: str, n: int, concurrency: int, out: Path) -> float:
    from langchain_cometgemini import ChatCometGemini
    from langchain_cometgemini.bulk import run_bulk

    llm = ChatCometGemini(base_url=url, api_key="bench")
    start = time.perf_counter()
    summary = asyncio.run(run_bulk(llm, items(n), out, max_concurrency=concurrency))
    elapsed = time.perf_counter() - start
    assert summary.ok and summary.answered == n, summary
    return elapsed


def on_ray(url: str, n: int, concurrency: int, out: Path) -> float:
    from langchain_cometgemini.bulk_ray import run_on_ray

    start = time.perf_counter()
    summary = run_on_ray(
        items(n),
        out,
        {"base_url": url, "api_key": "bench"},
        num_actors=2,
        batch_size=100,
        max_concurrency=concurrency // 2,
    )
    elapsed = time.perf_counter() - start
    assert summary.ok and summary.answered == n, summary
    return elapsed


def measure(args: argparse.Namespace, latency: float, tmp: Path) -> dict[str, Any]:
    server, url = start_server(latency)
    try:
        one_process(url, 100, args.concurrency, tmp / f"warm-{latency}.jsonl")
        t_one = one_process(url, args.n, args.concurrency, tmp / f"one-{latency}.jsonl")
        t_ray = on_ray(url, args.n, args.concurrency, tmp / f"ray-{latency}.jsonl")
    finally:
        server.terminate()
        server.wait()
    return {
        "latency_s": latency,
        "prompts": args.n,
        "concurrency": args.concurrency,
        "one_process_per_s": round(args.n / t_one, 1),
        "ray_per_s": round(args.n / t_ray, 1),
        "ray_seconds_over_one_process": round(t_ray - t_one, 2),
        "ray_time_ratio": round(t_ray / t_one, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    parser.add_argument("-n", type=int, default=2000, help="prompts per run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    start = time.perf_counter()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
    )
    ray_start = time.perf_counter() - start
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for latency in (0.0, args.latency):
            rows.append(measure(args, latency, Path(tmp)))
    ray.shutdown()

    print(f"Ray start-up (2 CPUs, local): {ray_start:.1f} s (not in the rates)")
    header = ("answer latency", "one process/s", "Ray/s", "Ray extra s")
    print("{:>15} {:>14} {:>8} {:>12}".format(*header))
    for row in rows:
        print(
            f"{row['latency_s'] * 1000:>12.0f} ms {row['one_process_per_s']:>14.1f} "
            f"{row['ray_per_s']:>8.1f} {row['ray_seconds_over_one_process']:>12.2f}"
        )
    RESULTS.write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
                "python": platform.python_version(),
                "ray_startup_s": round(ray_start, 2),
                "runs": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
