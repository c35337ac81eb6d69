"""The emulator's command line: ``python -m langchain_cometgemini.testing``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.raw_http import free_port

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "langchain_cometgemini.testing"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
PRINT_URL = [
    "--",
    sys.executable,
    "-c",
    "import os; print(os.environ['COMETAPI_BASE_URL'], os.environ['COMETAPI_KEY'])",
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=ENV, capture_output=True, text=True, timeout=60, check=False
    )


def test_help_lists_the_options_and_exits_cleanly() -> None:
    done = run("--help")
    assert done.returncode == 0, done.stderr
    for option in ("--host", "--port", "--any-model", "-- COMMAND"):
        assert option in done.stdout
    assert "Traceback" not in done.stderr


def test_a_command_after_dashes_runs_on_the_chosen_port() -> None:
    port = free_port()
    done = run("--port", str(port), *PRINT_URL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [f"http://127.0.0.1:{port}", "test"]


def test_the_command_status_is_the_exit_status() -> None:
    done = run("--", sys.executable, "-c", "raise SystemExit(7)")
    assert done.returncode == 7


def test_a_command_without_dashes_still_runs() -> None:
    done = run(*PRINT_URL[1:])
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+ test\n", done.stdout)


def test_a_command_that_does_not_exist_is_named() -> None:
    done = run("--", "no-such-command-xyz")
    assert done.returncode == 127
    assert "no-such-command-xyz" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["--bogus"], ["--port", "eighty"], ["--port", "-1"]])
def test_bad_options_get_usage_not_a_traceback(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_said_plainly() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        done = run("--port", str(busy.getsockname()[1]), *PRINT_URL)
    assert done.returncode == 2
    assert "Pick another --port" in done.stderr
    assert "Traceback" not in done.stderr


def test_serving_prints_exports_for_the_port_and_stops_on_ctrl_c() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "--port", str(port)],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        key = proc.stdout.readline().strip()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert url == f"export COMETAPI_BASE_URL=http://127.0.0.1:{port}"
    assert key == "export COMETAPI_KEY=test"
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_any_model_answers_other_ids() -> None:
    script = (
        "from langchain_cometgemini import ChatCometGemini; "
        "print(ChatCometGemini(model='my-relay-alias').invoke('hi').text)"
    )
    strict = run("--", sys.executable, "-c", script)
    assert strict.returncode != 0
    assert "GeminiNotFoundError" in strict.stderr
    opened = run("--any-model", "--", sys.executable, "-c", script)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == "Echo: hi"


# -- the Makefile (fast checks in this tree; tests/fresh_clone_tests runs it) --------


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_bare_make_is_help_and_would_create_nothing() -> None:
    dry = _make("-n")
    assert dry.returncode == 0
    assert "venv" not in dry.stdout.replace("creates .venv", "")
    shown = _make("help").stdout
    for target in ("demo", "test", "install", "lock", "clean", "test-fresh-clone"):
        assert re.search(rf"^  {re.escape(target)} ", shown, re.M), target


def test_make_demo_leaves_a_venv_that_imports_the_package() -> None:
    plan = _make("-n", "-W", "pyproject.toml", "demo").stdout
    assert ".pth" in plan and "purelib" in plan  # the source tree on its path
    run_line = next(line for line in plan.splitlines() if "demo" in line.split()[-1])
    assert "PYTHONPATH" not in run_line
