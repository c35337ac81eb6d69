"""Request bodies checked against google-genai's types (a test-only dependency).

The package builds REST JSON by hand; google-genai's pydantic types accept
the same camelCase shapes, so each piece of a body a test asserts is also
validated by them: a wrong field name or shape fails here, not in service.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from google.genai import types as genai
from packaging.version import Version
from pydantic import BaseModel, ValidationError

from tests.locks import pins

STRICT = Version(version("google-genai")) >= Version(pins("dev.txt")["google-genai"])
"""False on the floor run of ``make test-deps``: pydantic 2.10 holds
google-genai to a release that predates the newest request fields."""


def check(model: type[BaseModel], data: Any) -> None:
    """Validate ``data`` as ``model``.

    With a google-genai older than the locked one, a field it does not know
    yet (``extra_forbidden``) is not an error: that release cannot speak of
    it. Every other error counts everywhere, and the locked and newest
    google-genai (``make test``, the newest run) know every field we send.
    """
    try:
        model.model_validate(data)
    except ValidationError as error:
        if STRICT or any(e["type"] != "extra_forbidden" for e in error.errors()):
            raise


def validated(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` after checking its contents, tools, tool config, generation
    config and the top-level ``serviceTier`` / ``labels`` / ``continuationToken``
    (which the SDK keeps in ``GenerateContentConfig`` and moves to the top level).
    """
    for turn in body.get("contents", []):
        check(genai.Content, turn)
    if "systemInstruction" in body:
        check(genai.Content, body["systemInstruction"])
    for entry in body.get("tools", []):
        check(genai.Tool, entry)
    check(genai.ToolConfig, body.get("toolConfig", {}))
    check(genai.GenerateContentConfig, body.get("generationConfig", {}))
    top = {
        k: body[k] for k in ("serviceTier", "labels", "continuationToken") if k in body
    }
    check(genai.GenerateContentConfig, top)
    if "serviceTier" in body and STRICT:
        config = genai.GenerateContentConfig.model_validate(top)
        assert config.service_tier == genai.ServiceTier(body["serviceTier"])
    return body
