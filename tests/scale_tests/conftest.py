"""Scale tests: the bulk recipes over hundreds of prompts, with injected faults.

Loopback only. Ray runs as a local 2-CPU instance on 127.0.0.1 without its
dashboard, started once for the session; its workers inherit
``COMETAPI_BASE_URL`` / ``COMETAPI_KEY`` (pointing at the session's emulator)
from this process, as they would from a node's environment.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from langchain_cometgemini.testing import GeminiEmulator, RecordedRequest, Reply


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.allow_hosts(["127.0.0.1", "::1", "localhost"]))


class Faults:
    """A responder failing some prompts' first attempts, and counting attempts.

    Prompt ``i`` (its text ends in `` #i``) gets: ``i % 10 == 3`` a 429 with
    ``Retry-After``; ``i % 10 == 7`` a 503 with ``Retry-After``; ``i % 50 ==
    11`` a 503 with no hint (exponential backoff). Its next attempt is answered
    by the default responder (``Echo: <prompt>``), after ``delay`` seconds.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.attempts: Counter[str] = Counter()
        self.first_seen: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def fault_for(index: int) -> Reply | None:
        if index % 10 == 3:
            return Reply.rate_limited(retry_after=0.02)
        if index % 10 == 7:
            return Reply.error(503, "The model is overloaded.", retry_after=0.02)
        if index % 50 == 11:
            return Reply.error(503, "The model is overloaded.")
        return None

    def __call__(self, request: RecordedRequest) -> Reply | None:
        text = request.last_user_text
        with self._lock:
            self.attempts[text] += 1
            first = self.attempts[text] == 1
            if first:
                self.first_seen[text] = time.monotonic()
        fault = self.fault_for(int(text.rsplit("#", 1)[1])) if first else None
        if fault is not None:
            return fault
        return Reply.text(f"Echo: {text}").delayed(self.delay) if self.delay else None

    def expected_requests(self, indexes: range) -> int:
        return len(indexes) + sum(self.fault_for(i) is not None for i in indexes)


def prompts(indexes: range) -> list[tuple[int, str]]:
    return [(i, f"Classify item #{i}") for i in indexes]


@pytest.fixture(scope="session")
def scale_emulator() -> Iterator[GeminiEmulator]:
    with GeminiEmulator() as emulator:
        yield emulator


@pytest.fixture
def faults(scale_emulator: GeminiEmulator) -> Iterator[Faults]:
    responder = Faults()
    scale_emulator.reset()
    scale_emulator.respond_with(responder)
    yield responder
    scale_emulator.respond_with(None)


@pytest.fixture(scope="session")
def ray_local(scale_emulator: GeminiEmulator) -> Iterator[None]:
    import ray

    os.environ["COMETAPI_BASE_URL"] = scale_emulator.url
    os.environ["COMETAPI_KEY"] = "test"
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
    )
    try:
        yield
    finally:
        ray.shutdown()
