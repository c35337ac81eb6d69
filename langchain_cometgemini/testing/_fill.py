"""Schema-valid values, taken from the prompt where the schema allows.

:func:`instance_of` makes the JSON the emulator's default responder sends
as function-call arguments and as ``responseJsonSchema`` answers. With the
last user text it reads values from it, by rule (docs/testing.md):

- a property named in the text as ``name=value`` or ``name: value`` takes
  that value (a quoted span or one word), when the schema accepts it;
- numbers take the text's numbers in order, each once, skipping those out of
  the schema's bounds (or not whole, for an integer);
- strings take the text's quoted spans ('...' or "...") in order, each once,
  skipping those outside ``minLength`` / ``maxLength``;
- enums take the named value, else the one the text mentions first (as a
  word, any case);
- whatever the text does not give gets the schema's minimal value, as before:
  ``minimum`` (or 0), ``"example"`` fitted to the length bounds, the first
  enum value, ``False``, the required properties, ``minItems`` items.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["instance_of"]

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\w)")
_QUOTED = re.compile(
    # Quotes that open after no letter and close before none, so the
    # apostrophe of "What's" opens nothing; curly quotes as well.
    r"(?<!\w)'([^'\n]+)'(?!\w)|\"([^\"\n]+)\"|\u201c([^\u201d\n]+)\u201d"
    r"|(?<!\w)\u2018([^\u2019\n]+)\u2019(?!\w)"
)
_MAX_DEPTH = 20


def instance_of(schema: Any, root: Any = None, depth: int = 0, text: str = "") -> Any:
    """A minimal instance valid against a JSON Schema (or Gemini's subset).

    Objects get their required properties; enums and consts their first value;
    numbers respect ``minimum``; strings ``minLength``; ``$ref`` is resolved.
    Given ``text`` (the prompt), values it names are used instead, by the
    rules of this module's docstring.
    """
    filler = _Filler(schema if root is None else root, _Text.of(text))
    return filler.make(schema, depth, None)


@dataclass
class _Text:
    """What the prompt offers: its numbers and quoted spans, each used once."""

    text: str
    numbers: list[float] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> _Text:
        numbers = [float(m.group()) for m in _NUMBER.finditer(text)]
        quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
        return cls(text, numbers, quoted)

    def named(self, name: str | None) -> str | None:
        """The value written as ``name=value`` / ``name: value``, if any."""
        if not name or not self.text:
            return None
        found = re.search(
            rf"(?<!\w){re.escape(name)}\s*[=:]\s*(?:'([^']*)'|\"([^\"]*)\"|([^\s,;)]+))",
            self.text,
            re.IGNORECASE,
        )
        if found is None:
            return None
        return next(g for g in found.groups() if g is not None)

    @staticmethod
    def take(pool: list[Any], fits: Callable[[Any], bool]) -> Any:
        """The first item of ``pool`` that ``fits``, removed (``None`` if none)."""
        for i, item in enumerate(pool):
            if fits(item):
                return pool.pop(i)
        return None

    def first_mentioned(self, values: list[Any]) -> Any:
        """The value the text mentions first (as a word, any case)."""
        best: tuple[int, Any] | None = None
        for value in values:
            match = re.search(
                rf"(?<!\w){re.escape(str(value))}(?!\w)", self.text, re.IGNORECASE
            )
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), value)
        return values[0] if best is None else best[1]


@dataclass
class _Filler:
    root: Any
    text: _Text

    def make(self, schema: Any, depth: int, name: str | None) -> Any:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        if "$ref" in schema:
            target: Any = self.root
            for key in schema["$ref"].lstrip("#/").split("/"):
                target = target.get(key, {}) if isinstance(target, dict) else {}
            return self.make(target, depth + 1, name)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            values = list(schema["enum"])
            named = str(self.text.named(name)).lower()
            chosen = [v for v in values if str(v).lower() == named]
            return chosen[0] if chosen else self.text.first_mentioned(values)
        for key in ("anyOf", "oneOf"):
            options = [o for o in schema.get(key, []) if o.get("type") != "null"]
            if options:
                return self.make(options[0], depth + 1, name)
        if schema.get("allOf"):
            return self.make(schema["allOf"][0], depth + 1, name)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        kind = str(kind).lower()
        if kind == "object":
            props = schema.get("properties", {})
            return {
                prop: self.make(props.get(prop, {}), depth + 1, prop)
                for prop in schema.get("required", [])
            }
        if kind == "array":
            item = schema.get("items", {})
            count = int(schema.get("minItems", 0))
            return [self.make(item, depth + 1, None) for _ in range(count)]
        if kind in ("integer", "number"):
            return self._number(schema, kind == "integer", name)
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return self._string(schema, name)

    def _number(self, schema: Mapping[str, Any], whole: bool, name: str | None) -> Any:
        def fits(value: float) -> bool:
            return (
                (not whole or value.is_integer())
                and value >= schema.get("minimum", value)
                and value <= schema.get("maximum", value)
                and value > schema.get("exclusiveMinimum", value - 1)
                and value < schema.get("exclusiveMaximum", value + 1)
            )

        named = _as_number(self.text.named(name))
        value = named if named is not None and fits(named) else None
        if value is None:
            value = self.text.take(self.text.numbers, fits)
        if value is None:
            low = schema.get(
                "minimum",
                schema.get("exclusiveMinimum", 0)
                + (1 if "exclusiveMinimum" in schema else 0),
            )
            value = (
                max(low, 0)
                if "maximum" not in schema
                else min(max(low, 0), schema["maximum"])
            )
        return int(value) if whole else float(value)

    def _string(self, schema: Mapping[str, Any], name: str | None) -> str:
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")

        def fits(value: str) -> bool:
            return len(value) >= low and (high is None or len(value) <= int(high))

        if "pattern" not in schema and "format" not in schema:
            named = self.text.named(name)
            if named is not None and fits(named):
                return named
            taken = self.text.take(self.text.quoted, fits)
            if taken is not None:
                return str(taken)
        text = "example"
        text = (text * (low // len(text) + 1))[: max(low, len(text))]
        return text[: int(high)] if high is not None else text


def _as_number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
