# pmo — two commands do all the set-up on a fresh machine:
#   make run    virtualenv, install, migrate, demo data, serve on http://127.0.0.1:$(PORT)
#   make test   lint, type-check, architecture contracts, the whole suite (SQLite, and
#               PostgreSQL too when PMO_TEST_DATABASE_URL is set)

PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export PMO_DATA_DIR ?= $(CURDIR)/data
PYTEST_ARGS ?=
CHROMIUM ?= /usr/bin/chromium

.PHONY: run install assets migrate demo serve test lint typecheck contracts pytest \
        pytest-sqlite pytest-postgres browser bench clean

install: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "pmo needs Python 3.12+ (see .python-version)"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

assets: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

migrate: install
	$(BIN)/pmo init --no-input

demo: migrate
	$(BIN)/pmo demo --if-empty

run: demo
	$(BIN)/pmo demo --logins --host $(HOST) --port $(PORT)
	$(BIN)/pmo serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/pmo serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

# Debian's chromium drives the browser tests (Playwright cannot download browsers here).
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

pytest-sqlite: install browser
	PMO_DATABASE_URL= $(BIN)/pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS)

# The database-independent engine and file-format tests already ran on SQLite.
pytest-postgres: install browser
	@if [ -n "$$PMO_TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL: $$PMO_TEST_DATABASE_URL"; \
	  PMO_DATABASE_URL="$$PMO_TEST_DATABASE_URL" $(BIN)/pytest -p no:cacheprovider -n 2 \
	    --ignore=tests/engine --ignore=tests/interop $(PYTEST_ARGS); \
	else echo "== PostgreSQL run skipped: PMO_TEST_DATABASE_URL is not set"; fi

pytest: pytest-sqlite pytest-postgres

test: lint typecheck contracts pytest

bench: install
	$(BIN)/python benchmarks/schedule.py
	$(BIN)/python benchmarks/evm.py
	$(BIN)/python benchmarks/level.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
