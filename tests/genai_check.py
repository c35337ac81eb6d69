"""Request bodies checked against google-genai's types (a test-only dependency).

The package builds REST JSON by hand; google-genai's pydantic types accept
the same camelCase shapes, so each piece of a body a test asserts is also
validated by them: a wrong field name or shape fails here, not in service.
"""

from __future__ import annotations

from typing import Any

from google.genai import types as genai


def validated(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` after checking its contents, tools, tool config, generation
    config and the top-level ``serviceTier`` / ``labels`` / ``continuationToken``
    (which the SDK keeps in ``GenerateContentConfig`` and moves to the top level).
    """
    for turn in body.get("contents", []):
        genai.Content.model_validate(turn)
    if "systemInstruction" in body:
        genai.Content.model_validate(body["systemInstruction"])
    for entry in body.get("tools", []):
        genai.Tool.model_validate(entry)
    genai.ToolConfig.model_validate(body.get("toolConfig", {}))
    genai.GenerateContentConfig.model_validate(body.get("generationConfig", {}))
    top = {
        k: body[k] for k in ("serviceTier", "labels", "continuationToken") if k in body
    }
    config = genai.GenerateContentConfig.model_validate(top)
    if "serviceTier" in body:
        assert config.service_tier == genai.ServiceTier(body["serviceTier"])
    return body
