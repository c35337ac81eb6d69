"""Access to the recorded Gemini interactions in ``tests/data/recordings``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).parent / "data" / "recordings"


def names() -> list[str]:
    """File stems of every recording, sorted."""
    return sorted(p.stem for p in RECORDINGS.glob("*.json"))


@cache
def load(name: str) -> dict[str, Any]:
    """One recording by file stem (``test_google_model__0``)."""
    return json.loads((RECORDINGS / f"{name}.json").read_text())


def events(recording: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON events of a streamed recording, or its unary answer as one."""
    if not recording["stream"]:
        return [recording["response_json"]]
    frames = recording["response_sse"].split("\r\n\r\n")
    return [json.loads(f.removeprefix("data: ")) for f in frames if f.strip()]


def text_of(answers: list[dict[str, Any]]) -> str:
    """All the text parts of some answers (events), joined in order."""
    return "".join(
        p.get("text", "")
        for e in answers
        for c in e.get("candidates", [])
        for p in c.get("content", {}).get("parts", [])
    )
