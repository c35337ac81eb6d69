# Every target creates .venv and installs what it needs, so each works alone on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# One stamp per set of extras: `make demo` installs the package alone (its
# runtime deps), `make test` adds the test and lint extras, `make test-scale`
# adds Ray and tqdm. Each is redone when pyproject.toml changes.
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
SCALE_STAMP := $(VENV)/.installed-scale

.PHONY: install test test-scale unit_tests integration_tests lint format demo bench bench-bulk clean

# A venv without the bundled (older) pip, then a current pip: creating the
# venv this way is seconds faster, and a current pip resolves the
# dependencies in less than half the time of Python 3.11's bundled one.
$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet --upgrade pip \
		|| { rm -rf $(VENV) && $(PYTHON) -m venv --upgrade-deps $(VENV); }

# The demo needs only the runtime dependencies (read from pyproject.toml's
# `dependencies = [...]`) and runs from this source tree: no package build,
# no bytecode precompile (Python compiles what the demo imports).
RUNTIME_DEPS := $(shell sed -n '/^dependencies = \[/,/^\]/s/^ *"\([^"]*\)",*$$/\1/p' pyproject.toml)

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile $(foreach dep,$(RUNTIME_DEPS),"$(dep)")
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,lint]"
	touch $@ $(DEMO_STAMP)

$(SCALE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bulk,ray]"
	touch $@

install: $(STAMP)

test: $(STAMP) lint
	$(BIN)/python -m pytest tests/unit_tests tests/integration_tests -q

# Bulk recipes at scale: a local 2-CPU Ray instance (loopback, no dashboard)
# and the one-process runner, against the emulator with injected 429s/503s.
test-scale: $(SCALE_STAMP)
	RAY_USAGE_STATS_ENABLED=0 $(BIN)/python -m pytest tests/scale_tests -q

unit_tests: $(STAMP)
	$(BIN)/python -m pytest tests/unit_tests -q

integration_tests: $(STAMP)
	$(BIN)/python -m pytest tests/integration_tests -q -m live -rs

lint: $(STAMP)
	$(BIN)/ruff check langchain_cometgemini tests bench examples
	$(BIN)/ruff format --check langchain_cometgemini tests bench examples
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format langchain_cometgemini tests bench examples
	$(BIN)/ruff check --fix langchain_cometgemini tests bench examples

# Only the package and its three runtime deps: the first line shows in seconds.
demo: $(DEMO_STAMP)
	PYTHONPATH=$(CURDIR) $(BIN)/python -m langchain_cometgemini.demo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/run.py

# Prompts per second of the bulk recipes on the emulator (docs/bulk.md).
bench-bulk: $(SCALE_STAMP)
	RAY_USAGE_STATS_ENABLED=0 $(BIN)/python bench/bulk.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
