# Clientbase developer commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := $(shell sed -n 's/^uv==\([0-9.]*\).*/\1/p' requirements.lock)
HOST ?= 127.0.0.1
PORT ?= 8000
export CLIENTBASE_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run test test-sqlite test-postgres test-browser lint migrate assets browser clean

install: $(STAMP) assets

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# Front-end assets come from npm into the static folder; nothing third-party is committed.
STATIC := src/clientbase/web/static/vendor
assets: $(STATIC)/.installed
$(STATIC)/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	mkdir -p $(STATIC)
	cp node_modules/htmx.org/dist/htmx.min.js $(STATIC)/
	cp node_modules/@picocss/pico/css/pico.min.css $(STATIC)/
	cp node_modules/chart.js/dist/chart.umd.min.js $(STATIC)/chart.umd.min.js
	touch $@

run: install
	$(BIN)/clientbase serve --host $(HOST) --port $(PORT)

migrate: install
	$(BIN)/clientbase migrate

# Browser tests need Debian's Chromium; CI installs it, elsewhere they skip with a message.
browser:
	@if [ "$$CI" = "true" ] && ! command -v chromium >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi

test: install browser
	$(BIN)/pytest -q -p no:cacheprovider --db=sqlite
	$(BIN)/pytest -q -p no:cacheprovider --db=postgres -m "not browser"

test-sqlite: install
	$(BIN)/pytest -q --db=sqlite

test-postgres: install
	$(BIN)/pytest -q --db=postgres -m "not browser"

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

clean:
	rm -rf $(VENV) node_modules $(STATIC) var .pytest_cache

# Demo data: 5,000 realistic customers in the embedded database (CLIENTBASE_DATABASE_URL).
DEMO_CUSTOMERS ?= 5000
.PHONY: demo bench bench-report
demo: migrate
	$(BIN)/clientbase demo --customers $(DEMO_CUSTOMERS)

# Benchmark (see docs/performance.md): make bench BENCH_DB=sqlite BENCH_CUSTOMERS=10000
# BENCH_REUSE=1 keeps an already loaded database; BENCH_ARGS passes more options.
BENCH_DB ?= postgres
BENCH_CUSTOMERS ?=
BENCH_CONCURRENCY ?= 8
BENCH_WORKERS ?= 2
BENCH_REUSE ?=
bench: install
	$(BIN)/python -m bench.run --db $(BENCH_DB) --concurrency $(BENCH_CONCURRENCY) \
		--workers $(BENCH_WORKERS) $(if $(BENCH_CUSTOMERS),--customers $(BENCH_CUSTOMERS)) \
		$(if $(BENCH_REUSE),--reuse) $(BENCH_ARGS)

bench-report: install
	$(BIN)/python -m bench.report
