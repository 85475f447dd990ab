# FogForge: `make run` serves the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3
CHROMIUM ?= /usr/bin/chromium
export FLASK_APP := wsgi

.PHONY: setup run test test-fast seed lint check bench browser clean

setup: $(VENV)/.installed static/vendor/htmx.min.js

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

# axe-core (npm devDependency) is for the browser audits only: copied outside static/ so no
# page can load it; tests/browser/test_audits.py injects it with Playwright.
tests/browser/vendor/axe.min.js: node_modules/.package-lock.json
	mkdir -p tests/browser/vendor
	cp node_modules/axe-core/axe.min.js $@

run: setup
	$(PY) scripts/devserver.py

seed: setup
	$(PY) -m flask db upgrade && $(PY) -m flask seed-demo

# Browser tests need Debian's Chromium; install it when missing (root, as on CI machines).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; \
	fi
	@test -x $(CHROMIUM) || (echo "Chromium is required for the browser tests: $(CHROMIUM) not found" && exit 1)

# pytest-xdist: one worker per core (TEST_WORKERS=0 runs in one process); a test file stays on one worker.
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist loadfile

test: setup browser tests/browser/vendor/axe.min.js
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest $(XDIST) -m "not browser" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

# The checks CI runs before the tests; any failure fails the run.
check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy app
	$(VENV)/bin/lint-imports

bench: setup
	@cat bench/README.md

clean:
	rm -rf $(VENV) node_modules static/vendor tests/browser/vendor instance .pytest_cache
