# Two commands for a newcomer:  `make run`  and  `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The web UI's third-party browser files (uPlot...): installed from npm with the committed lock
# and copied into the server's gitignored static/vendor/ folder; redone when the lock changes.
UI_VENDOR := src/trackstone/server/ui/static/vendor
UI_STAMP := $(UI_VENDOR)/ready.json

.PHONY: run test setup system-deps browser-deps lint typecheck import-check unit bench bench-server clean

# Record a run in the embedded store, show it, then serve the MLflow-compatible REST API
# on http://127.0.0.1:5000 from the same data folder (Ctrl-C stops the server).
run: setup
	$(BIN)/python examples/quickstart.py
	$(BIN)/trackstone experiments list
	$(BIN)/trackstone runs list --experiment-name quickstart
	$(BIN)/trackstone server

test: setup system-deps browser-deps lint typecheck import-check
	$(BIN)/python -m pytest -n 2 -q tests

setup: $(STAMP) $(UI_STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(UI_STAMP): frontend/package.json frontend/package-lock.json frontend/build.mjs
	@command -v npm >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	node frontend/build.mjs

# PostgreSQL binaries for the throwaway test cluster (the fixture runs initdb as the postgres user).
system-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

# Debian's Chromium for the browser tests (driven by Playwright; never `playwright install`).
browser-deps:
	@test -x /usr/bin/chromium || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

lint: setup
	$(BIN)/ruff check --no-cache src tests bench examples
	$(BIN)/ruff format --no-cache --check src tests bench examples

typecheck: setup
	$(BIN)/mypy

import-check: setup
	$(BIN)/python tests/import_check.py

unit: setup
	$(BIN)/python -m pytest -q tests/unit

bench: setup
	$(BIN)/python bench/run.py

bench-server: setup
	$(BIN)/python bench/server.py

# One 2 GiB file up (twice) and down through a real server's artifact proxy: MiB/s and the
# server's peak memory (bench/README.md, "Artifact proxy").
.PHONY: bench-proxy
bench-proxy: setup
	$(BIN)/python bench/artifact_proxy.py

.PHONY: bench-registry
bench-registry: setup
	$(BIN)/python bench/registry.py

# The web UI in headless Chromium vs MLflow's UI (bench/README.md, "Web UI").
.PHONY: bench-ui
bench-ui: setup browser-deps
	$(BIN)/python bench/ui.py

clean:
	rm -rf $(VENV) trackstone-data .pytest_cache .mypy_cache .ruff_cache frontend/node_modules $(UI_VENDOR)
