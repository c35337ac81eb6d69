"""The table: each case's rows, judged against ``targets.TARGETS``."""

from __future__ import annotations

from typing import Any, NamedTuple

from targets import TARGETS, judge

COLUMNS = ["metric", "floor", "ours", "ratio", "target", "ok", "genai"]
HEAD = [
    "metric",
    "floor",
    "ChatCometGemini",
    "ratio",
    "target",
    "ok",
    "ChatGoogleGenerativeAI",
]


class Row(NamedTuple):
    """One measured metric: ``metric`` names its line in ``TARGETS``."""

    metric: str
    label: str
    floor: Any
    ours: Any
    ratio: float | None = None
    other: Any = None
    unit: str = ""


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:,.2f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def table(rows: list[Row], genai: bool) -> tuple[list[dict[str, str]], bool]:
    """The rows as printed (a dict per row, keys COLUMNS), and whether all met."""
    out, all_ok = [], True
    for row in rows:
        ok = judge(row.metric, row.ratio, row.ours)
        all_ok = all_ok and ok is not False
        target = TARGETS.get(row.metric)
        cells = [
            row.label,
            _fmt(row.floor, row.unit),
            _fmt(row.ours, row.unit),
            _fmt(row.ratio, "x"),
            target.text if target else "(info)",
            "-" if ok is None else ("yes" if ok else "NO"),
            _fmt(row.other, row.unit) if genai else "not installed",
        ]
        out.append(dict(zip(COLUMNS, cells, strict=True)))
    return out, all_ok


def print_table(rows: list[dict[str, str]]) -> None:
    cells = [list(r.values()) for r in rows]
    widths = [max(len(r[i]) for r in [HEAD, *cells]) for i in range(len(HEAD))]
    print(" | ".join(h.ljust(w) for h, w in zip(HEAD, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in cells:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
