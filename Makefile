# Every target creates .venv and installs what it needs, so each works alone on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test unit_tests integration_tests lint format demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,lint]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP) lint
	$(BIN)/python -m pytest tests/unit_tests tests/integration_tests -q

unit_tests: $(STAMP)
	$(BIN)/python -m pytest tests/unit_tests -q

integration_tests: $(STAMP)
	$(BIN)/python -m pytest tests/integration_tests -q -m live -rs

lint: $(STAMP)
	$(BIN)/ruff check langchain_cometgemini tests bench
	$(BIN)/ruff format --check langchain_cometgemini tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format langchain_cometgemini tests bench
	$(BIN)/ruff check --fix langchain_cometgemini tests bench

demo: $(STAMP)
	$(BIN)/python -m langchain_cometgemini.demo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
