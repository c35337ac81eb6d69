"""The one-process recipe at scale: faults retried, a crash, a resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.bulk import run_bulk
from langchain_cometgemini.testing import GeminiEmulator
from tests.scale_tests.conftest import Faults, prompts

N = 400


def assert_each_once(path: Path, indexes: range) -> None:
    """Every prompt answered exactly once, each answer in its own record."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    ids = [r["id"] for r in records]
    assert sorted(ids) == list(indexes), "an id missing or written twice"
    for record in records:
        assert record["answer"] == f"Echo: Classify item #{record['id']}"


async def test_hundreds_of_prompts_with_429s_and_503s(
    scale_emulator: GeminiEmulator, faults: Faults, tmp_path: Path
) -> None:
    llm = ChatCometGemini(base_url=scale_emulator.url, api_key="test", max_retries=3)
    out = tmp_path / "answers.jsonl"
    summary = await run_bulk(llm, prompts(range(N)), out, max_concurrency=32)

    assert summary.failed == {} and summary.answered == N
    assert_each_once(out, range(N))
    assert len(scale_emulator.requests) == faults.expected_requests(range(N))
    retried = {t for t, n in faults.attempts.items() if n == 2}
    assert len(retried) == faults.expected_requests(range(N)) - N > 80
    assert scale_emulator.max_in_flight <= 32


CRASHING_RUN = """
import asyncio, sys
from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.bulk import run_bulk
from tests.scale_tests.conftest import prompts

llm = ChatCometGemini(base_url=sys.argv[1], api_key="test", max_retries=3)
asyncio.run(run_bulk(llm, prompts(range(int(sys.argv[3]))), sys.argv[2],
                     max_concurrency=8))
"""


async def test_a_killed_run_resumes_without_loss_or_repeat(
    scale_emulator: GeminiEmulator, faults: Faults, tmp_path: Path
) -> None:
    faults.delay = 0.02  # slow answers, so the kill lands mid-run
    out = tmp_path / "answers.jsonl"
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_RUN, scale_emulator.url, str(out), str(N)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        deadline = time.monotonic() + 60
        while not out.exists() or out.read_text().count("\n") < 100:
            assert child.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    # Every line ended by a newline is whole; what follows the last one (if
    # anything) is a line the kill tore.
    *whole, _torn = out.read_text().split("\n")
    written = {json.loads(line)["id"] for line in whole}
    assert 100 <= len(written) < N
    scale_emulator.requests.clear()
    faults.delay = 0.0
    llm = ChatCometGemini(base_url=scale_emulator.url, api_key="test", max_retries=3)
    summary = await run_bulk(llm, prompts(range(N)), out, max_concurrency=32)

    assert summary.failed == {}
    assert summary.answered + summary.skipped == N
    assert summary.skipped >= len(written)
    assert_each_once(out, range(N))
    asked_again = {r.last_user_text for r in scale_emulator.requests}
    assert not asked_again & {f"Classify item #{i}" for i in written}
