"""The README's quickstart runs as printed: the file it names, and the command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_quickstart_block_is_the_example_file() -> None:
    block = re.search(
        r"This is `examples/quickstart.py`:\n\n```python\n(.*?)```", README, re.S
    )
    assert block is not None, "README must show examples/quickstart.py"
    assert block.group(1) == (ROOT / "examples" / "quickstart.py").read_text()


def test_offline_command_runs_the_quickstart_against_the_emulator() -> None:
    command = "python -m langchain_cometgemini.testing python examples/quickstart.py"
    assert f"```bash\n{command}\n```" in README
    argv = [sys.executable if word == "python" else word for word in command.split()]
    done = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()[:2]
    assert first == "Echo: What is the capital of France?"
    assert second == "Echo: Write a haiku about the sea."
    assert "SCRIPTED" in done.stderr


def test_the_emulator_command_prints_the_exports_to_paste() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "langchain_cometgemini.testing"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        key = proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert re.fullmatch(r"export COMETAPI_BASE_URL=http://127\.0\.0\.1:\d+", url)
    assert key == "export COMETAPI_KEY=test"


def test_make_demo_installs_exactly_the_runtime_dependencies() -> None:
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    runtime = {r for r in requires("langchain-cometgemini") or [] if ";" not in r}
    plan = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", ".venv/.installed-demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The last install of the plan is the demo's (the venv's own pip and
    # setuptools come first when .venv does not exist yet).
    install = [line for line in plan.splitlines() if "pip install" in line][-1]

    def parsed(specs: set[str]) -> set[tuple[str, str]]:
        return {(Requirement(s).name, str(Requirement(s).specifier)) for s in specs}

    assert parsed(set(re.findall(r'"([^"]+)"', install))) == parsed(runtime)
