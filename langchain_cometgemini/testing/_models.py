"""Which paths and model ids the emulator answers, as strictly as the service.

The service answers 404 to a model id it does not serve (``gemini-2.5-flsh``,
``gpt-4o`` on the Gemini endpoint) and to a path that is not
``/v1beta/models/{model}:{method}`` (a ``base_url`` ending in ``/v1`` sends
``/v1/v1beta/...``). An emulator that answered those would let the commonest
real mistakes pass every offline test.

A model id is known by family rule, not from a closed list, so ids Google
ships later pass without a release: the package's profile table
(``_profiles``), the ``gemini-{flash,flash-lite,pro}-latest`` aliases, and any
``gemini-<version>-<tier>...`` whose tier is a model tier (``flash``,
``pro``, ...) or, from Gemini 4 on, a code name (``gemini-4-argon``) that is
not a misspelt tier.
"""

from __future__ import annotations

import difflib
import re

from langchain_cometgemini._profiles import PROFILES, canonical_id
from langchain_cometgemini.testing._replies import Reply

__all__ = ["known_model", "path_error", "unknown_model_error"]

_TIERS = ("flash", "pro", "ultra", "nano", "lite", "computer", "embedding", "live")
_LATEST = re.compile(r"^gemini-(?:flash|flash-lite|pro)-latest$")
_VERSIONED = re.compile(r"^gemini-(?P<major>\d+)(?:\.\d+)?-(?P<tier>[a-z]+)(?:-|$)")
_PATH = re.compile(r"^/v1beta/models/[^/:?]+:[A-Za-z]+(?:\?.*)?$")


def known_model(model: str) -> bool:
    """Whether the service would serve ``model`` (see the module docstring)."""
    name = model.strip().lower()
    if canonical_id(name) in PROFILES or _LATEST.match(name):
        return True
    found = _VERSIONED.match(name)
    if found is None:
        return False
    tier = found["tier"]
    if tier in _TIERS:
        return True
    # From Gemini 4 on, a code name; but "flsh" is a typo of "flash".
    misspelt = difflib.get_close_matches(tier, _TIERS, n=1, cutoff=0.6)
    return int(found["major"]) >= 4 and not misspelt


def unknown_model_error(model: str, action: str) -> Reply:
    """The service's 404 for a model id it does not serve, in its words."""
    return Reply.error(
        404,
        f"models/{model} is not found for API version v1beta, or is not "
        f"supported for {action}. Call ListModels to see the list of available "
        "models and their supported methods.",
        status_text="NOT_FOUND",
    )


def path_error(path: str) -> Reply | None:
    """A 404 for a path that is not ``/v1beta/models/{model}:{method}``."""
    if _PATH.match(path):
        return None
    return Reply.error(
        404,
        f"The requested URL {path.split('?', 1)[0]} was not found on this server. "
        "Gemini's REST paths are /v1beta/models/{model}:{method}; base_url is "
        "the service root, without /v1 or /v1beta.",
        status_text="NOT_FOUND",
    )
