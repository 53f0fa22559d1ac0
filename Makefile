# l2c: the two commands of the README.
#   make run    install what the app needs, migrate, start on http://localhost:3000
#   make test   install what the tests need, run the whole suite
# Both are idempotent: stamps skip work when nothing changed.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUN_DIR := .tools
BUN := $(BUN_DIR)/node_modules/.bin/bun
# PORT: unset means `l2c serve` reads PORT from the environment or .env (default 3000).
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_TELEMETRY_ENABLED := false
export PATH := $(CURDIR)/$(BUN_DIR)/node_modules/.bin:$(PATH)

.PHONY: run test lint install install-test bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# Reflex's own installer downloads bun from the internet; we take it from npm instead.
$(BUN):
	mkdir -p $(BUN_DIR)
	npm install --prefix $(BUN_DIR) --no-audit --no-fund --silent bun@1.4.4

install: $(VENV)/.installed $(BUN)

/usr/bin/chromium:
	@echo "Installing Chromium from Debian for the browser tests"
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi

install-test: install $(VENV)/.installed-test /usr/bin/chromium

run: install
	$(VENV)/bin/l2c serve $(if $(PORT),--port $(PORT))

lint: install-test
	$(VENV)/bin/ruff check l2c_app tests bench
	$(VENV)/bin/ruff format --check l2c_app tests bench alembic
	$(VENV)/bin/mypy

# Two pytest-xdist workers; the tests that share the app server run in one of them (tests/conftest.py,
# xdist_group "app_server"). `make test PYTEST_XDIST=` runs in one process.
PYTEST_XDIST ?= -n 2 --dist loadgroup

test: install-test lint
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

bench: install-test
	$(PY) -m bench $(BENCH)

clean:
	rm -rf .web $(VENV) $(BUN_DIR)

# A NEW migration from the models: autogenerate against a scratch database at the current
# head (0001 is frozen: databases made by it exist). Then read and fix the file.
#   make migration REV=0006 MSG="seller profile"
migration: install
	@test -n "$(REV)" -a -n "$(MSG)" || { echo 'usage: make migration REV=000N MSG="what changed"'; exit 2; }
	rm -f /tmp/l2c-migration.db
	$(PY) -c "from alembic import command; from l2c_app.core.db import alembic_config; \
	cfg = alembic_config('sqlite:////tmp/l2c-migration.db'); command.upgrade(cfg, 'head'); \
	command.revision(cfg, message='$(MSG)', autogenerate=True, rev_id='$(REV)')"
