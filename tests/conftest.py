"""Fixtures shared by unit and integration tests.

``emulator`` is the one emulator fixture of the suite: a loopback
:class:`GeminiEmulator` started once per test module (a server per test would
cost a start and a shutdown each time) and handed to each test as if new: no
recorded requests, no queued answers, no responder, no media. A test that
queues an answer and never asks for it fails, since the answer it scripted is
not the one it checked, unless it is marked ``unserved_replies`` (a test that
proves a reply is never asked for, or that a request is refused before any).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from langchain_cometgemini import _client
from langchain_cometgemini.testing import GeminiEmulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "unserved_replies: the test leaves scripted replies unrequested on purpose",
    )


@pytest.fixture(scope="module")
def _module_emulator() -> Iterator[GeminiEmulator]:
    """One started server for the whole test module."""
    with GeminiEmulator() as emu:
        yield emu


@pytest.fixture
def emulator(
    _module_emulator: GeminiEmulator, request: pytest.FixtureRequest
) -> Iterator[GeminiEmulator]:
    """The module's emulator, reset for this test; every queued answer used."""
    emu = _module_emulator
    emu.reset()
    emu.respond_with(None)
    emu.media.clear()
    emu.media_requests.clear()
    emu.extra_models.clear()
    emu.any_model = False
    yield emu
    leftover = emu.pending
    emu.reset()
    if request.node.get_closest_marker("unserved_replies") is None:
        assert leftover == 0, (
            f"{leftover} scripted replies were never requested (mark the test "
            "`@pytest.mark.unserved_replies` if that is its point)"
        )


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry waits the HTTP drivers were told to sleep; none is slept."""
    waited: list[float] = []

    async def asleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(_client, "time", SimpleNamespace(sleep=waited.append))
    monkeypatch.setattr(
        _client,
        "asyncio",
        SimpleNamespace(sleep=asleep, get_running_loop=asyncio.get_running_loop),
    )
    return waited
