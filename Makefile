# Developer commands. `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# PostgreSQL for the second run of the suite; an empty value skips it (with a
# loud reason), and CI=true turns that skip into a failure.
FEDERATION_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: venv run test lint typecheck test-sqlite test-postgres schemas bench clean screenshots

# The hub alone: what `make run` needs.
$(BIN)/federation: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The test and lint tools on top, for `make test` and development.
$(VENV)/.test-tools: $(BIN)/federation
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.test-tools

# The port is checked first: the demo step revokes the demo tokens, which must
# not happen to a hub already serving there. SO_REUSEADDR as gunicorn binds, so
# a port a stopped hub left in TIME_WAIT counts as free.
run: $(BIN)/federation
	@$(BIN)/python -c 'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("$(HOST)", $(PORT)))' 2>/dev/null || { \
	  echo "Error: port $(PORT) on $(HOST) is in use (a hub already running?); choose another: make run PORT=$$(($(PORT) + 1))" >&2; exit 1; }
	$(BIN)/federation db upgrade
	$(BIN)/federation demo --url http://$(HOST):$(PORT)
	$(BIN)/federation serve --host $(HOST) --port $(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

# pytest exits 5 when it collected nothing: say so, and fail. The CLI and
# end-to-end tests run their own SQLite hubs, so the PostgreSQL pass skips them.
PYTEST = run_pytest() { $(BIN)/pytest "$$@"; s=$$?; [ $$s -ne 5 ] || echo "pytest collected no tests" >&2; return $$s; }; run_pytest
# Tests run in parallel (pytest-xdist), each worker on its own database. Two
# workers for two cores: the tests wait on databases and live servers about as
# much as they compute. tests/conftest.py groups them: a module, or the tests
# sharing live servers, stay on one worker (loadgroup). TEST_WORKERS=0: serial.
# On a slow or busy machine, FEDERATION_TEST_TIME_SCALE=3 stretches every
# wall-clock window of the tests threefold.
TEST_WORKERS ?= 2
XDIST = -n $(TEST_WORKERS) --dist loadgroup

# The end-to-end tier (live hubs, Chromium) runs one test at a time: in
# parallel its hubs' start-up has not yet been shown reliable on two cores.
test-sqlite: venv
	@echo "== tests on SQLite"
	$(PYTEST) $(XDIST) --cov --cov-report= -q -m "not e2e"
	@echo "== end-to-end tests on SQLite (live servers, one at a time)"
	$(PYTEST) --cov --cov-append --cov-report=term:skip-covered -q -m e2e

test-postgres: venv
	@echo "== tests on PostgreSQL ($(FEDERATION_TEST_POSTGRES_URL))"
	export FEDERATION_TEST_DATABASE_URL=$(FEDERATION_TEST_POSTGRES_URL); \
	$(PYTEST) $(XDIST) -q -m "not e2e" --ignore=tests/cli

test: lint typecheck test-sqlite test-postgres

# The console's pages as docs/screenshots/*.png, taken by the browser tests'
# accessibility walk in Chromium at a phone and a desktop size.
screenshots: venv
	FEDERATION_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -q tests/browser -k accessibility

# schemas/ holds the JSON Schemas the hub publishes; openapi.json is generated
# from the routes (tests/api/test_rest_openapi.py fails while it is stale).
schemas: venv
	$(BIN)/federation openapi --output schemas/openapi.json

bench: venv
	@echo "start a hub with 'make run', then:"
	@echo "$(BIN)/python bench/taxii_bench.py --url http://$(HOST):$(PORT)/taxii2/hub/ --collection COLLECTION --user ACCOUNT --token TOKEN"

clean:
	rm -rf $(VENV) instance .coverage htmlcov .mypy_cache .ruff_cache .pytest_cache
