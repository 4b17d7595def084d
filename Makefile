# Two commands for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
export CDS_DB ?= data/cds.duckdb

.PHONY: run test venv deps dev-deps browser demo lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements.txt $(VENV)/.deps
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

# System packages the browser tests and chart export need (Debian): installed only when missing.
browser:
	bash scripts/install-system-deps.sh

demo: deps
	$(BIN)/python -m indicators init
	$(BIN)/python -m indicators demo --if-empty

run: demo
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: dev-deps browser
	$(BIN)/ruff check indicators tests pages app.py
	$(BIN)/python -m pytest -q tests

lint: dev-deps
	$(BIN)/ruff check indicators tests pages app.py
	$(BIN)/ruff format --check indicators tests pages app.py

clean:
	rm -rf $(VENV) .pytest_cache tests/_output
