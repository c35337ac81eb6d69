"""A loopback Gemini-protocol server for tests: ``GeminiEmulator``.

It speaks the REST shape of the service on 127.0.0.1 (an ephemeral port), so
``ChatCometGemini(base_url=emulator.url, api_key="test")`` is all a test
needs. Answers are scripted (queued, or chosen by a function of the request),
replayed from a recording, or made up by a default responder that answers any
request plausibly. Every request is recorded for assertions; malformed ones
get a 400 in the service's own words. Guide: docs/testing.md.
"""

from __future__ import annotations

from collections.abc import Iterator

from langchain_cometgemini.testing._fill import instance_of
from langchain_cometgemini.testing._replies import MODEL as MODEL
from langchain_cometgemini.testing._replies import PCM_MIME as PCM_MIME
from langchain_cometgemini.testing._replies import PCM_TONE as PCM_TONE
from langchain_cometgemini.testing._replies import PNG_1X1 as PNG_1X1
from langchain_cometgemini.testing._replies import Reply
from langchain_cometgemini.testing._requests import RecordedRequest, default_reply
from langchain_cometgemini.testing._requests import Responder as Responder
from langchain_cometgemini.testing._requests import validate as validate
from langchain_cometgemini.testing._server import GeminiEmulator

__all__ = [
    "GeminiEmulator",
    "RecordedRequest",
    "Reply",
    "default_reply",
    "gemini_emulator",
    "instance_of",
]


try:  # The fixture exists only where pytest does (it is not a dependency).
    import pytest
except ImportError:  # pragma: no cover
    pass
else:

    @pytest.fixture
    def gemini_emulator() -> Iterator[GeminiEmulator]:
        """Pytest fixture: a started :class:`GeminiEmulator`, stopped afterwards.

        Import it into a ``conftest.py``:
        ``from langchain_cometgemini.testing import gemini_emulator``.
        """
        with GeminiEmulator() as emulator:
            yield emulator
