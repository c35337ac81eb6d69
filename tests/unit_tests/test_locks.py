"""The lock files pin what pyproject.toml names, and the floor is the floor.

``make test`` installs through ``requirements/dev.txt`` and ``make test-deps``
through ``requirements/floor.txt``; both are made by ``make lock``. A package
added to an extra but not to the lock would float again (the failure that
broke a fresh ``make test``), and a floor raised in pyproject.toml but not in
floor.txt would test a version the package no longer claims.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the floor run's Python
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][^\s;#]*)$")


def _pins(name: str) -> dict[str, str]:
    """``{canonical name: version}``; every line is a comment or a pin."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"requirements/{name}: not a plain pin: {line!r}"
        pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def _requirements(*extras: str) -> list[Requirement]:
    specs = list(PROJECT["dependencies"])
    for extra in extras:
        specs += PROJECT["optional-dependencies"][extra]
    return [Requirement(spec) for spec in specs]


def test_every_tool_and_dependency_is_pinned_inside_its_range() -> None:
    pins = _pins("dev.txt")
    for requirement in _requirements(*PROJECT["optional-dependencies"]):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements/dev.txt: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements/dev.txt pins {name}=={pins[name]}, outside "
            f"pyproject.toml's {requirement}: run make lock"
        )
    for tool in ("pip", "setuptools", "mypy", "ruff", "pytest"):
        assert tool in pins, f"{tool} must be locked too"


def test_the_floor_lock_holds_each_runtime_dependency_at_its_lowest_version() -> None:
    pins = _pins("floor.txt")
    for requirement in _requirements():
        (low,) = [s.version for s in requirement.specifier if s.operator == ">="]
        name = canonicalize_name(requirement.name)
        assert name in pins and Version(pins[name]) == Version(low), (
            f"requirements/floor.txt pins {name}=={pins.get(name)}, but "
            f"pyproject.toml's floor is {low}: run make lock"
        )
