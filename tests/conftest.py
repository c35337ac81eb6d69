"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from langchain_cometgemini.testing import GeminiEmulator


@pytest.fixture
def emulator() -> Iterator[GeminiEmulator]:
    """A started loopback Gemini emulator, stopped after the test."""
    with GeminiEmulator() as emu:
        yield emu
