"""langchain-tests' standard unit suite for ``ChatCometGemini``.

The snapshot of ``test_serdes`` (``__snapshots__/test_standard.ambr``) holds
the key only as a reference to ``COMETAPI_KEY``, never its value.
``test_no_overrides_DO_NOT_OVERRIDE`` forbids overriding standard tests, so
the one adaptation (see ``_trust_our_class``) is a fixture, not an override.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests

from tests.standard import StandardFlags

# ``langchain_core.load.load`` is shadowed by the function of that name.
lc_load = importlib.import_module("langchain_core.load.load")

ENV_KEY = "sk-standard-suite-key-3141"
_PATH = ("langchain_cometgemini", "chat_models", "ChatCometGemini")


@pytest.fixture(autouse=True)
def _trust_our_class(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let ``load(..., allowed_objects="all")`` build ``ChatCometGemini``.

    langchain-core (>= 1.2) limits ``"all"`` to the classes in its own
    serialisation mapping, so the unchanged upstream ``test_serdes`` cannot
    load any third-party model. Registering our class path for this module's
    tests (the list is restored afterwards) lets that test run as written;
    it still checks the snapshot and that the reloaded model equals the
    original.
    """
    monkeypatch.setitem(lc_load.ALL_SERIALIZABLE_MAPPINGS, _PATH, _PATH)
    monkeypatch.setattr(lc_load, "_default_class_paths_cache", {})
    yield


class TestChatCometGeminiStandard(StandardFlags, ChatModelUnitTests):
    """Standard unit tests: construction, env init, tools, structured output,
    serdes; the flags are those of the integration suites (``StandardFlags``).
    """

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # The same key as the env one, so test_serdes' reload (secrets from
        # env) compares equal to the original model.
        return {"model": "gemini-2.5-flash", "api_key": ENV_KEY}

    @property
    def init_from_env_params(
        self,
    ) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {
                "COMETAPI_KEY": ENV_KEY,
                "COMETAPI_BASE_URL": "https://proxy.example.test",
            },
            {"model": "gemini-2.5-pro"},
            {
                "api_key": ENV_KEY,
                "base_url": "https://proxy.example.test",
                "model": "gemini-2.5-pro",
            },
        )
