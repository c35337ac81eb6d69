"""The lock files in requirements/, read as the tests need them."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][^\s;#]*)$")


def pins(name: str) -> dict[str, str]:
    """``{canonical name: version}`` of ``requirements/<name>``; every line is
    a comment or a plain pin (what ``pip install -c`` reads)."""
    found: dict[str, str] = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"requirements/{name}: not a plain pin: {line!r}"
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found
