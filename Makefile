# Two entry points: `make demo` and `make test` (`make test-fast` while editing). Each sets up
# everything on a fresh machine: a virtualenv in .venv with the exact versions in uv.lock (uv
# itself is pinned below).
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: install demo test test-fast test-sqlite lint format lock bench screenshots clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --inexact --quiet --extra sandbox --extra semantic
	@touch $@

install: $(VENV)/.synced

# The whole job against the built-in HubSpot and Salesforce sandboxes: setup, sync, score and
# write back on a fresh embedded SQLite store (./icp-sync-demo.db), then route a new lead.
demo: install
	$(BIN)/icp-sync demo

# The suite runs every store test on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`).
# Without a reachable PostgreSQL those tests are skipped with a message, unless
# ICP_SYNC_REQUIRE_POSTGRES=1 (as in .ci/run), which turns the skip into a failure. The browser
# tests drive Debian's chromium (`apt-get install chromium`); without it they are skipped, unless
# ICP_SYNC_REQUIRE_BROWSER=1 (as in .ci/run), which turns the skip into a failure.
#
# Spread over the cores by pytest-xdist, a test file to a process (a module's store, served
# process or browser is built once); the slowest tests are listed at the end.
test: install
	$(BIN)/pytest -n auto --dist loadfile --durations=25

# The loop while editing: every test not marked `slow` (most of the suite, in under two minutes
# on two cores), spread over the cores by pytest-xdist. `make test` still runs them all. The
# OpenAPI fuzz module is all slow and left out whole: schemathesis builds its cases while
# collecting, some ten seconds on each core.
test-fast: install
	$(BIN)/pytest -m "not slow" -n auto --ignore=tests/app/api/test_openapi_fuzz.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: $(UV)
	$(UV) lock

bench: install
	$(BIN)/python bench/score_throughput.py

# The README's pictures of the dashboard (docs/screenshots/*.png): a 10,000-account store in a
# temporary SQLite file, served and photographed in Debian's chromium (`apt-get install chromium`).
screenshots: install
	$(BIN)/python docs/screenshots/take.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
