"""Splitting a response into stream events, and merging events back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def _split(response: dict[str, Any], chunks: int) -> list[dict[str, Any]]:
    """Split a response into stream events as Gemini does.

    Text parts are cut into ``chunks`` pieces, other parts get an event each;
    ``finishReason``, metadata and the final usage ride on the last event,
    earlier events carry the prompt count only (stream usage is cumulative).
    """
    candidate = response["candidates"][0]
    pieces: list[dict[str, Any]] = []
    for part in candidate.get("content", {}).get("parts", []):
        text = part.get("text")
        if text is None or part.get("thought") or chunks <= 1 or len(text) < chunks:
            pieces.append(part)
            continue
        size = -(-len(text) // chunks)
        for i in range(0, len(text), size):
            piece = {**part, "text": text[i : i + size]}
            if i and "thoughtSignature" in piece:
                del piece["thoughtSignature"]
            pieces.append(piece)
    pieces = pieces or [{"text": ""}]
    usage = response.get("usageMetadata", {})
    head = {
        k: v for k, v in response.items() if k not in ("candidates", "usageMetadata")
    }
    events = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        cand = {"content": {"role": "model", "parts": [piece]}, "index": 0}
        if last:
            extra = {
                k: v for k, v in candidate.items() if k not in ("content", "index")
            }
            cand.update(extra)
        partial = {"promptTokenCount": usage.get("promptTokenCount", 0)}
        partial["totalTokenCount"] = partial["promptTokenCount"]
        events.append(
            {"candidates": [cand], "usageMetadata": usage if last else partial, **head}
        )
    return events


def _merge(events: Sequence[Any]) -> Any:
    """Merge stream events back into one unary ``GenerateContentResponse``."""
    decoded = [
        json.loads(e.decode().strip().removeprefix("data:"))
        if isinstance(e, bytes)
        else e
        for e in events
    ]
    decoded = [e for e in decoded if isinstance(e, dict)]
    if not decoded:
        return {}
    merged = json.loads(json.dumps(decoded[-1]))
    parts: list[dict[str, Any]] = []
    for event in decoded:
        for cand in event.get("candidates", [])[:1]:
            for part in cand.get("content", {}).get("parts", []):
                prev = parts[-1] if parts else None
                if (
                    prev is not None
                    and "text" in prev
                    and "text" in part
                    and bool(prev.get("thought")) == bool(part.get("thought"))
                    and "thoughtSignature" not in part
                ):
                    prev["text"] += part["text"]
                else:
                    parts.append(dict(part))
    if merged.get("candidates"):
        merged["candidates"][0].setdefault("content", {"role": "model"})["parts"] = (
            parts
        )
    return merged
