"""Ray: prompts per second per actor with 256 requests in flight per actor.

One child process runs the whole case against the loopback server (its own
process, instant answers, so the figures are the recipe's own cost, not a
model's latency). First, as the reference, ``run_bulk`` in that one process
with 256 in flight. Then it starts a local Ray (2 CPUs, 127.0.0.1, no
dashboard, no usage stats; its start-up is timed apart and is in no rate)
and runs ``run_on_ray`` with 1 and then 2 actors, each actor keeping 256
requests in flight (``max_concurrency=256`` over batches of BATCH prompts),
PROMPTS_PER_ACTOR prompts per actor. The pools alternate for ROUNDS rounds in
one Ray session, and each figure is from the pool's best round; the
reference is the best of ROUNDS runs too.

Each answer's record carries when its batch ended and in which actor
process (a ``to_record`` that stamps them). An actor's rate runs from the
end of its first batch to the end of its last, so neither Ray's start-up
nor what a ``run_on_ray`` call pays before answers flow (Ray Data planning
the job, the actor processes starting and importing the package, the first
batch) is in it; the rate over the whole call, which includes that, is
shown too. Every answer written is checked.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import MODEL, UNARY_TEXT, child, progress
from report import Row

IN_FLIGHT = 256
# Prompts per batch, room for 256 in flight most of the time (Ray Data cuts
# batches from its blocks, so a few hold some more or fewer).
BATCH = 1024
PROMPTS_PER_ACTOR = 8 * BATCH
ACTORS = (1, 2)
# Each figure is the best of ROUNDS runs (as timeit takes the fastest): the
# run least slowed by other work on a shared machine.
ROUNDS = 2
RAY_CPUS = 2
# Records stamped within this long of an actor's first one end its first
# batch (a batch takes ~1 s here; its records are stamped within ~50 ms).
SAME_BATCH_S = 0.2


def _items(n: int) -> list[tuple[int, str]]:
    return [(i, f"Classify item #{i}") for i in range(n)]


def _read(path: Path, n: int) -> list[dict[str, Any]]:
    """The records, checked: ids 0 to ``n - 1`` once each, the recorded text."""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    ids = sorted(line["id"] for line in lines)
    wrong = [line["answer"] for line in lines if line["answer"] != UNARY_TEXT]
    if ids != list(range(n)) or wrong:
        raise AssertionError(
            f"{path.name}: {len(lines)} lines for {n} prompts, {len(wrong)} wrong"
        )
    return lines


def _one_process(kwargs: dict[str, Any], folder: Path) -> float:
    """Prompts per second of ``run_bulk`` in this process at IN_FLIGHT."""
    from langchain_cometgemini import ChatCometGemini
    from langchain_cometgemini.bulk import run_bulk

    async def go(n: int, path: Path) -> float:
        async with ChatCometGemini(**kwargs) as llm:
            start = time.perf_counter()
            summary = await run_bulk(llm, _items(n), path, max_concurrency=IN_FLIGHT)
            elapsed = time.perf_counter() - start
        assert summary.ok and summary.answered == n, summary
        _read(path, n)
        return elapsed

    asyncio.run(go(IN_FLIGHT, folder / "warm.jsonl"))
    seconds = min(
        asyncio.run(go(PROMPTS_PER_ACTOR, folder / f"one-process-{i}.jsonl"))
        for i in range(ROUNDS)
    )
    return PROMPTS_PER_ACTOR / seconds


def _stamping() -> Callable[[Any], dict[str, Any]]:
    """A ``to_record``: the default record, when (``t``) and in which process
    (``pid``) it was made. Defined inside a function so that Ray pickles it
    by value: the actors cannot import bench/.
    """
    from langchain_cometgemini.bulk import default_record

    def record(answer: Any) -> dict[str, Any]:
        return {**default_record(answer), "t": time.time(), "pid": os.getpid()}

    return record


def _actor_rates(records: list[dict[str, Any]]) -> list[float]:
    """Each actor's prompts per second from its first batch's end to its last."""
    stamps: dict[int, list[float]] = {}
    for record in records:
        stamps.setdefault(record["pid"], []).append(record["t"])
    rates = []
    for times in stamps.values():
        times.sort()
        first = [t for t in times if t <= times[0] + SAME_BATCH_S]
        if len(first) == len(times):
            raise AssertionError(f"an actor answered one batch only ({len(times)})")
        rates.append((len(times) - len(first)) / (times[-1] - first[-1]))
    return rates


def _on_ray(kwargs: dict[str, Any], actors: int, path: Path) -> dict[str, float]:
    """One ``run_on_ray`` call over ``actors`` actors: its rates."""
    from langchain_cometgemini.bulk_ray import run_on_ray

    n = PROMPTS_PER_ACTOR * actors
    start = time.perf_counter()
    summary = run_on_ray(
        _items(n),
        path,
        kwargs,
        num_actors=actors,
        batch_size=BATCH,
        max_concurrency=IN_FLIGHT,
        to_record=_stamping(),
    )
    elapsed = time.perf_counter() - start
    assert summary.ok and summary.answered == n, summary
    rates = _actor_rates(_read(path, n))
    if len(rates) != actors:
        raise AssertionError(f"{len(rates)} actors answered, not {actors}")
    return {
        "per_actor_per_s": statistics.mean(rates),
        "total_per_s": sum(rates),
        "whole_call_per_s": n / elapsed,
        "call_s": elapsed,
    }


def _start_ray() -> float:
    """Start a local Ray; the seconds it took."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    import ray

    start = time.perf_counter()
    ray.init(
        num_cpus=RAY_CPUS,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        configure_logging=False,
    )
    elapsed = time.perf_counter() - start
    import ray.data

    ray.data.DataContext.get_current().enable_progress_bars = False
    return elapsed


