"""The Ray Data recipe on a local 2-CPU Ray: faults retried, quota split, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_cometgemini.bulk_ray import run_on_ray
from langchain_cometgemini.testing import GeminiEmulator
from tests.scale_tests.conftest import Faults, prompts
from tests.scale_tests.test_bulk_scale import assert_each_once
from tests.unit_tests.test_docs import ROOT, blocks, run_block

N = 300
MODEL = {"model": "gemini-2.5-flash", "max_retries": 3}  # key and URL: from env


@pytest.mark.usefixtures("ray_local")
def test_hundreds_of_prompts_across_two_actors(
    scale_emulator: GeminiEmulator, faults: Faults, tmp_path: Path
) -> None:
    out = tmp_path / "answers.jsonl"
    # 12,000 a minute is 200/s for the account, 100/s for each of 2 actors.
    summary = run_on_ray(
        prompts(range(N)),
        out,
        MODEL,
        requests_per_minute=12_000,
        num_actors=2,
        batch_size=25,
        max_concurrency=8,
    )

    assert summary.failed == {} and summary.answered == N
    assert_each_once(out, range(N))
    assert len(scale_emulator.requests) == faults.expected_requests(range(N))
    assert max(faults.attempts.values()) == 2
    # The quota holds across actors: 300 first attempts at <= 200/s (buckets
    # of 10 tokens each aside) take >= 1.4 s; unsplit, 2 x 200/s would be 0.7 s.
    span = max(faults.first_seen.values()) - min(faults.first_seen.values())
    assert span >= 1.3, f"{N} prompts in {span:.2f}s exceed the 200/s quota"


@pytest.mark.usefixtures("ray_local")
def test_a_rerun_on_ray_skips_what_is_written(
    scale_emulator: GeminiEmulator, faults: Faults, tmp_path: Path
) -> None:
    out = tmp_path / "answers.jsonl"
    first = run_on_ray(prompts(range(100)), out, MODEL, batch_size=20)
    assert (first.answered, first.skipped) == (100, 0)
    scale_emulator.requests.clear()

    second = run_on_ray(prompts(range(N)), out, MODEL, batch_size=20)
    assert (second.answered, second.skipped, second.failed) == (N - 100, 100, {})
    assert_each_once(out, range(N))
    asked = {r.last_user_text for r in scale_emulator.requests}
    assert not asked & {f"Classify item #{i}" for i in range(100)}


def ray_blocks() -> list[str]:
    page = ROOT / "docs" / "bulk.md"
    text = page.read_text()
    return [code for line, code, _ in blocks(page) if f"```python ray\n{code}" in text]


@pytest.mark.usefixtures("ray_local")
def test_the_ray_example_in_docs_runs(
    scale_emulator: GeminiEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scale_emulator.reset()
    monkeypatch.chdir(tmp_path)
    codes = ray_blocks()
    assert codes, "docs/bulk.md should show a ```python ray block"
    for code in codes:
        run_block(code, {"__name__": "__docs__"}, "bulk.md:ray")
    written = Path("summaries.jsonl").read_text().splitlines()
    answers = [json.loads(line) for line in written]
    assert len({a["id"] for a in answers}) == len(answers) == 300
