"""Integration tests: live ones need ``COMETAPI_KEY``; offline ones use the emulator.

Tests marked ``live`` are skipped with the reason "COMETAPI_KEY not set" when
the key is absent, so ``make test`` collects them and reports clean skips.
"""

from __future__ import annotations

import os

import pytest

# Imported so that tests here can ask for the ``gemini_emulator`` fixture, the
# same way a user's conftest.py would.
from langchain_cometgemini.testing import gemini_emulator

__all__ = ["gemini_emulator"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    has_key = bool(os.environ.get("COMETAPI_KEY"))
    skip = pytest.mark.skip(reason="COMETAPI_KEY not set")
    for item in items:
        if item.get_closest_marker("live") is None:
            item.add_marker(pytest.mark.allow_hosts(["127.0.0.1", "::1", "localhost"]))
        elif not has_key:
            item.add_marker(skip)
