"""Many prompts in one process: answers appended to a JSONL file as they complete.

:func:`run_bulk` sends ``(id, input)`` items through any runnable (the chat
model, ``llm.with_structured_output(...)``, a chain) with ``max_concurrency``
workers, each taking the next item when it is free, and appends one JSON line
per answer the moment it arrives, flushed. A crash therefore loses only the
answers still in flight, and a rerun with the same file skips every id already
written (a line torn by the crash is cut off first). Failures are returned,
not written, so a rerun tries them again; errors no retry can fix (a wrong
key, a model that does not exist), met again and again, stop the run early.
:func:`run_bulk_sync` is the entry point for scripts: Ctrl-C or SIGTERM end
it with "N answers written to PATH; rerun to resume" and no traceback.
Guide: docs/bulk.md.

Pacing belongs to the model: give it ``rate_limiter=quota_rate_limiter(rpm)``
(one token per call) and a ``max_retries`` to taste; its client already waits
as long as a 429/503's ``Retry-After`` or ``RetryInfo.retryDelay`` asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Callable, Hashable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
)
from langchain_core.messages import BaseMessage
from langchain_core.rate_limiters import InMemoryRateLimiter
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel

__all__ = [
    "BulkInterrupted",
    "BulkSummary",
    "default_record",
    "done_ids",
    "quota_rate_limiter",
    "run_bulk",
    "run_bulk_sync",
]

logger = logging.getLogger(__name__)

ItemId = str | int
"""Ids are written to JSON and read back, so they are strings or integers."""


@dataclass
class BulkSummary:
    """What a run did: ``answered`` now, ``skipped`` as already done, ``failed``.

    ``written``: answers in the file (earlier runs' included); ``stopped``:
    why the run stopped before the end (errors no retry can fix), else
    ``None``.
    """

    answered: int = 0
    skipped: int = 0
    failed: dict[ItemId, str] = field(default_factory=dict)
    written: int = 0
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing was left (all is in the file)."""
        return not self.failed and self.stopped is None


class BulkInterrupted(SystemExit):
    """:func:`run_bulk_sync` was stopped by Ctrl-C (SIGINT) or SIGTERM.

    A ``SystemExit`` (status 130 or 143, as a shell reports the signal): a
    script ends without a traceback, after the log line saying how many
    answers are safe. Code that wants to go on catches it; ``summary`` says
    what was done.
    """

    def __init__(self, code: int, summary: BulkSummary) -> None:
        super().__init__(code)
        self.summary = summary


# Errors a retry cannot fix: the same request fails the same way until the
# setup changes. A context overflow is one prompt's problem, not the run's.
_UNFIXABLE = (
    ModelAuthenticationError,
    ModelPermissionDeniedError,
    ModelNotFoundError,
    ModelInvalidRequestError,
)


def unfixable(error: BaseException) -> bool:
    """Whether ``error`` is one no retry can fix (key, permission, model, request)."""
    return isinstance(error, _UNFIXABLE) and not isinstance(error, ContextOverflowError)


def quota_rate_limiter(
    requests_per_minute: float, *, workers: int = 1
) -> InMemoryRateLimiter:
    """A limiter for one of ``workers`` processes sharing an account's quota.

    Each worker gets ``requests_per_minute / workers``. The bucket starts
    empty (no burst at start) and holds at most a tenth of a second's tokens,
    so a pause is not followed by a burst over the quota.
    """
    if not requests_per_minute > 0:
        raise ValueError(
            f"requests_per_minute must be positive, got {requests_per_minute!r}"
        )
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    per_second = requests_per_minute / 60.0 / workers
    check = min(0.1, max(0.005, 1.0 / per_second))
    return InMemoryRateLimiter(
        requests_per_second=per_second,
        check_every_n_seconds=check,
        max_bucket_size=max(1.0, per_second * 0.1),
    )


def default_record(output: Any) -> dict[str, Any]:
    """The JSON fields kept for one answer (besides ``id``).

    A message gives ``answer`` (its text) and ``usage``; a pydantic object
    (structured output) its ``model_dump``; anything else is kept as given
    and must be JSON-serializable.
    """
    if isinstance(output, BaseMessage):
        record: dict[str, Any] = {"answer": output.text}
        usage = getattr(output, "usage_metadata", None)
        if usage:
            record["usage"] = dict(usage)
        return record
    if isinstance(output, BaseModel):
        return {"answer": output.model_dump(mode="json")}
    return {"answer": output}


def done_ids(path: str | Path) -> set[ItemId]:
    """Ids already answered in the JSONL file at ``path`` (empty if none).

    A last line without its newline was torn by a crash: it is cut off the
    file, so appending starts on a clean line and that item is asked again.
    """
    file = Path(path)
    if not file.exists():
        return set()
    data = file.read_bytes()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        with file.open("r+b") as handle:
            handle.truncate(keep)
        data = data[:keep]
    done: set[ItemId] = set()
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            done.add(json.loads(line)["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{file}:{number} is not a result line written by run_bulk "
                f"({type(exc).__name__}: {exc}); fix or move the file"
            ) from None
    return done


def pending_items(
    items: Iterable[tuple[ItemId, Any]], done: set[ItemId], summary: BulkSummary
) -> Iterator[tuple[ItemId, Any]]:
    """Items not in ``done``; a repeated id raises ``ValueError`` (it would be lost)."""
    seen: set[Hashable] = set()
    for item_id, value in items:
        if not isinstance(item_id, str | int) or isinstance(item_id, bool):
            raise ValueError(f"item ids must be str or int, got {item_id!r}")
        if item_id in seen:
            raise ValueError(f"item id {item_id!r} appears twice in the input")
        seen.add(item_id)
        if item_id in done:
            summary.skipped += 1
            continue
        yield item_id, value


def progress_bar(enabled: bool, total: int | None) -> Any:
    """A tqdm bar (``pip install "langchain-cometgemini[bulk]"``), or a no-op."""
    if not enabled:
        return _NoBar()
    try:
        tqdm = import_module("tqdm.auto").tqdm
    except ImportError:
        raise ImportError(
            'progress=True needs tqdm: pip install "langchain-cometgemini[bulk]"'
        ) from None
    return tqdm(total=total, unit="prompt")


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def append_line(handle: Any, record: dict[str, Any]) -> None:
    """One JSON line, written whole and flushed (safe once the OS has it)."""
    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    handle.flush()


def record_failure(
    summary: BulkSummary,
    item_id: ItemId,
    message: str,
    *,
    fatal: bool,
    streak: int,
    stop_after: int,
) -> int:
    """Note ``item_id``'s failure in ``summary``; return the new count of
    failures in a row that no retry can fix (``fatal``: :func:`unfixable`,
    else the count starts again). At ``stop_after`` it sets
    ``summary.stopped``. Shared by :func:`run_bulk` and ``run_on_ray``.
    """
    summary.failed[item_id] = message
    streak = streak + 1 if fatal else 0
    if streak >= stop_after and not summary.stopped:
        summary.stopped = (
            f"{streak} requests in a row failed with an error no retry can "
            f"fix; the last: {message}"
        )
    return streak


async def run_bulk(
    runnable: Runnable[Any, Any],
    items: Iterable[tuple[ItemId, Any]],
    path: str | Path,
    *,
    max_concurrency: int = 16,
    window: int = 1000,
    to_record: Callable[[Any], dict[str, Any]] = default_record,
    progress: bool = False,
    config: RunnableConfig | None = None,
    stop_after: int = 5,
    summary: BulkSummary | None = None,
) -> BulkSummary:
    """Answer every ``(id, input)`` not yet in ``path``, appending as they complete.

    ``max_concurrency`` workers each take the next input when free, so at
    most that many requests are in flight and a million-item iterable is
    read as it goes (``window`` is accepted for compatibility: nothing is
    read ahead any more). Each answer becomes ``{"id": id,
    **to_record(output)}`` on its own line. Exceptions are collected in
    ``BulkSummary.failed`` (id -> message) and not written, so the next run
    with the same file asks for them again.

    ``stop_after`` failures in a row that no retry can fix (an invalid key,
    no permission, an unknown model, a bad request: :func:`unfixable`) stop
    the run early rather than sending every remaining request to fail the
    same way: ``BulkSummary.stopped`` says why, and so does a log line.
    Cancelled (Ctrl-C under ``asyncio.run``), the run logs how many answers
    the file holds and re-raises. ``summary``: a :class:`BulkSummary` filled
    in as the run goes (what code that cancels the run reads), else a new one.
    """
    if max_concurrency < 1 or window < 1 or stop_after < 1:
        raise ValueError("max_concurrency, window and stop_after must be at least 1")
    file = Path(path)
    summary = BulkSummary() if summary is None else summary
    done = done_ids(file)
    summary.written = len(done)
    total = max(0, len(items) - len(done)) if isinstance(items, Sized) else None
    bar = progress_bar(progress, total)
    run_config: RunnableConfig = {**(config or {}), "max_concurrency": max_concurrency}
    pending = pending_items(items, done, summary)
    streak = 0  # unfixable failures in a row

    async def worker(handle: Any) -> None:
        nonlocal streak
        # One shared iterator: each worker takes the next item when free.
        for item_id, value in pending:
            if summary.stopped:
                return
            try:
                output = await runnable.ainvoke(value, run_config)
            except Exception as exc:
                streak = record_failure(
                    summary,
                    item_id,
                    f"{type(exc).__name__}: {exc}",
                    fatal=unfixable(exc),
                    streak=streak,
                    stop_after=stop_after,
                )
            else:
                append_line(handle, {"id": item_id, **to_record(output)})
                summary.answered += 1
                summary.written += 1
                streak = 0
            bar.update(1)

    try:
        with file.open("a", encoding="utf-8") as handle:
            await _all(worker(handle) for _ in range(max_concurrency))
    except asyncio.CancelledError:
        logger.warning(
            "Interrupted: %d answers written to %s; rerun to resume.",
            summary.written,
            file,
        )
        raise
    finally:
        bar.close()
    if summary.stopped:
        logger.warning(
            "Stopped early: %s. Fix that and rerun: %d answers written to %s.",
            summary.stopped,
            summary.written,
            file,
        )
    return summary


def run_bulk_sync(
    runnable: Runnable[Any, Any],
    items: Iterable[tuple[ItemId, Any]],
    path: str | Path,
    **options: Any,
) -> BulkSummary:
    """:func:`run_bulk` from a script: its own event loop, clean on a signal.

    ``options`` are :func:`run_bulk`'s. Ctrl-C (SIGINT) or SIGTERM cancel
    the requests in flight; every answer already written stays in the file,
    "N answers written to PATH; rerun to resume" is logged, and
    :class:`BulkInterrupted` (a ``SystemExit``) ends the script with status
    130 or 143 and no traceback. Must be called where no event loop runs
    (use ``await run_bulk(...)`` inside async code).
    """
    summary = BulkSummary()
    loop = asyncio.new_event_loop()
    task = loop.create_task(run_bulk(runnable, items, path, **options, summary=summary))
    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        task.cancel()

    installed = _on_signals(loop, stop)
    try:
        loop.run_until_complete(task)
        return summary
    except KeyboardInterrupt:  # no handler installed (not the main thread)
        received.append(signal.SIGINT)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
    except asyncio.CancelledError:
        if not received:
            raise
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    raise BulkInterrupted(128 + received[0], summary)


def _on_signals(
    loop: asyncio.AbstractEventLoop, handler: Callable[[int], None]
) -> list[int]:
    """Route SIGINT and SIGTERM to ``handler`` on ``loop``; the ones installed.

    None where the loop cannot take signal handlers (Windows, a thread other
    than the main one): Ctrl-C then arrives as ``KeyboardInterrupt``.
    """
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, handler, int(signum))
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(int(signum))
    return installed


async def _all(coroutines: Iterable[Any]) -> None:
    """Run ``coroutines`` together; the first error (or a cancellation)
    cancels the others, which are awaited before it propagates.
    """
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in finished:
            task.result()  # raises the first error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
