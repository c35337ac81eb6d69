"""Bulk jobs under interruption and failure.

Ctrl-C and SIGTERM end a script's run cleanly (subprocesses receive real
signals); a run meeting errors no retry can fix stops early and says why; a
missing optional dependency names its extra.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.bulk import (
    BulkSummary,
    record_failure,
    run_bulk,
    run_bulk_sync,
)
from langchain_cometgemini.testing import GeminiEmulator, RecordedRequest, Reply

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.bulk import run_bulk_sync
from langchain_cometgemini.testing import GeminiEmulator, Reply

with GeminiEmulator(lambda request: Reply.text("ok").delayed(0.05)) as emulator:
    llm = ChatCometGemini(base_url=emulator.url, api_key="k")
    items = [(i, f"prompt {i}") for i in range(200)]
    summary = run_bulk_sync(llm, items, sys.argv[1], max_concurrency=4)
    print("finished", summary.answered)
"""


def lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_until(condition: Any, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)]
)
def test_a_signal_ends_the_script_cleanly_and_a_rerun_resumes(
    tmp_path: Path, signum: int, status: int
) -> None:
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    answers = tmp_path / "answers.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default"}
    job = subprocess.Popen(
        [sys.executable, str(script), str(answers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_until(lambda: len(lines(answers)) >= 8)
        job.send_signal(signum)
        out, err = job.communicate(timeout=60)
    finally:
        job.kill()
    written = lines(answers)
    assert job.returncode == status, err
    assert "finished" not in out
    assert f"{len(written)} answers written to {answers}; rerun to resume" in err
    assert "Traceback" not in err
    assert "never awaited" not in err
    assert len(written) < 200

    # The rerun sends only what is missing and completes the file.
    with GeminiEmulator() as emulator:
        llm = ChatCometGemini(base_url=emulator.url, api_key="k")
        items = [(i, f"prompt {i}") for i in range(200)]
        summary = run_bulk_sync(llm, items, answers, max_concurrency=16)
    assert (summary.skipped, summary.answered) == (len(written), 200 - len(written))
    assert len(emulator.requests) == 200 - len(written)
    assert sorted(line["id"] for line in lines(answers)) == list(range(200))


async def test_cancelled_run_says_what_is_safe_and_leaves_nothing_unawaited(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    answers = tmp_path / "answers.jsonl"
    with GeminiEmulator(lambda request: Reply.text("ok").delayed(0.05)) as emulator:
        llm = ChatCometGemini(base_url=emulator.url, api_key="k")
        items = [(i, f"prompt {i}") for i in range(200)]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            task = asyncio.ensure_future(
                run_bulk(llm, items, answers, max_concurrency=4)
            )
            while len(lines(answers)) < 5:
                await asyncio.sleep(0.02)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
    written = len(lines(answers))
    assert f"Interrupted: {written} answers written to {answers}" in caplog.text
    assert "rerun to resume" in caplog.text


# -- errors no retry can fix --------------------------------------------------


def test_wrong_key_stops_the_run_early_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="langchain_cometgemini.bulk")
    with GeminiEmulator(api_key="the-right-key") as emulator:
        llm = ChatCometGemini(base_url=emulator.url, api_key="wrong", max_retries=0)
        items = [(i, f"prompt {i}") for i in range(200)]
        summary = run_bulk_sync(
            llm, items, tmp_path / "a.jsonl", max_concurrency=4, stop_after=5
        )
    assert summary.stopped is not None
    assert "API key not valid" in summary.stopped
    assert not summary.ok
    assert len(emulator.requests) < 5 + 4  # not 200
    assert "Stopped early" in caplog.text
    assert "API key not valid" in caplog.text


def test_unknown_model_stops_the_run_early(tmp_path: Path) -> None:
    with GeminiEmulator() as emulator:
        llm = ChatCometGemini(
            base_url=emulator.url, api_key="k", model="gemini-2.5-flsh"
        )
        items = [(i, f"prompt {i}") for i in range(100)]
        summary = run_bulk_sync(llm, items, tmp_path / "a.jsonl", max_concurrency=2)
    assert summary.stopped is not None
    assert "GeminiNotFoundError" in summary.stopped
    assert len(emulator.requests) < 10


def _every_other_refused(request: RecordedRequest) -> Reply | None:
    number = int(request.last_user_text.split()[-1])
    return Reply.error(400, "Bad prompt.") if number % 2 else None


def test_failures_between_answers_do_not_stop_the_run(tmp_path: Path) -> None:
    with GeminiEmulator(_every_other_refused) as emulator:
        llm = ChatCometGemini(base_url=emulator.url, api_key="k", max_retries=0)
        items = [(i, f"prompt {i}") for i in range(40)]
        summary = run_bulk_sync(llm, items, tmp_path / "a.jsonl", max_concurrency=1)
    assert summary.stopped is None
    assert (summary.answered, len(summary.failed)) == (20, 20)


def test_a_context_overflow_is_one_prompts_problem(tmp_path: Path) -> None:
    overflow = Reply.error(
        400, "The input token count exceeds the maximum number of tokens allowed."
    )
    with GeminiEmulator(lambda request: overflow) as emulator:
        llm = ChatCometGemini(base_url=emulator.url, api_key="k", max_retries=0)
        items = [(i, f"prompt {i}") for i in range(12)]
        summary = run_bulk_sync(llm, items, tmp_path / "a.jsonl", max_concurrency=2)
    assert summary.stopped is None
    assert len(summary.failed) == 12


def test_the_streak_rule_run_bulk_and_run_on_ray_share() -> None:
    """``record_failure`` is the whole stop rule of both runners (Ray's own
    path needs a cluster): a fixable failure starts the count again, the
    ``stop_after``-th unfixable one in a row stops the run, naming it."""
    summary = BulkSummary()
    streak = 0
    for item_id, fatal in [(1, True), (2, True), (3, False), (4, True), (5, True)]:
        streak = record_failure(
            summary,
            item_id,
            f"error {item_id}",
            fatal=fatal,
            streak=streak,
            stop_after=3,
        )
    assert (streak, summary.stopped) == (2, None)
    assert summary.failed == {i: f"error {i}" for i in range(1, 6)}
    streak = record_failure(
        summary, 6, "error 6", fatal=True, streak=streak, stop_after=3
    )
    assert summary.stopped == (
        "3 requests in a row failed with an error no retry can fix; the last: error 6"
    )
    record_failure(summary, 7, "error 7", fatal=True, streak=streak, stop_after=3)
    assert summary.stopped is not None and summary.stopped.endswith("error 6")
    assert not summary.ok


# -- optional dependencies ----------------------------------------------------


def test_missing_ray_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from langchain_cometgemini.bulk_ray import run_on_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "ray.data", raising=False)
    with pytest.raises(
        ImportError, match=r'pip install "langchain-cometgemini\[ray\]"'
    ):
        run_on_ray([(1, "hi")], tmp_path / "a.jsonl", {"api_key": "k"})


def test_missing_tqdm_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.delitem(sys.modules, "tqdm.auto", raising=False)
    llm = ChatCometGemini(base_url="http://127.0.0.1:9", api_key="k")
    with pytest.raises(
        ImportError, match=r'pip install "langchain-cometgemini\[bulk\]"'
    ):
        run_bulk_sync(llm, [(1, "hi")], tmp_path / "a.jsonl", progress=True)


def test_agents_extra_and_its_docs_line() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    extra = pyproject.split("\nagents = [", 1)[1].split("]", 1)[0]
    assert '"langchain' in extra
    assert '"langgraph' in extra
    agents_doc = (ROOT / "docs" / "agents.md").read_text()
    assert 'pip install "langchain-cometgemini[agents]"' in agents_doc
