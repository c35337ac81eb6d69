# Every target creates .venv and installs what it needs, so each works alone on a fresh clone.
# Every install goes through the lock files in requirements/ (`make lock`
# regenerates them): a fresh venv gets exactly the versions CI tested.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements/dev.txt
FLOOR_LOCK := requirements/floor.txt
SUITES := tests/unit_tests tests/integration_tests
# pip and the build backend (setuptools) come from the lock too: the package is
# built without build isolation, so no unpinned setuptools is fetched.
PIP := $(BIN)/python -m pip install --quiet --no-build-isolation -c $(LOCK)
# One stamp per set of extras: `make demo` installs the package alone (its
# runtime deps), `make test` adds the test and lint extras, `make test-scale`
# adds Ray and tqdm. Each is redone when pyproject.toml or the lock changes.
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
SCALE_STAMP := $(VENV)/.installed-scale

.PHONY: help install test test-deps test-scale test-fresh-clone unit_tests integration_tests lint format demo bench bench-bulk lock clean

# A bare `make` lists the targets and creates nothing.
.DEFAULT_GOAL := help

# Each target's line ends in `## what it does`; `make help` prints those.
help: ## list the targets (the default goal)
	@echo "usage: make TARGET    (each target creates .venv and installs what it needs)"
	@echo
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# A venv without the bundled (older) pip, then the locked pip and setuptools:
# creating the venv this way is seconds faster, and a current pip resolves the
# dependencies in less than half the time of Python 3.11's bundled one.
$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet -c $(LOCK) pip setuptools \
		|| { rm -rf $(VENV) && $(PYTHON) -m venv --upgrade-deps $(VENV) \
			&& $(BIN)/python -m pip install --quiet -c $(LOCK) pip setuptools; }

# The demo needs only the runtime dependencies (read from pyproject.toml's
# `dependencies = [...]`) and the package from this source tree, put on the
# venv's path by a .pth file as an editable install would, but without
# building anything (no package build, no bytecode precompile): the venv
# `make demo` leaves imports langchain_cometgemini from any directory.
RUNTIME_DEPS := $(shell sed -n '/^dependencies = \[/,/^\]/s/^ *"\([^"]*\)",*$$/\1/p' pyproject.toml)
SOURCE_PTH := import pathlib, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), \
	"langchain_cometgemini_source.pth").write_text("$(CURDIR)\n")

$(DEMO_STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) --no-compile $(foreach dep,$(RUNTIME_DEPS),"$(dep)")
	$(BIN)/python -c '$(SOURCE_PTH)'
	touch $@

$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) -e ".[test,lint]"
	touch $@ $(DEMO_STAMP)

$(SCALE_STAMP): $(STAMP)
	$(PIP) -e ".[test,bulk,ray]"
	touch $@

install: $(STAMP) ## create .venv with the package and its test and lint extras

test: $(STAMP) lint ## lint, type check, unit and offline end-to-end tests (no key, no network)
	$(BIN)/python -m pytest $(SUITES) -q

# Bulk recipes at scale: a local 2-CPU Ray instance (loopback, no dashboard)
# and the one-process runner, against the emulator with injected 429s/503s.
test-scale: $(SCALE_STAMP) ## the bulk recipes at scale on a local Ray and the emulator
	RAY_USAGE_STATS_ENABLED=0 $(BIN)/python -m pytest tests/scale_tests -q

# Both ends of every runtime range (pyproject.toml's dependencies), each in a
# fresh venv of its own: the floor (every runtime dependency at its lowest
# allowed version, test tools from requirements/floor.txt, on the oldest
# Python the package supports when this machine has it) and the newest
# releases the registry serves (no constraints, upgraded). Both share pip's
# download cache with `make test`.
FLOOR_PYTHON ?= $(or $(shell for p in python3.10 $(HOME)/.pyenv/versions/3.10*/bin/python3.10; do \
	$$p -c "" 2>/dev/null && { echo $$p; break; }; done),$(PYTHON))
