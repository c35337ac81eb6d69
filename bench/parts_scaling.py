"""How parsing and request building scale with the number of parts.

Run: ``.venv/bin/python bench/parts_scaling.py``. Prints seconds per call for
answers of 1,000 / 5,000 / 20,000 parts (unary parse, the same parts as a
stream of one part per event, and sending the message back). Each should grow
about linearly: 4x the parts, about 4x the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from langchain_cometgemini._request import build_contents
from langchain_cometgemini._response import (
    StreamState,
    final_chunk,
    parse_event,
    response_to_result,
)

SIZES = (1_000, 5_000, 20_000)


def _parts(count: int) -> list[dict[str, Any]]:
    """Thoughts and text alternating: every part is a block of its own."""
    return [
        {"text": f"thinking {i} ", "thought": True} if i % 2 else {"text": f"t{i} "}
        for i in range(count)
    ]


def _answer(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": parts}}]}


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _stream(parts: list[dict[str, Any]]) -> None:
    state = StreamState(model="gemini-2.5-flash")
    for part in parts:
        parse_event(_answer([part]), state)
    final_chunk(state)


def main() -> None:
    print(f"{'parts':>7} {'unary parse':>12} {'stream parse':>13} {'build':>8}")
    for count in SIZES:
        parts = _parts(count)
        message = response_to_result(_answer(parts), "m").generations[0].message
        assert isinstance(message, AIMessage)
        history = [HumanMessage("q"), message]
        unary = _timed(lambda p=parts: response_to_result(_answer(p), "m"))
        stream = _timed(lambda p=parts: _stream(p))
        build = _timed(lambda h=history: build_contents(h, model="gemini-2.5-flash"))
        print(f"{count:>7} {unary:>11.3f}s {stream:>12.3f}s {build:>7.3f}s")


if __name__ == "__main__":
    main()
