# The two commands: `make run` (a local Mailman with both plugins) and
# `make test` (the whole suite). Both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres test-mailman lint bench fuzz screenshots system-deps clean

# The web app (web/, docs/web.md) installs beside Mailman: its dependencies add to
# Mailman's and change none of them, and its tests call this venv's Mailman.
$(STAMP): pyproject.toml web/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q -e './web[test]'
	touch $(STAMP)

system-deps:
	@scripts/system-deps

# Lint and type-check (mypy reads its settings and the files to check from pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	cd web && ../$(BIN)/mypy

# The whole suite runs twice: on SQLite (Mailman's default) and on PostgreSQL
# (a throwaway server on loopback, see scripts/with-postgres); then Mailman's own suite
# with and without the plugins (test-mailman, about 6 minutes on 2 cores).
test: lint test-sqlite test-postgres test-mailman

# The web app's tests run in a pytest of their own (Django set up by web/conftest.py);
# its Django database is SQLite in both, Mailman's the one of the target.
test-sqlite: system-deps $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)
	$(BIN)/pytest $(WEB_PYTEST_ARGS) web

test-postgres: system-deps $(STAMP)
	scripts/with-postgres $(BIN)/pytest $(PYTEST_ARGS)
	scripts/with-postgres $(BIN)/pytest $(WEB_PYTEST_ARGS) web

# Mailman Core's own test suite (from its sdist, cached in var/mailman-suite/), run
# without and with both plugins enabled and compared (scripts/mailman_suite.py); the
# tests that differ on purpose are listed in docs/webhooks.md. nose2 and flufl.testing
# run it, as Mailman's tox.ini does; they are installed here, not by the test extra.
test-mailman: system-deps $(STAMP)
	$(BIN)/python -c 'import nose2, flufl.testing' 2>/dev/null || \
		$(BIN)/pip install -q 'nose2>=0.12,<1' 'flufl.testing>=0.8,<1'
	$(BIN)/python scripts/mailman_suite.py

run: system-deps $(STAMP)
	$(BIN)/python scripts/run_local.py

# The web app's browser tests again, saving the screenshots of docs/web.md into
# docs/screenshots/ (a plain test run saves them under the temporary directory).
screenshots: system-deps $(STAMP)
	MAILMAN_PGP_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -m browser web

bench: system-deps $(STAMP)
	$(BIN)/python -m benchmarks

# Fuzz the readers of hostile input (fuzz/README.md) with atheris, FUZZ_SECONDS per
# harness; FUZZ_HARNESSES picks some (default: all). Not part of `make test`, which runs
# each harness over its seeds only. atheris is installed here, not by the test extra.
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES ?=
fuzz: system-deps $(STAMP)
	$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/pip install -q 'atheris>=2.3,<4'
	$(BIN)/python -m fuzz.run --seconds $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

clean:
	rm -rf $(VENV) var build src/*.egg-info
