# The two commands a new machine needs: `make run` and `make test`.
# Everything else here is what they depend on.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup assets db demo lint bench clean test-tools lock

## Set-up ------------------------------------------------------------------------

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Installs exactly what requirements/dev.txt pins (runtime + dev), then the app itself
# (after a change to pyproject.toml's dependencies, `make lock` first).
.stamp-python: $(BIN)/activate requirements/dev.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# The lock files, from pyproject.toml: main.txt (what production installs), dev.txt
# (+ the dev extra; what `make run` and `make test` install), bench.txt (+ bench). dev
# and bench are held to main.txt's versions; bench is not held to dev.txt, since
# datacompy caps polars below the one dev.txt pins (so `make bench` moves polars back).
# `make lock` keeps what still fits; `make lock UPGRADE=1` moves to the newest allowed.
LOCK := CUSTOM_COMPILE_COMMAND='make lock' $(BIN)/pip-compile --quiet --resolver=backtracking \
	--allow-unsafe --strip-extras --no-emit-options $(if $(UPGRADE),--upgrade)
lock: $(BIN)/activate
	@test -x $(BIN)/pip-compile || $(BIN)/pip install --quiet 'pip-tools>=7.4'
	@mkdir -p requirements
	$(LOCK) -o requirements/main.txt pyproject.toml
	$(LOCK) --extra dev -c requirements/main.txt -o requirements/dev.txt pyproject.toml
	$(LOCK) --extra dev --extra bench -c requirements/main.txt -o requirements/bench.txt pyproject.toml

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Our sources are webapp/static/src/app.scss (compiled) and webapp/static/js/app.js
# (served as it is); the rest of webapp/static is built and git-ignored.
.stamp-assets: node_modules/.package-lock.json scripts/build-assets.sh $(wildcard webapp/static/src/*)
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
# browser build), poppler-utils' pdftoppm, which turns export pages into PNGs,
# HarfBuzz's subsetter, which WeasyPrint 70 uses to embed fonts (it warns without it),
# and LibreOffice Writer with its Python bridge (python3-uno), the real word processor
# that opens, ticks and saves the exported .docx in tests/b2b/review/test_ticked_return.py.
test-tools:
	@command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && \
	  dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 && command -v soffice >/dev/null 2>&1 && \
	  dpkg -s python3-uno >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium, poppler-utils, libharfbuzz-subset0, LibreOffice" \
	    "Writer and python3-uno for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium poppler-utils libharfbuzz-subset0 libreoffice-writer-nogui \
	    python3-uno >/dev/null; }

test: setup test-tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile --cov --cov-branch --cov-report=term

lint: setup
	$(BIN)/ruff check .

.stamp-bench: .stamp-python requirements/bench.txt
	$(BIN)/pip install --quiet -r requirements/bench.txt
	touch $@

bench: setup .stamp-bench
	$(BIN)/python bench/compare.py

clean:
	rm -rf $(VENV) node_modules .stamp-* webapp/static/govuk webapp/static/js/htmx.min.js \
	  webapp/static/css