def run_child(port: str) -> dict[str, Any]:
    """In the child: the reference rate, Ray's start-up, each pool's rates."""
    if importlib.util.find_spec("ray") is None:
        return {"skipped": "ray not installed"}
    kwargs = {
        "model": MODEL,
        "api_key": "bench",
        "base_url": f"http://127.0.0.1:{port}",
    }
    result: dict[str, Any] = {"prompts_per_actor": PROMPTS_PER_ACTOR}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result["one_process_per_s"] = _one_process(kwargs, folder)
        result["startup_s"] = _start_ray()
        import ray

        runs: dict[int, list[dict[str, float]]] = {actors: [] for actors in ACTORS}
        try:
            for round_ in range(ROUNDS):
                for actors in ACTORS:
                    path = folder / f"ray-{actors}-{round_}.jsonl"
                    runs[actors].append(_on_ray(kwargs, actors, path))
        finally:
            ray.shutdown()
    for actors, found in runs.items():
        best = max(found, key=lambda run: run["total_per_s"])
        result[str(actors)] = {**best, "rounds": found}
    return result


def measure(port: str, impls: list[str]) -> dict[str, Any]:
    """The child's figures (Ray measures ``ChatCometGemini`` only)."""
    progress("ray: run_bulk, then run_on_ray with 1 and 2 actors")
    return child("ray", port)


def rows(result: dict[str, Any]) -> list[Row]:
    """Per-actor and total rates by pool size, against one process; start-up."""
    label = f"Ray: prompts/s per actor, {IN_FLIGHT} in flight per actor"
    if "per_actor_per_s" not in result.get(str(ACTORS[0]), {}):
        skipped = result.get("skipped")
        why = f"skipped: {skipped}" if skipped else f"failed: {result.get('error')}"
        return [Row(f"ray.per_actor.{IN_FLIGHT}", label, None, why)]
    floor = result["one_process_per_s"]
    out = []
    for actors in ACTORS:
        got, pool = result[str(actors)], f"{actors} actor{'s' * (actors > 1)}"
        figures = [("per_actor", "per actor", got["per_actor_per_s"])]
        if actors > 1:
            figures.append(("total", "in all", got["total_per_s"]))
        figures.append(("whole_call", "over the whole call", got["whole_call_per_s"]))
        out += [
            Row(
                f"ray.{metric}.{IN_FLIGHT}.a{actors}",
                f"Ray, {pool} x {IN_FLIGHT} in flight: prompts/s {what}"
                " vs run_bulk in 1 process",
                floor,
                value,
                value / floor,
                unit="/s",
            )
            for metric, what, value in figures
        ]
    startup = result["startup_s"]
    label = f"Ray start-up, local, {RAY_CPUS} CPUs (in no rate)"
    return [*out, Row("ray.startup", label, None, startup, unit=" s")]
