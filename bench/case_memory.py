"""Memory: ``tracemalloc`` peak during one ``invoke`` with a 20 MB image.

20 MB of base64 is the largest image Gemini takes inline (the package refuses
more before sending, as the service would). The image is built before tracing
starts, and a small call warms up the client first. The figure is the peak
divided by the image's size.
"""

from __future__ import annotations

import base64
import os
import tracemalloc
from typing import Any

from common import UNARY_TEXT, make, per_impl, text
from report import Row

IMAGE_BYTES = 14_999_994  # 20 MB once base64-encoded


def _message(data: str) -> list[Any]:
    from langchain_core.messages import HumanMessage

    image = {"type": "image", "base64": data, "mime_type": "image/png"}
    return [HumanMessage(content=[{"type": "text", "text": "Describe"}, image])]


def run_child(impl: str, port: str) -> dict[str, Any]:
    """In the child: the peak while sending the image, over its size."""
    llm = make(impl, int(port))
    small = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
    raw = b"\x89PNG\r\n\x1a\n" + os.urandom(IMAGE_BYTES - 8)
    big = base64.b64encode(raw).decode()
    del raw
    llm.invoke(_message(small))  # warm-up: imports, client, caches
    big_messages = _message(big)
    tracemalloc.start()
    result = llm.invoke(big_messages)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert text(result).rstrip() == UNARY_TEXT
    return {
        "peak_mb": peak / 1e6,
        "image_base64_mb": len(big) / 1e6,
        "image_raw_mb": IMAGE_BYTES / 1e6,
        "peak_over_image": peak / len(big),
        "peak_over_raw": peak / IMAGE_BYTES,
    }


def measure(port: str, impls: list[str]) -> dict[str, Any]:
    return per_impl("memory", impls, port)


def rows(mem: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "memory.image",
            "20 MB image (base64): peak memory / image size",
            mem.get("floor", {}).get("peak_over_image"),
            mem.get("comet", {}).get("peak_over_image"),
            other=mem.get("genai", {}).get("peak_over_image"),
            unit="x",
        )
    ]
