"""JSON as RFC 8259 defines it, both ways: no NaN, no Infinity.

Python's ``json`` reads and writes ``NaN``, ``Infinity`` and ``-Infinity``,
which are not JSON: a tool result holding ``float("nan")`` would put text on
the wire that the service (or any strict parser) refuses, and an answer
holding ``NaN`` would come back as a message that cannot be sent again.

- :func:`loads` refuses them (a ``ValueError`` the callers turn into their
  own error), so nothing the package parses holds one;
- :func:`dumps` refuses them with a ``ValueError`` that names where the
  value stands in the request (``contents[1].parts[0].functionResponse.
  response.score``) and what to do; so is a value nested too deeply to
  encode. Refused rather than mapped (to ``null``, say): a silent change of
  a tool's result would change what the model reads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps", "loads"]


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON (RFC 8259 has no NaN or Infinity)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: a number JSON allows, no float holds
        raise ValueError(f"{text[:40]} is out of range for a number")
    return value


def loads(data: str | bytes) -> Any:
    """``json.loads`` refusing NaN/Infinity and overflowing numbers (``ValueError``)."""
    return json.loads(data, parse_constant=_refuse, parse_float=_finite)


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps(value, allow_nan=False, **options)``; a clear ``ValueError``
    naming the place of a NaN/Infinity or of nesting too deep to encode.
    """
    try:
        return json.dumps(value, allow_nan=False, **options)
    except (ValueError, RecursionError) as exc:
        raise ValueError(_problem(value, exc)) from None


def _problem(value: Any, exc: Exception) -> str:
    """What in ``value`` cannot be JSON, and where (walked without recursion)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    deepest = 0
    while stack:
        node, where, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, float) and not math.isfinite(node):
            return (
                f"The request holds {node!r} at {where or 'its top'}: JSON has no "
                "NaN or Infinity, so it cannot be sent. Replace it (with None, a "
                "string, or a finite number) before sending."
            )
        if isinstance(node, Mapping):
            stack.extend((v, f"{where}.{k}" if where else str(k), depth + 1)
                         for k, v in node.items())  # fmt: skip
        elif isinstance(node, list | tuple):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(node))
    if isinstance(exc, RecursionError):
        return (
            f"The request is nested {deepest} levels deep, too deep to encode as "
            "JSON; flatten the data (a tool result, a schema) before sending."
        )
    return f"The request cannot be encoded as JSON: {exc}"
