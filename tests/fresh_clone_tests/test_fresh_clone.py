"""Make targets and the emulator's command line as a newcomer meets them.

The repository's HEAD is cloned into a temporary directory (``git clone``:
committed files only, no venv, no caches) and each step runs there, without
``COMETAPI_KEY``. Slow (venvs, package installs from the registry), so not
part of ``make test``: ``make test-fresh-clone`` runs them. The demo's timing
is printed (``-s``), never asserted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

# No key, no base URL: what a newcomer has.
ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in ("COMETAPI_KEY", "COMETAPI_BASE_URL", "PYTHONPATH", "VIRTUAL_ENV")
}


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    dest = tmp_path_factory.mktemp("fresh") / "langchain-cometgemini"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    return dest


def make(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", *args], cwd=clone, env=ENV, capture_output=True, text=True, check=False
    )


def test_bare_make_lists_the_targets_and_creates_nothing(clone: Path) -> None:
    done = make(clone)
    assert done.returncode == 0, done.stderr
    assert not (clone / ".venv").exists()
    phony = re.search(r"^\.PHONY: (.*)$", (clone / "Makefile").read_text(), re.M)
    assert phony is not None
    listed = {line.split()[0] for line in done.stdout.splitlines()[2:] if line.strip()}
    assert listed == set(phony.group(1).split())
    assert make(clone, "help").stdout == done.stdout


def test_make_demo_runs_offline_and_leaves_a_venv_that_imports_the_package(
    clone: Path,
) -> None:
    start = time.monotonic()
    proc = subprocess.Popen(
        ["make", "demo"],
        cwd=clone,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    first_line_after = None
    output = []
    for line in proc.stdout:
        output.append(line)
        if first_line_after is None and line.startswith("COMETAPI_KEY is not set"):
            first_line_after = time.monotonic() - start
    assert proc.wait() == 0, "".join(output)
    print(
        f"\nmake demo on a fresh clone: first line after {first_line_after:.1f} s, "
        f"done after {time.monotonic() - start:.1f} s"
    )
    text = "".join(output)
    assert "OFFLINE" in text
    assert "Done." in text

    python = str(clone / ".venv" / "bin" / "python")
    # The package imports from any directory, with no PYTHONPATH.
    where = subprocess.run(
        [python, "-c", "import langchain_cometgemini as p; print(p.__file__)"],
        cwd=clone.parent,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(clone))

    # The README's next command, in that venv.
    cli = [python, "-m", "langchain_cometgemini.testing"]
    quickstart = subprocess.run(
        [*cli, "--", python, "examples/quickstart.py"],
        cwd=clone,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert quickstart.returncode == 0, quickstart.stderr
    assert quickstart.stdout.splitlines()[0] == "Echo: What is the capital of France?"

    usage = subprocess.run(
        [*cli, "--help"],
        cwd=clone,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    assert usage.returncode == 0
    assert "--port" in usage.stdout


def test_the_emulator_cli_runs_from_the_clone(clone: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "langchain_cometgemini.testing", "--help"],
        cwd=clone,
        env={**ENV, "PYTHONPATH": str(clone)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "-- COMMAND" in done.stdout
