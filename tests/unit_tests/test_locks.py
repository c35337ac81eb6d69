"""The lock files pin what pyproject.toml names, and the floor is the floor.

``make test`` installs through ``requirements/dev.txt`` and ``make test-deps``
through ``requirements/floor.txt``; both are made by ``make lock``. A package
added to an extra but not to the lock would float again (the failure that
broke a fresh ``make test``), and a floor raised in pyproject.toml but not in
floor.txt would test a version the package no longer claims.
"""

from __future__ import annotations

import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.locks import ROOT, pins

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the floor run's Python
    tomllib = pytest.importorskip("tomli")

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _requirements(*extras: str) -> list[Requirement]:
    specs = list(PROJECT["dependencies"])
    for extra in extras:
        specs += PROJECT["optional-dependencies"][extra]
    return [Requirement(spec) for spec in specs]


def test_every_tool_and_dependency_is_pinned_inside_its_range() -> None:
    locked = pins("dev.txt")
    for requirement in _requirements(*PROJECT["optional-dependencies"]):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements/dev.txt: run make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements/dev.txt pins {name}=={locked[name]}, outside "
            f"pyproject.toml's {requirement}: run make lock"
        )
    for tool in ("pip", "setuptools", "mypy", "ruff", "pytest"):
        assert tool in locked, f"{tool} must be locked too"


def test_the_floor_lock_holds_each_runtime_dependency_at_its_lowest_version() -> None:
    locked = pins("floor.txt")
    for requirement in _requirements():
        (low,) = [s.version for s in requirement.specifier if s.operator == ">="]
        name = canonicalize_name(requirement.name)
        assert name in locked and Version(locked[name]) == Version(low), (
            f"requirements/floor.txt pins {name}=={locked.get(name)}, but "
            f"pyproject.toml's floor is {low}: run make lock"
        )
