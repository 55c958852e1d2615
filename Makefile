# MailSentinel developer commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BENCH_VENV := .venv-bench
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp
SDK_JS := sdk/js
SDK_JS_STAMP := $(SDK_JS)/node_modules/.installed-stamp
BOOTSTRAP_EMAIL ?= owner@example.com
BOOTSTRAP_ORG ?= My Organization
CONSOLE_STAMP := console/node_modules/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install run migrate test check lint typecheck unit contract sdk-js-test test-postgres fuzz fuzz-live coverage-report \
	sdk sdk-check sdk-install-check console console-deps console-screenshots chromium \
	bench bench-api bench-scan bench-reports bench-alerts bench-ratelimit bench-mock bench-starvation bench-abuse bench-webhooks fleet-test clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml sdk/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e './sdk/python[dev]'
	touch $@

install: $(STAMP) ## create .venv and install the project with its development tools

run: $(STAMP) ## start the server on SQLite (./mailsentinel.db), printing a bootstrap token
	@$(BIN)/mailsentinel bootstrap --email "$(BOOTSTRAP_EMAIL)" --org "$(BOOTSTRAP_ORG)"
	@$(BIN)/mailsentinel serve

migrate: $(STAMP) ## bring the configured database up to date
	$(BIN)/mailsentinel migrate

lint: $(STAMP) ## ruff
	$(BIN)/ruff check .

typecheck: $(STAMP) ## mypy (strict on the code, relaxed on tests; strict on the Python SDK)
	$(BIN)/mypy
	cd sdk/python && ../../$(BIN)/mypy

# pytest-xdist workers for `unit` and `test-postgres` (TEST_WORKERS=0 runs in one process), the
# schemathesis module in one more process beside them (tests/run-parallel says why). More workers
# than cores pay off: many tests wait on sockets and subprocesses.
export TEST_WORKERS ?= 4

unit: $(STAMP) ## the pytest suite only (TEST_WORKERS processes)
	tests/run-parallel $(BIN)/pytest -q --durations=15

contract: $(STAMP) ## spec validation and schemathesis only
	$(BIN)/pytest -q contract_tests

$(SDK_JS_STAMP): $(SDK_JS)/package-lock.json $(SDK_JS)/package.json
	cd $(SDK_JS) && npm ci --no-audit --no-fund
	touch $@

sdk-js-test: $(STAMP) $(SDK_JS_STAMP) ## the JS SDK (sdk/js): npm ci when stale, then its tests against a mock (build and generated files checked)
	cd $(SDK_JS) && npm test

test: lint typecheck console-deps chromium unit sdk-js-test ## everything CI runs on SQLite: lint, types, tests (the console's browser tests included), contract tests, the JS SDK's tests

check: test ## alias of test

test-postgres: $(STAMP) ## rerun the database tests on PostgreSQL (MAILSENTINEL_TEST_DATABASE_URL)
	tests/run-parallel $(BIN)/pytest -q -m db

fuzz: $(STAMP) ## long schemathesis run against the app (many more examples)
	MAILSENTINEL_FUZZ_EXAMPLES=500 $(BIN)/pytest -q contract_tests -p no:cacheprovider

fuzz-live: $(STAMP) ## schemathesis CLI against URL with throwaway TOKEN and STRANGER tokens (README: Fuzzing a live deployment)
	@test -n "$(URL)" -a -n "$(TOKEN)" -a -n "$(STRANGER)" || { echo "usage: make fuzz-live URL=http://127.0.0.1:8080 TOKEN=ms_live_... STRANGER=ms_live_... [EXAMPLES=100] [SEED=1]"; exit 2; }
	$(BIN)/python -m contract_tests.live_fuzz --url "$(URL)" --token "$(TOKEN)" --stranger-token "$(STRANGER)" -- --max-examples $(or $(EXAMPLES),100) --seed $(or $(SEED),1)

sdk: $(STAMP) $(SDK_JS_STAMP) ## regenerate both SDKs' models and methods from openapi.yaml (x-sdk-method)
	$(BIN)/python sdk/python/scripts/generate.py
	cd $(SDK_JS) && npm run generate

