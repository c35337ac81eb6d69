"""Module-scoped emulator fixtures: one server per test module, checked per test.

Import both names into a test module to use them in place of the
function-scoped ``emulator`` of ``tests/conftest.py``:
``from tests.shared_emulator import emulator, shared_emulator``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from langchain_cometgemini.testing import GeminiEmulator


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[GeminiEmulator]:
    """One server for the whole module."""
    with GeminiEmulator() as emu:
        yield emu


@pytest.fixture
def emulator(shared_emulator: GeminiEmulator) -> Iterator[GeminiEmulator]:
    """The shared emulator with no recorded requests; every queued reply used."""
    shared_emulator.requests.clear()
    yield shared_emulator
    leftover = len(shared_emulator._queue)
    shared_emulator._queue.clear()
    assert leftover == 0, f"{leftover} scripted replies were never requested"
