"""The one-process bulk runner and the Ray actor's logic, without Ray."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.bulk import (
    default_record,
    done_ids,
    quota_rate_limiter,
    run_bulk,
)
from langchain_cometgemini.bulk_ray import GeminiActor
from langchain_cometgemini.testing import GeminiEmulator, RecordedRequest, Reply


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def items(n: int) -> list[tuple[int, str]]:
    return [(i, f"prompt {i}") for i in range(n)]


async def test_every_item_answered_once_in_its_own_record(
    emulator: GeminiEmulator, tmp_path: Path
) -> None:
    llm = ChatCometGemini(base_url=emulator.url, api_key="test")
    out = tmp_path / "out.jsonl"
    summary = await run_bulk(llm, items(40), out, max_concurrency=8, window=7)
    assert (summary.answered, summary.skipped, summary.failed) == (40, 0, {})
    records = lines(out)
    assert sorted(r["id"] for r in records) == list(range(40))
    assert all(r["answer"] == f"Echo: prompt {r['id']}" for r in records)
    assert all(r["usage"]["total_tokens"] > 0 for r in records)  # type: ignore[index]
    assert emulator.max_in_flight <= 8

    again = await run_bulk(llm, items(40), out)
    assert (again.answered, again.skipped) == (0, 40)
    assert len(emulator.requests) == 40  # the rerun sent nothing
    assert len(lines(out)) == 40


async def test_a_torn_last_line_is_cut_and_asked_again(
    emulator: GeminiEmulator, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": 0, "answer": "Echo: prompt 0"}\n{"id": 1, "answ')
    assert done_ids(out) == {0}
    assert out.read_text() == '{"id": 0, "answer": "Echo: prompt 0"}\n'

    llm = ChatCometGemini(base_url=emulator.url, api_key="test")
    summary = await run_bulk(llm, items(3), out)
    assert (summary.answered, summary.skipped) == (2, 1)
    assert sorted(str(r["id"]) for r in lines(out)) == ["0", "1", "2"]
    assert {req.last_user_text for req in emulator.requests} == {
        "prompt 1",
        "prompt 2",
    }


async def test_failures_are_returned_not_written_and_retried_next_run(
    emulator: GeminiEmulator, tmp_path: Path
) -> None:
    def refuse_three(request: RecordedRequest) -> Reply | None:
        if request.last_user_text == "prompt 3":
            return Reply.error(400, "Request contains an invalid argument.")
        return None

    emulator.respond_with(refuse_three)
    llm = ChatCometGemini(base_url=emulator.url, api_key="test", max_retries=0)
    out = tmp_path / "out.jsonl"
    summary = await run_bulk(llm, items(6), out)
    assert not summary.ok
    assert list(summary.failed) == [3]
    assert "invalid argument" in summary.failed[3]
    assert 3 not in done_ids(out) and len(done_ids(out)) == 5

    emulator.respond_with(None)
    emulator.reset()
    summary = await run_bulk(llm, items(6), out)
    assert (summary.answered, summary.skipped, summary.ok) == (1, 5, True)
    assert [r.last_user_text for r in emulator.requests] == ["prompt 3"]


async def test_structured_output_writes_the_parsed_object(
    emulator: GeminiEmulator, tmp_path: Path
) -> None:
    class Label(BaseModel):
        label: str

    emulator.queue(Reply.text('{"label": "positive"}'))
    llm = ChatCometGemini(base_url=emulator.url, api_key="test")
    out = tmp_path / "out.jsonl"
    await run_bulk(llm.with_structured_output(Label), [("a", "great!")], out)
    assert lines(out) == [{"id": "a", "answer": {"label": "positive"}}]


async def test_bad_input_is_refused_by_name(tmp_path: Path) -> None:
    llm = ChatCometGemini(base_url="http://127.0.0.1:9", api_key="test")
    with pytest.raises(ValueError, match="'x' appears twice"):
        await run_bulk(llm, [("x", "a"), ("x", "b")], tmp_path / "o.jsonl")
    with pytest.raises(ValueError, match="ids must be str or int"):
        await run_bulk(llm, [(1.5, "a")], tmp_path / "o.jsonl")  # type: ignore[list-item]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2 is not a result line"):
        done_ids(bad)


def test_quota_is_split_across_workers() -> None:
    assert quota_rate_limiter(6000).requests_per_second == 100
    assert quota_rate_limiter(6000, workers=4).requests_per_second == 25
    with pytest.raises(ValueError, match="requests_per_minute must be positive"):
        quota_rate_limiter(0)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        quota_rate_limiter(60, workers=0)


def test_default_record_keeps_plain_values() -> None:
    assert default_record({"k": 1}) == {"answer": {"k": 1}}


def test_ray_actor_answers_a_batch_in_order(emulator: GeminiEmulator) -> None:
    def refuse_b(request: RecordedRequest) -> Reply | None:
        if request.last_user_text == "b":
            return Reply.error(400, "bad prompt")
        return None

    emulator.respond_with(refuse_b)
    actor = GeminiActor(
        {"base_url": emulator.url, "api_key": "test", "max_retries": 0},
        requests_per_minute=60_000,
        num_actors=2,
        max_concurrency=2,
    )
    assert actor.llm.rate_limiter is not None
    out = actor({"id": ["i1", "i2", "i3"], "prompt": ["a", "b", "c"]})
    assert out["id"] == ["i1", "i2", "i3"]
    assert json.loads(out["record"][0])["answer"] == "Echo: a"
    assert json.loads(out["record"][2])["answer"] == "Echo: c"
    assert out["record"][1] == "" and "bad prompt" in out["error"][1]
    assert out["error"][0] == out["error"][2] == ""
    # A bad request is an error no retry can fix (run_on_ray counts those).
    assert out["unfixable"] == [False, True, False]


def test_ray_module_imports_without_ray() -> None:
    code = (
        "import sys; import langchain_cometgemini.bulk_ray; print('ray' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"
