# The two commands a new machine needs: `make run` and `make test`.
# Everything else here is what they depend on.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup assets db demo lint bench clean test-tools

## Set-up ------------------------------------------------------------------------

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

.stamp-python: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

.stamp-assets: node_modules/.package-lock.json scripts/build-assets.sh $(wildcard webapp/assets/*)
	bash scripts/build-assets.sh
	touch $@

setup: .stamp-python .stamp-assets

assets: .stamp-assets

db: setup
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask b2b demo

## The app -------------------------------------------------------------------------

run: db
	@bash scripts/run.sh $(HOST) $(PORT)

## Tests ---------------------------------------------------------------------------

# Debian packages the suite runs: Chromium for the browser tests (never a downloaded
# browser build) and poppler-utils' pdftoppm, which turns export pages into PNGs.
test-tools:
	@command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium and poppler-utils for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium poppler-utils >/dev/null; }

test: setup test-tools
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

lint: setup
	$(BIN)/ruff check .

.stamp-bench: .stamp-python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

bench: setup .stamp-bench
	$(BIN)/python bench/compare.py

clean:
	rm -rf $(VENV) node_modules .stamp-* webapp/static/govuk webapp/static/js/htmx.min.js
