"""Client CPU per prompt as requests in flight grow: 1, 16, 64 and 256.

Each implementation runs in a child process pinned to one core (the loopback
server runs in its own process): ``abatch`` and ``run_bulk`` of
ChatCometGemini on its default send path, and three floors that do nothing
but post the recorded body and read the answer, with ``LEVEL`` workers each
posting in turn: bare httpx ``AsyncClient``, bare httpx2 ``AsyncClient`` (if
installed) and bare aiohttp (if installed). The sync path is measured too:
``batch`` (langchain-core's thread pool) at 1, 16 and 64; and, to show what
no transport can remove, ``abatch`` with the recorded answer handed over
without any HTTP (``noio``: langchain-core and our conversion). At each level one
warm-up round opens the connections, then PROMPTS prompts (bare httpx:
fewer, see SLOW) are timed with ``time.process_time``; the figure is CPU per
prompt, the median of ROUNDS children per implementation (the children of all
implementations alternate).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import UNARY, UNARY_TEXT, bare_caller, child, make, messages, progress, text
from report import Row

LEVELS = (1, 16, 64, 256)
SYNC_LEVELS = (1, 16, 64)
# Enough prompts that the garbage collector's full passes (one every ~1,000
# prompts at 256 in flight, ~70 ms each with langchain-core loaded) are
# averaged in, not in or out of the window by chance; bare httpx, at ~8 ms a
# prompt at 256 in flight, gets fewer.
PROMPTS = 4096
SLOW = {"httpx": 1024}
ROUNDS = 3
OURS = ("abatch", "run_bulk")
NO_IO = "noio"  # abatch with the answer handed over without any HTTP
FLOORS = ("httpx", "httpx2", "aiohttp")
IMPLS = (*OURS, NO_IO, *FLOORS, "batch")


def _pin() -> None:
    """One core, so CPU per prompt is not helped by a second one."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


