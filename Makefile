# Every target creates .venv when missing, so a fresh clone needs nothing but python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes: most tests wait on emulators and child processes, so 3 share 2 cores well (the suite
# takes about a third of the time of one process); `make test PYTEST_WORKERS=0` runs it in one.
PYTEST_WORKERS ?= 3

.PHONY: demo test lint typecheck pytest bench soak clean browser postgres

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rankbridge demo

test: $(STAMP) browser postgres lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Headless Chromium and its WebDriver from the distribution's packages, for the report's browser tests
# (they skip with the reason when these are missing, unless RANKBRIDGE_REQUIRE_BROWSER is set).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		echo "installing chromium and chromium-driver for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
			|| echo "could not install chromium (needs root and apt-get): the browser tests will skip"; \
	fi

# PostgreSQL's server binaries from the distribution's packages, for the tests and benchmarks that start a
# throwaway server (tests skip with the reason when they are missing, unless RANKBRIDGE_REQUIRE_POSTGRES=1).
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		echo "installing postgresql for the PostgreSQL tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
			|| echo "could not install postgresql (needs root and apt-get): the PostgreSQL tests will skip"; \
	fi

pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS)

bench: $(STAMP) postgres
	$(BIN)/python -m benchmarks

soak: $(STAMP) postgres
	$(BIN)/pytest -q -p no:cacheprovider -m soak --timeout 3600 -rP

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