sdk-check: $(STAMP) ## fail if the generated Python SDK files differ from what `make sdk` writes
	$(BIN)/python sdk/python/scripts/generate.py --check

sdk-install-check: $(STAMP) ## pip install ./sdk/python into a fresh venv (SDK_PYTHON=python3.9 for another): no server dependency, seed example runs
	$(BIN)/python sdk/python/scripts/check_install.py $(if $(SDK_PYTHON),--python $(SDK_PYTHON))

coverage-report: $(STAMP) ## per operationId: handler in serve, seeded 2xx on the mock, 2xx while fuzzed, SDKs
	$(BIN)/python -m contract_tests.coverage

# The web console (console/): built ahead into sentinel/web/console_dist, which is committed and
# shipped in the package, so `make run` needs no Node; tests/console checks the build matches.
$(CONSOLE_STAMP): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $@

console-deps: $(CONSOLE_STAMP) ## npm ci in console/ (Vite, Preact, TypeScript, playwright-core)

console: $(CONSOLE_STAMP) ## rebuild the console into sentinel/web/console_dist (commit the result)
	cd console && npm run build

chromium: ## Debian's chromium for the browser tests (apt-get when missing)
	@command -v chromium >/dev/null || { echo "installing chromium (apt-get)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

console-screenshots: $(STAMP) $(CONSOLE_STAMP) chromium ## browser tests of the console; screenshots of every screen in build/console-screenshots/
	$(BIN)/pytest -q -s tests/console/test_console_browser.py
	@echo "screenshots: $(CURDIR)/build/console-screenshots/"

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -e '.[dev,bench]'
	touch $@

bench-api: $(BENCH_STAMP) ## GET /api/domains (50 domains): serve 1 and 2 workers vs connexion stubs and FastAPI
	$(BENCH_VENV)/bin/python bench/bench_api.py

bench-scan: $(BENCH_STAMP) ## 40 scans (lame, SERVFAIL among them) through serve's API and the CLI path vs checkdmarc, 20 ms loopback DNS
	$(BENCH_VENV)/bin/python bench/bench_scan.py

bench-reports: $(BENCH_STAMP) ## report parsing: MailSentinel vs parsedmarc, memory, ingestion; whole processes (parse --json, ingest)
	$(BENCH_VENV)/bin/python bench/bench_parse_cli.py
	$(BENCH_VENV)/bin/python bench/bench_reports.py

bench-alerts: $(STAMP) ## alert rules: us per report evaluated after an ingestion; seconds to find due rescans in 10,000 domains
	$(BIN)/python bench/bench_alerts.py $(ARGS)

bench-ratelimit: $(STAMP) ## rate limiter cost: req/s with it off, memory storage, Redis storage, Redis down
	$(BIN)/python bench/bench_ratelimit.py

bench-mock: $(STAMP) ## the mock vs Prism 5.14 (npm ci in bench/) and serve: req/s and p99, list and create
	$(BIN)/python bench/bench_mock.py

bench-starvation: $(STAMP) ## 60 scans against a 2 s resolver: slowest /health and other-org /api/me meanwhile
	$(BIN)/python bench/bench_starvation.py

fleet-test: $(STAMP) ## two serve instances on PostgreSQL + own Redis under disruption (~2 min; not in test)
	$(BIN)/python bench/fleet_test.py

bench-abuse: $(STAMP) ## the hardening probes on a live server: statuses, peak RSS, slowest /health (ARGS="--postgres URL")
	$(BIN)/python bench/bench_abuse.py $(ARGS)

bench-webhooks: $(STAMP) ## webhook deliveries/s and commit-to-attempt p50/p95: SQLite in-process, PostgreSQL 2 workers
	$(BIN)/python bench/bench_webhooks.py $(ARGS)

bench: bench-api bench-scan bench-reports bench-ratelimit bench-mock bench-starvation bench-webhooks ## every benchmark

clean: ## remove virtual environments and caches
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .mypy_cache .ruff_cache $(SDK_JS)/node_modules
