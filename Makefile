# Two commands for a fresh machine: `make run` and `make test`.
#   make run    virtualenv, dependencies, demo database if empty, the app on http://localhost:$(PORT)
#   make test   Debian packages (as root or with sudo), dependencies, ruff, then every test,
#               browser tests included (they fail, never skip, without Chromium)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
export CDS_DB ?= data/cds.duckdb
LINT_PATHS := indicators tests pages app.py

.PHONY: run test venv deps dev-deps sysdeps browser demo lint bench clean
# apt-get and pip must never run side by side, even under `make -j`
.NOTPARALLEL:

$(BIN)/python:
	bash scripts/install-system-deps.sh --python
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python

$(VENV)/.deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements.txt $(VENV)/.deps
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

# Debian packages: python3-venv, Chromium (browser tests, chart export), Noto fonts, PostgreSQL
# (the store's tests on a shared database), tesseract-ocr-vie (chart images read back),
# LibreOffice Writer and Impress (the report converted to PDF, the slides' PPTX opened); only if missing.
sysdeps:
	bash scripts/install-system-deps.sh --tests
browser: sysdeps

demo: deps
	$(BIN)/python -m indicators init
	$(BIN)/python -m indicators demo --if-empty

# Chart images in reports need Chromium and the Noto fonts: try to install them, but the app runs
# without. The warm-up opens one session once the server is up, so that the first visitor's deep
# link (/theo-thon) does not get Streamlit's "Page not found" dialog (streamlit#8860).
run: demo
	@bash scripts/install-system-deps.sh || echo "Chưa cài được Chromium/phông Noto: báo cáo sẽ thiếu biểu đồ." >&2
	@if [ -f scripts/warm_up.py ]; then ($(BIN)/python scripts/warm_up.py $(PORT) 120 >/dev/null 2>&1 &); fi
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

# The whole suite a second time with every database a PostgreSQL one (CDS_TEST_STORE=postgres:
# tests/support.py starts a throwaway server with scripts/pg_local.sh, or uses $$CDS_TEST_PG_URL).
# Left out of that pass, each for a stated reason:
#   -m duckdb_file              tests of the DuckDB file itself (its lock, WAL, file backup and
#                               restore); PostgreSQL's counterparts are in tests/test_postgres.py
#   tests/test_postgres.py,     already on PostgreSQL in the first pass
#   tests/e2e/test_deploy_browser.py
POSTGRES_PASS := -m "not duckdb_file and not screen_only" --ignore=tests/test_postgres.py --ignore=tests/e2e/test_deploy_browser.py

# Every test, the browser ones included. pytest's exit status is never softened: 1 (failures),
# 2 (interrupted or collection errors) and 5 (no tests collected) all fail the build, and the
# collect-only step fails (status 5) when the browser tests went missing.
test: sysdeps dev-deps
	$(BIN)/ruff check $(LINT_PATHS)
	rm -rf tests/_output/screenshots
	$(BIN)/python -m pytest -q --collect-only -m e2e tests/e2e >/dev/null \
		|| { echo "make test: no browser tests collected under tests/e2e (pytest status $$?)" >&2; exit 1; }
	$(BIN)/python -m pytest -q --strict-markers tests
	CDS_TEST_STORE=postgres $(BIN)/python -m pytest -q --strict-markers $(POSTGRES_PASS) tests

lint: dev-deps
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

# Benchmarks (bench/, BENCHMARKS.md): deterministic synthetic data over the real unit lists, each
# figure beside its floor; results in bench/results/<size>.json, generated data in bench/data/.
#   make bench            commune and city sizes (about 20 minutes on 2 cores), then the city on
#                         PostgreSQL (a throwaway server, bench/postgres.py); tables: BENCHMARKS.md
#   make bench-national   the national size (31 million rows: 7 to 25 minutes, a few GB of disk)
bench: deps sysdeps
	$(BIN)/python -m bench.run commune city
	$(BIN)/python -m bench.postgres city
	$(BIN)/python -m bench.report --markdown

.PHONY: bench-national
bench-national: deps
	$(BIN)/python -m bench.run national
	$(BIN)/python -m bench.report --markdown

clean:
	rm -rf $(VENV) .pytest_cache tests/_output
