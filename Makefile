# The two commands of the quickstart: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# Bytecode is compiled once at install (uv --compile-bytecode) and cached for the project's own
# modules: with PYTHONDONTWRITEBYTECODE and no bytecode, every process (each run step, dg,
# the webserver) recompiled Dagster, pandas and GX on import (definitions load 5.1 s -> 2.8 s).
export PYTHONDONTWRITEBYTECODE :=

DAYS ?= 30
ORDERS_PER_DAY ?= 100000

.PHONY: install system-deps run ui test test-fast lint audit bench screenshots clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --compile-bytecode --python $(BIN)/python
	touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

install: $(VENV)/.synced $(DAGSTER_HOME)/dagster.yaml

# Services the tests start for real: PostgreSQL and headless Chromium (Debian packages).
system-deps:
	@bash .ci/system-deps.sh

# Generates the demo (days ending yesterday, one injected anomaly) when data/landing is empty,
# publishes every landed day and lists the days the anomaly check held, with the release command.
# Exit code 0 when every day is published or held (a hold is expected); 1 if a run failed
# otherwise. Options: make run ARGS="--days 30 --orders-per-day 500 --no-anomaly" (ARGS=--help).
run: install
	$(BIN)/python -m devtools.run_local $(ARGS)

# The UI on the same instance and partitions as `make run`: the demo's first day, recorded in
# data/landing/demo.env, is ORDERS_PARTITIONS_START unless you set it (devtools/demo_env.py).
# The warehouse pool's limit is stored first, so the run queue holds back even the first runs;
# runs a killed terminal left Started (they would hold the queue) are listed with how to end them.
ui: install
	$(BIN)/python -m resources.warehouse_pool
	-$(BIN)/python -m devtools.lost_runs
	@start="$$($(BIN)/python -m devtools.demo_env)"; \
	if [ -n "$$start" ]; then \
	  export ORDERS_PARTITIONS_START="$$start"; \
	  echo "ORDERS_PARTITIONS_START=$$start (the first day of the demo \`make run\` generated)"; \
	fi; \
	exec $(BIN)/dg dev

lint: install
	$(BIN)/ruff check .
	git ls-files -z | xargs -0 $(BIN)/detect-secrets-hook --baseline .secrets.baseline

# Known vulnerabilities of the locked dependencies (needs PyPI or OSV; not part of `make test`).
audit: install
	$(BIN)/uv export --frozen --no-hashes --all-groups --no-emit-project > $(VENV)/audit-requirements.txt
	$(BIN)/uv tool run pip-audit==2.10.1 -r $(VENV)/audit-requirements.txt --no-deps --disable-pip

test: install system-deps lint
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=20

# The inner loop: every test that needs no service (no PostgreSQL, moto, fakesnow, browser).
test-fast: install
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not services"

# Figures next to their targets, in bench/results/latest.md. DAYS and ORDERS_PER_DAY size the
# end to end only; the platform against the DuckDB script alone, smaller:
# make bench DAYS=30 ORDERS_PER_DAY=20000 ARGS="--sections end_to_end" (ARGS=--help).
bench: install
	$(BIN)/python -m bench.run --days $(DAYS) --orders-per-day $(ORDERS_PER_DAY) $(ARGS)

# README images from a real run in headless Chromium (docs/analyst-view.md).
screenshots: install system-deps
	$(BIN)/python -m devtools.screenshots

clean:
	rm -rf $(VENV) $(DAGSTER_HOME) data bench/results/*.json bench/results/*.md
