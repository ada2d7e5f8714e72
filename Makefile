# Hasila: `make run` serves the app with demo data, `make test` runs the whole suite.
# PostgreSQL: the server named by DATABASE_URL, else an embedded one kept in .pgdata/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := $(UV) run --frozen python
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install db db-stop migrate demo run serve test test-fast e2e lint audit format bench bench-data bench-import bench-load bench-faults browser wrk clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	@echo "uv not found: installing it into .tools/ (from PyPI)"
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

install: $(if $(findstring .tools,$(UV)),.tools/bin/uv) ## install the locked dependencies into .venv
	$(UV) sync --frozen

db: install ## start the embedded PostgreSQL unless DATABASE_URL is set
	@if [ -n "$$DATABASE_URL" ]; then echo "Using DATABASE_URL"; else $(PY) -m config.embedded_postgres start; fi

db-stop: ## stop the embedded PostgreSQL (its data stays in .pgdata/)
	@$(PY) -m config.embedded_postgres stop

migrate: db
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

demo: migrate ## load the demo data (and, with DEBUG on, the demo accounts)
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_demo

run: demo ## install, migrate, load the demo data, serve on http://127.0.0.1:8000 with an import worker
	@echo "Serving on http://$(HOST):$(PORT)/ with a background import worker (Ctrl-C stops both)"
	@# The worker stops with the server; an import it is running is rolled back and retried on the next start.
	DEBUG=$${DEBUG:-1} $(PY) manage.py procrastinate worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; for _ in 1 2 3 4 5; do kill -0 $$worker 2>/dev/null || break; sleep 1; done; kill -KILL $$worker 2>/dev/null; true' EXIT; \
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

browser: ## make sure Chromium is there for the browser tests (installs Debian's package as root)
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium (Debian package) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing at $(CHROMIUM): install Debian's 'chromium' package" >&2; exit 1; fi; \
	fi

wrk: ## make sure wrk is there for the web benchmark (installs Debian's package as root)
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing wrk (Debian package) for the web benchmark"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is missing: install Debian's 'wrk' package" >&2; exit 1; fi; \
	fi

test: db browser ## the whole suite, browser tests included
	$(UV) run --frozen pytest -n 2 --create-db $(PYTEST_ARGS)

test-fast: db ## the suite without the browser and slow tests, reusing the test database
	$(UV) run --frozen pytest -n 2 --reuse-db -m "not e2e and not slow" $(PYTEST_ARGS)

lint: install ## ruff, formatting, mypy, missing migrations, bandit, pip-audit
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy .
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings_test
	$(UV) run --frozen bandit -q -c pyproject.toml -r config incidents sources
	$(MAKE) --no-print-directory audit

# The locked dependencies (every group) against PyPI's vulnerability data (.ci/audit says why it may not run).
audit: install ## pip-audit of uv.lock (needs PyPI's JSON API; AUDIT_REQUIRED=1 fails where it cannot run)
	UV=$(UV) .ci/audit

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

bench: db wrk ## benchmarks: print figures, assert nothing
	$(PY) bench/extraction.py
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput -v0
	DEBUG=$${DEBUG:-1} $(PY) bench/imports.py
	$(PY) bench/web.py
	$(PY) bench/copy_import.py

bench-import: db ## 1,000,000-row claims CSV: the bulk import job beside a plain COPY, then a second file on top
	$(PY) bench/copy_import.py --again

bench-data: db ## (re)generate the web benchmarks' database hasila_bench (200,000 incidents; a few minutes)
	$(PY) bench/dataset.py --force

bench-load: db ## 50 users browsing and writing for 60 s against gunicorn: errors and p95
	$(PY) bench/load.py

bench-faults: install ## restart PostgreSQL under a write load: fails if a write is lost or the app does not recover
	$(PY) bench/faults.py

clean:
	rm -rf .venv .tools staticfiles
