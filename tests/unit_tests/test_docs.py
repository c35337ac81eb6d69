"""Every ```python block in README.md and docs/*.md runs against the emulator.

Blocks fenced as ```python no-run are skipped (live-only or illustrative);
blocks fenced as ```python ray need a Ray instance and run in
tests/scale_tests (``make test-scale``) instead.
Each block is its own test, run in the namespace left by the blocks before it
on the same page (pages build on earlier examples), with COMETAPI_BASE_URL
pointing at one emulator that uses its default responder, COMETAPI_KEY=test,
and a temporary working directory.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import linecache
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_cometgemini.testing import GeminiEmulator

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(page: Path) -> list[tuple[int, str, bool]]:
    """(line number, code, runnable) for each python block of a page."""
    text = page.read_text()
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        skip = {"no-run", "ray"} & set(match.group(1).split())
        found.append((line, match.group(2), not skip))
    return found


CASES = [
    pytest.param(page, i, id=f"{page.relative_to(ROOT)}:{line}")
    for page in pages()
    if page.exists()
    for i, (line, _, runnable) in enumerate(blocks(page))
    if runnable
]


@pytest.fixture(scope="module")
def docs_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeminiEmulator]:
    with GeminiEmulator() as emulator, pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMETAPI_BASE_URL", emulator.url)
        mp.setenv("COMETAPI_KEY", "test")
        mp.chdir(tmp_path_factory.mktemp("docs"))
        yield emulator


def run_block(code: str, namespace: dict[str, Any], name: str) -> None:
    # Register the source so tracebacks show the failing line of the example.
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    compiled = compile(code, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if compiled.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(compiled, namespace))  # top-level await in the example
    else:
        exec(compiled, namespace)


_namespaces: dict[tuple[Path, int], dict[str, Any]] = {}


def namespace_before(page: Path, index: int) -> dict[str, Any]:
    """Namespace after running the page's runnable blocks before ``index``."""
    if index == 0:
        return {"__name__": "__docs__"}
    key = (page, index)
    if key not in _namespaces:
        namespace = dict(namespace_before(page, index - 1))
        line, code, runnable = blocks(page)[index - 1]
        if runnable:
            # A failure here is reported by that block's own test.
            with contextlib.suppress(Exception):
                run_block(code, namespace, f"{page.name}:{line}")
        _namespaces[key] = namespace
    return _namespaces[key]


@pytest.mark.parametrize(("page", "index"), CASES)
def test_doc_example_runs(docs_env: GeminiEmulator, page: Path, index: int) -> None:
    line, code, _ = blocks(page)[index]
    namespace = dict(namespace_before(page, index))

    # The example's own asserts and any exception it raises decide the test.
    run_block(code, namespace, f"{page.name}:{line}")


def test_docs_have_examples() -> None:
    assert len(CASES) >= 10, "README.md and docs/*.md should show runnable examples"
