# Goodwill: `make demo` runs the main job on an embedded SQLite database, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= demo.db
DEMO_CUSTOMERS ?= 5000

.PHONY: demo test check lint typecheck contracts migrations-check install clean bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Goodwill needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

GW = GOODWILL_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/goodwill

demo: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(GW) init
	$(GW) demo generate --customers $(DEMO_CUSTOMERS) --seed 42
	$(GW) score
	$(GW) journeys enable win-back-high-value
	$(GW) journeys enable review-request
	$(GW) journeys enable thank-you-first-order
	$(GW) worker --once --quiet
	$(GW) demo overview
	$(GW) report --html demo-report.html
	@echo
	@echo "Explore: export GOODWILL_DATABASE_URL=sqlite:///$(DEMO_DB); source $(BIN)/activate"
	@echo "  goodwill report | goodwill tasks | goodwill journeys list | goodwill deliveries | goodwill serve"
	@echo "  open demo-report.html for the relationship report with charts"

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/lint-imports
	$(BIN)/python -m goodwill.db.check_migrations

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
