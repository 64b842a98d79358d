# The one command surface for people and CI. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest
# The PostgreSQL suite uses this server unless told otherwise (this machine's default).
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.DEFAULT_GOAL := help
.PHONY: help run serve test test-postgres test-mqtt test-scale test-browser test-api lint format bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.runtime: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "smartcity needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(VENV)/.runtime  ## Install, migrate, load the demo city and serve http://127.0.0.1:8000
	$(BIN)/smartcity db upgrade
	$(BIN)/smartcity demo load
	SMARTCITY_ENVIRONMENT=demo $(BIN)/smartcity serve --host 127.0.0.1 --port 8000

test: $(VENV)/.dev  ## Run the whole suite on SQLite (parallel)
	$(PYTEST) -n auto -m "not browser and not postgres and not mqtt and not fuzz and not scale"

test-postgres: $(VENV)/.dev  ## Run the suite again on PostgreSQL, with its concurrency tests
	SMARTCITY_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(PYTEST) -n 2 -m "not browser and not mqtt and not fuzz and not scale"

test-mqtt: $(VENV)/.dev  ## MQTT suite against Mosquitto (SMARTCITY_TEST_MQTT_URL, default mqtt://127.0.0.1:1883)
	$(PYTEST) -m mqtt -n 0 tests/modules/sensors tests/modules/alerts tests/modules/parking tests/docs

test-scale: $(VENV)/.dev  ## Two servers, workers and ingesters on PostgreSQL and MQTT, one of each killed
	SMARTCITY_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(PYTEST) -m scale -n 0 tests/scale

test-browser: $(VENV)/.dev  ## Browser tests in Debian's Chromium (screenshots in test-artifacts/)
	$(PYTEST) -m browser -n 0

test-api: $(VENV)/.dev  ## schemathesis over /openapi.json, bounded in time
	$(PYTEST) -m fuzz -n 2 tests/api tests/modules/livinglab/test_fuzz.py

lint: $(VENV)/.dev  ## ruff, mypy and import-linter
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.dev  ## Format and fix what ruff can
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

$(VENV)/.bench: pyproject.toml $(VENV)/.dev
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench: $(VENV)/.bench  ## Run every benchmark in bench/ (some need ../shared, PostgreSQL, Mosquitto)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:  ## Remove the virtualenv, the local database and test artefacts
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache .hypothesis