async def _floor_level(impl: str, port: int, level: int) -> float:
    one, close = bare_caller(impl, port)
    answers = await asyncio.gather(*(one() for _ in range(level)))  # warm-up
    prompts = SLOW.get(impl, PROMPTS)

    async def worker(n: int) -> list[str]:
        return [await one() for _ in range(n)]

    start = time.process_time()
    done = await asyncio.gather(*(worker(prompts // level) for _ in range(level)))
    cpu = time.process_time() - start
    await close()
    _check(answers + [a for answers in done for a in answers])
    return cpu / prompts


async def _ours_level(impl: str, port: int, level: int, folder: Path) -> float:
    from langchain_cometgemini.bulk import run_bulk

    llm = make("comet", port)
    if impl == NO_IO:  # what langchain-core and our conversion cost alone
        answer = UNARY["response_json"]

        async def apost(*args: Any, **kwargs: Any) -> dict[str, Any]:
            return answer  # type: ignore[no-any-return]

        llm.http.apost = apost  # type: ignore[method-assign]
    prompt = messages("invoke")
    config: Any = {"max_concurrency": level}
    _check([text(m) for m in await llm.abatch([prompt] * level, config)])  # warm-up
    start = time.process_time()
    if impl != "run_bulk":
        _check([text(m) for m in await llm.abatch([prompt] * PROMPTS, config)])
    else:
        path = folder / f"bulk-{level}.jsonl"
        summary = await run_bulk(
            llm, [(i, prompt) for i in range(PROMPTS)], path, max_concurrency=level
        )
        if summary.answered != PROMPTS:
            raise AssertionError(f"run_bulk: {summary}")
    cpu = time.process_time() - start
    await llm.aclose()
    return cpu / PROMPTS


def _batch_level(port: int, level: int) -> float:
    with make("comet", port) as llm:
        prompt = messages("invoke")
        config: Any = {"max_concurrency": level}
        llm.batch([prompt] * level, config)  # warm-up
        start = time.process_time()
        _check([text(m) for m in llm.batch([prompt] * PROMPTS, config)])
        return (time.process_time() - start) / PROMPTS


def _check(answers: list[str]) -> None:
    wrong = [a for a in answers if a != UNARY_TEXT]
    if wrong:
        raise AssertionError(f"{len(wrong)} wrong answers, e.g. {wrong[0]!r}")


def run_child(impl: str, port: str) -> dict[str, Any]:
    """In the child: CPU per prompt (ms) at each level, or ``skipped``."""
    _pin()
    if impl in ("httpx2", "aiohttp"):
        import importlib.util

        if importlib.util.find_spec(impl) is None:
            return {"skipped": f"{impl} not installed"}
    ms: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for level in SYNC_LEVELS if impl == "batch" else LEVELS:
            if impl == "batch":
                cpu = _batch_level(int(port), level)
            elif impl in (*OURS, NO_IO):
                cpu = asyncio.run(_ours_level(impl, int(port), level, Path(folder)))
            else:
                cpu = asyncio.run(_floor_level(impl, int(port), level))
            ms[str(level)] = cpu * 1e3
    return {"ms": ms}


def measure(port: str, impls: list[str]) -> dict[str, Any]:
    """``{impl: {level: median ms per prompt}}``; ``transport``: ours in use."""
    from langchain_cometgemini._transport import resolve_transport

    runs: dict[str, list[dict[str, float]]] = {impl: [] for impl in IMPLS}
    result: dict[str, Any] = {"transport": resolve_transport("auto")}
    for round_ in range(ROUNDS):
        for impl in IMPLS:
            progress(f"in flight: {impl} round {round_ + 1}")
            got = child("inflight", impl, port)
            if "ms" in got:
                runs[impl].append(got["ms"])
            else:
                result.setdefault("notes", {})[impl] = got
    for impl, found in runs.items():
        if found:
            result[impl] = {
                level: statistics.median(run[level] for run in found)
                for level in found[0]
            }
    return result


def _at(result: dict[str, Any], impl: str, level: int) -> float | None:
    value = result.get(impl, {}).get(str(level))
    return None if value is None else float(value)


def _row(metric: str, label: str, floor: float | None, ours: float | None) -> Row:
    ratio = ours / floor if ours is not None and floor else None
    return Row(metric, label, floor, ours, ratio, unit=" ms")


def rows(result: dict[str, Any]) -> list[Row]:
    """Judged ratios first, then CPU per prompt of each implementation by level."""
    out = []
    transport = result.get("transport", "?")
    aio = _at(result, "aiohttp", 256)
    for impl in OURS:
        one, top = _at(result, impl, 1), _at(result, impl, 256)
        out += [
            _row(
                f"inflight.{impl}.flat",
                f"{impl} ({transport}): CPU per prompt at 256 in flight vs at 1",
                one,
                top,
            ),
            _row(
                f"inflight.{impl}.vs_aiohttp",
                f"{impl} at 256 in flight vs bare aiohttp at 256 (ms)",
                aio,
                top,
            ),
        ]
    mine, alone = _at(result, "abatch", 256), _at(result, NO_IO, 256)
    out.append(
        _row(
            "inflight.abatch.http_part",
            "abatch at 256 minus its no-I/O part, vs bare aiohttp at 256 (ms)",
            aio,
            None if mine is None or alone is None else mine - alone,
        )
    )
    out += [
        _row(
            "inflight.abatch.at_one",
            "abatch at 1 in flight vs bare httpx at 1 (ms)",
            _at(result, "httpx", 1),
            _at(result, "abatch", 1),
        ),
        _row(
            "inflight.batch.flat",
            "sync batch at 64 in flight vs at 1 (ms)",
            _at(result, "batch", 1),
            _at(result, "batch", 64),
        ),
    ]
    for level in LEVELS:
        for impl in (*OURS, NO_IO, "httpx", "httpx2", "batch"):
            value = _at(result, impl, level)
            if value is not None:
                out.append(
                    _row(
                        f"inflight.{impl}.{level}",
                        f"{level} in flight: {impl}, CPU per prompt vs bare aiohttp",
                        _at(result, "aiohttp", level),
                        value,
                    )
                )
    return out
