"""Client-side performance of ChatCometGemini against a loopback Gemini server.

``make bench`` (or ``python bench/run.py``) starts the loopback server
(``loopback.py``) in its own process, then runs each measurement
(``case_*.py``) with every model in a fresh subprocess of this script
(``--child CASE ...``), so that imports, pools and caches of one case never
help another. Results are printed as a table with ratios against a floor
(``floor.py``: a minimal ``BaseChatModel`` that posts with raw httpx), judged
against ``targets.py``, and written to ``bench/results/latest.json``. The exit
status is 1 when a target is missed.

What is measured, and why it is measured that way, is in docs/performance.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from typing import Any

import case_concurrency
import case_cpu
import case_imports
import case_inflight
import case_latency
import case_memory
import case_ray
from common import HERE
from loopback import BenchServer
from report import print_table, table

RESULTS = HERE / "results" / "latest.json"
# Result key -> the module measuring it, in the order they run and are shown.
CASES: dict[str, Any] = {
    "cpu": case_cpu,
    "import": case_imports,
    "concurrency": case_concurrency,
    "inflight": case_inflight,
    "latency": case_latency,
    "memory": case_memory,
    "ray": case_ray,
}


def run(impls: list[str], cases: list[str]) -> dict[str, Any]:
    """The ``cases`` against one server; the raw figures by case."""
    server = BenchServer()
    print(f"bench: server on port {server.port}; impls {impls}", file=sys.stderr)
    try:
        return {key: CASES[key].measure(str(server.port), impls) for key in cases}
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-genai",
        action="store_true",
        help="skip ChatGoogleGenerativeAI even if installed",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(CASES),
        help="run these cases only (the results file is then not written)",
    )
    args = parser.parse_args()
    if args.child:
        case, *rest = args.child
        print(json.dumps(CASES[case].run_child(*rest)))
        return 0

    started = time.perf_counter()
    genai = not args.no_genai and bool(
        importlib.util.find_spec("langchain_google_genai")
    )
    cases = args.only or list(CASES)
    results = run(["floor", "comet", *(["genai"] if genai else [])], cases)
    rows, all_ok = table(
        [row for key in cases for row in CASES[key].rows(results[key])], genai
    )
    elapsed = time.perf_counter() - started
    print_table(rows)
    print(f"\nall targets met: {all_ok}; run took {elapsed:.0f} s")
    if args.only:
        return 0 if all_ok else 1
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "elapsed_s": elapsed,
        "genai_installed": genai,
        "results": results,
        "table": rows,
        "all_targets_met": all_ok,
    }
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
