"""Many prompts on many machines: Ray Data, one ``ChatCometGemini`` per actor.

Ray is optional (``pip install "langchain-cometgemini[ray]"``); this module
imports it only when a function here runs, so importing it costs nothing.

- :class:`GeminiActor` is the ``map_batches`` callable class: each actor of
  the pool builds one model (its own connection pool and event loop) whose
  rate limiter holds ``1 / num_actors`` of the account's quota, and answers
  a batch with ``abatch`` under ``max_concurrency``.
- :func:`map_with_gemini` adds that step to any Dataset with ``id`` and
  ``prompt`` columns (read from Parquet, JSONL, ... at any size).
- :func:`run_on_ray` is the one-process recipe's twin: it skips the ids
  already in a JSONL file and appends each answer as its batch reaches the
  driver, so a crashed job resumes where it stopped.

Guide: docs/bulk.md.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

from langchain_cometgemini.bulk import (
    BulkSummary,
    ItemId,
    append_line,
    default_record,
    done_ids,
    logger,
    pending_items,
    progress_bar,
    quota_rate_limiter,
    record_failure,
    unfixable,
)

__all__ = ["GeminiActor", "map_with_gemini", "run_on_ray"]


class GeminiActor:
    """Answers a batch ``{"id": [...], "prompt": [...]}`` with one model per actor.

    Returns ``{"id", "record", "error", "unfixable"}``: ``record`` is the
    JSON text of ``to_record(answer)`` (JSON text keeps Arrow's schema fixed
    whatever the record holds), ``error`` is ``""``, or the error when the
    model's own retries ran out, and ``unfixable`` whether no retry could fix
    it (:func:`langchain_cometgemini.bulk.unfixable`).
    """

    def __init__(
        self,
        model_kwargs: Mapping[str, Any],
        *,
        requests_per_minute: float | None = None,
        num_actors: int = 1,
        max_concurrency: int = 16,
        to_record: Callable[[Any], dict[str, Any]] = default_record,
    ) -> None:
        from langchain_cometgemini.chat_models import ChatCometGemini

        kwargs = dict(model_kwargs)
        if requests_per_minute is not None:
            kwargs["rate_limiter"] = quota_rate_limiter(
                requests_per_minute, workers=num_actors
            )
        self.llm = ChatCometGemini(**kwargs)
        self.max_concurrency = max_concurrency
        self.to_record = to_record
        # One loop for the actor's life: the async client and its pooled
        # connections belong to the loop that made them.
        self.loop = asyncio.new_event_loop()

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, list[Any]]:
        """Answer one batch; row ``i`` of the output belongs to row ``i`` in."""
        ids = _tolist(batch["id"])
        prompts = _tolist(batch["prompt"])
        outputs = self.loop.run_until_complete(
            self.llm.abatch(
                prompts,
                {"max_concurrency": self.max_concurrency},
                return_exceptions=True,
            )
        )
        records, errors, fatal = [], [], []
        for output in outputs:
            if isinstance(output, Exception):
                records.append("")
                errors.append(f"{type(output).__name__}: {output}")
                fatal.append(unfixable(output))
            else:
                records.append(json.dumps(self.to_record(output), ensure_ascii=False))
                errors.append("")
                fatal.append(False)
        return {"id": ids, "record": records, "error": errors, "unfixable": fatal}


def _tolist(column: Any) -> list[Any]:
    """A batch column (numpy array, pandas Series or list) as Python values."""
    return list(column.tolist() if hasattr(column, "tolist") else column)


def map_with_gemini(
    dataset: Any,
    model_kwargs: Mapping[str, Any],
    *,
    requests_per_minute: float | None = None,
    num_actors: int = 2,
    max_concurrency: int = 16,
    batch_size: int = 64,
    num_cpus: float = 0.5,
    to_record: Callable[[Any], dict[str, Any]] = default_record,
) -> Any:
    """``dataset.map_batches`` over a fixed pool of :class:`GeminiActor`.

    The work is network-bound, so an actor asks for ``num_cpus=0.5`` by
    default; ``requests_per_minute`` is the whole account's quota, split
    evenly across the ``num_actors`` actors. Lazy, like every Ray Data step.
    """
    ray_data = _ray_data("map_with_gemini")
    return dataset.map_batches(
        GeminiActor,
        fn_constructor_kwargs={
            "model_kwargs": dict(model_kwargs),
            "requests_per_minute": requests_per_minute,
            "num_actors": num_actors,
            "max_concurrency": max_concurrency,
            "to_record": to_record,
        },
        batch_size=batch_size,
        compute=ray_data.ActorPoolStrategy(size=num_actors),
        num_cpus=num_cpus,
    )


def run_on_ray(
    items: Iterable[tuple[ItemId, str]],
    path: str | Path,
    model_kwargs: Mapping[str, Any],
    *,
    progress: bool = False,
    stop_after: int = 5,
    **options: Any,
) -> BulkSummary:
    """Answer every ``(id, prompt)`` not yet in the JSONL ``path`` on Ray.

    Needs a running Ray (``ray.init()`` or a cluster address). ``options`` go
    to :func:`map_with_gemini`. Lines are written by this driver as output
    batches arrive, so each id is written once even when Ray re-runs a
    batch after losing an actor; failures are returned, not written.
    ``stop_after`` failures in a row that no retry can fix stop the run, as
    in :func:`~langchain_cometgemini.bulk.run_bulk` (``summary.stopped``).
    """
    ray_data = _ray_data("run_on_ray")
    summary = BulkSummary()
    rows = [
        {"id": item_id, "prompt": prompt}
        for item_id, prompt in pending_items(items, done_ids(path), summary)
    ]
    if not rows:
        return summary
    answers = map_with_gemini(ray_data.from_items(rows), model_kwargs, **options)
    bar = progress_bar(progress, len(rows))
    streak = 0  # unfixable failures in a row
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            for batch in answers.iter_batches(batch_size=None, batch_format="numpy"):
                for item_id, record, error, fatal in zip(
                    _tolist(batch["id"]),
                    _tolist(batch["record"]),
                    _tolist(batch["error"]),
                    _tolist(batch["unfixable"]),
                    strict=True,
                ):
                    if error:
                        streak = record_failure(
                            summary,
                            item_id,
                            error,
                            fatal=fatal,
                            streak=streak,
                            stop_after=stop_after,
                        )
                    else:
                        append_line(handle, {"id": item_id, **json.loads(record)})
                        summary.answered += 1
                        streak = 0
                bar.update(len(batch["id"]))
                if summary.stopped:
                    logger.warning(
                        "Stopped early: %s. Fix that and rerun.", summary.stopped
                    )
                    break
    finally:
        bar.close()
    return summary


def _ray_data(what: str) -> Any:
    """``ray.data``, imported by name (Ray is an optional extra, absent where
    mypy runs), or an ``ImportError`` that names the extra to install.
    """
    try:
        return import_module("ray.data")
    except ImportError as exc:
        raise ImportError(
            f'{what} needs Ray Data: pip install "langchain-cometgemini[ray]" ({exc})'
        ) from None