VERSIONS := import sys, importlib.metadata as m; \
	print("  Python", sys.version.split()[0], *(f"{d} {m.version(d)}" for d in \
	("langchain-core", "httpx", "pydantic", "langchain", "langgraph")), sep=" | ")
# The versions a venv holds, then the suites in it: $(call suites,VENV).
suites = $(1)/bin/python -c '$(VERSIONS)' && $(1)/bin/python -m pytest $(SUITES) -q -p no:cacheprovider

test-deps: ## the suites on the floors and on the newest releases of the runtime deps
	@echo "== floor: runtime dependencies at their lowest versions ($(FLOOR_PYTHON))"
	rm -rf .venv-floor
	$(FLOOR_PYTHON) -m venv --without-pip .venv-floor
	$(PYTHON) -m pip --python .venv-floor/bin/python install --quiet -c $(FLOOR_LOCK) pip setuptools
	.venv-floor/bin/python -m pip install --quiet --no-build-isolation -c $(FLOOR_LOCK) -e ".[test]"
	$(call suites,.venv-floor)
	@echo "== newest: the newest releases the registry serves, no constraints ($(PYTHON))"
	rm -rf .venv-newest
	$(PYTHON) -m venv .venv-newest
	.venv-newest/bin/python -m pip install --quiet --upgrade pip setuptools
	.venv-newest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e ".[test]"
	$(call suites,.venv-newest)

# Regenerate the lock files from pyproject.toml's extras (requirements/lock.py):
# dev.txt for this Python, floor.txt for the floor Python. Commit both.
lock: | $(BIN)/python ## regenerate the lock files in requirements/
	$(BIN)/python requirements/lock.py dev
	rm -rf .venv-lock-floor && $(FLOOR_PYTHON) -m venv --without-pip .venv-lock-floor
	$(BIN)/python requirements/lock.py floor --python .venv-lock-floor/bin/python
	rm -rf .venv-lock-floor

# The make targets and the emulator's command line from a fresh clone of this
# repository's HEAD in a temporary directory, as a newcomer meets them (slow:
# each creates venvs and installs; not part of `make test`).
test-fresh-clone: $(STAMP) ## check make help/demo and the emulator CLI in a fresh clone (slow)
	$(BIN)/python -m pytest tests/fresh_clone_tests -q -m slow -p no:cacheprovider

unit_tests: $(STAMP) ## unit tests only
	$(BIN)/python -m pytest tests/unit_tests -q

integration_tests: $(STAMP) ## live tests against CometAPI (needs COMETAPI_KEY)
	$(BIN)/python -m pytest tests/integration_tests -q -m live -rs

lint: $(STAMP) ## ruff check, ruff format --check, mypy
	$(BIN)/ruff check langchain_cometgemini tests bench examples requirements
	$(BIN)/ruff format --check langchain_cometgemini tests bench examples requirements
	$(BIN)/mypy

format: $(STAMP) ## format and auto-fix
	$(BIN)/ruff format langchain_cometgemini tests bench examples requirements
	$(BIN)/ruff check --fix langchain_cometgemini tests bench examples requirements

# Only the package and its three runtime deps: the first line shows in seconds.
demo: $(DEMO_STAMP) ## a short tour: chat, streaming, a tool call, structured output (offline without COMETAPI_KEY)
	$(BIN)/python -m langchain_cometgemini.demo

# The `ray` extra too: the `ray` case runs run_on_ray (bench/case_ray.py).
bench: $(STAMP) ## benchmarks in bench/
	$(PIP) -e ".[test,lint,bench,ray]"
	$(BIN)/python bench/run.py

# Prompts per second of the bulk recipes on the emulator (docs/bulk.md).
bench-bulk: $(SCALE_STAMP) ## prompts per second of the two bulk recipes on the emulator
	RAY_USAGE_STATS_ENABLED=0 $(BIN)/python bench/bulk.py

clean: ## remove the venvs and caches
	rm -rf $(VENV) .venv-floor .venv-newest .pytest_cache .mypy_cache .ruff_cache
