"""Many prompts in one process: answers appended to a JSONL file as they complete.

:func:`run_bulk` sends ``(id, input)`` items through any runnable (the chat
model, ``llm.with_structured_output(...)``, a chain) with
``abatch_as_completed`` under ``max_concurrency``, and appends one JSON line
per answer the moment it arrives, flushed. A crash therefore loses only the
answers still in flight, and a rerun with the same file skips every id already
written (a line torn by the crash is cut off first). Failures are returned,
not written, so a rerun tries them again. Guide: docs/bulk.md.

Pacing belongs to the model: give it ``rate_limiter=quota_rate_limiter(rpm)``
(one token per call) and a ``max_retries`` to taste; its client already waits
as long as a 429/503's ``Retry-After`` or ``RetryInfo.retryDelay`` asks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from importlib import import_module
from itertools import islice
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.rate_limiters import InMemoryRateLimiter
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel

__all__ = [
    "BulkSummary",
    "default_record",
    "done_ids",
    "quota_rate_limiter",
    "run_bulk",
]

ItemId = str | int
"""Ids are written to JSON and read back, so they are strings or integers."""


@dataclass
class BulkSummary:
    """What a run did: ``answered`` now, ``skipped`` as already done, ``failed``."""

    answered: int = 0
    skipped: int = 0
    failed: dict[ItemId, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing failed (every item is now in the file)."""
        return not self.failed


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
) -> BulkSummary:
    """Answer every ``(id, input)`` not yet in ``path``, appending as they complete.

    ``max_concurrency`` caps requests in flight; inputs are taken ``window``
    at a time so a million-item iterable never becomes a million tasks.
    Each answer becomes ``{"id": id, **to_record(output)}`` on its own line.
    Exceptions are collected in ``BulkSummary.failed`` (id -> message) and not
    written, so the next run with the same file asks for them again.
    """
    if max_concurrency < 1 or window < 1:
        raise ValueError("max_concurrency and window must be at least 1")
    file = Path(path)
    summary = BulkSummary()
    done = done_ids(file)
    total = max(0, len(items) - len(done)) if isinstance(items, Sized) else None
    bar = progress_bar(progress, total)
    run_config: RunnableConfig = {**(config or {}), "max_concurrency": max_concurrency}
    pending = pending_items(items, done, summary)
    try:
        with file.open("a", encoding="utf-8") as handle:
            while chunk := list(islice(pending, window)):
                ids = [item_id for item_id, _ in chunk]
                inputs = [value for _, value in chunk]
                async for index, output in runnable.abatch_as_completed(
                    inputs, run_config, return_exceptions=True
                ):
                    if isinstance(output, Exception):
                        summary.failed[ids[index]] = (
                            f"{type(output).__name__}: {output}"
                        )
                    else:
                        append_line(handle, {"id": ids[index], **to_record(output)})
                        summary.answered += 1
                    bar.update(1)
    finally:
        bar.close()
    return summary
