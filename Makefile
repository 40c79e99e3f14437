# The two commands: `make run` (a local Mailman with both plugins) and
# `make test` (the whole suite). Both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

system-deps:
	@scripts/system-deps

lint: $(STAMP)
	$(BIN)/ruff check .

test: system-deps $(STAMP) lint
	$(BIN)/pytest $(PYTEST_ARGS)

run: system-deps $(STAMP)
	$(BIN)/python scripts/run_local.py

bench: system-deps $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var build src/*.egg-info
