# The two commands: `make demo` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
# pyenv selects the interpreter from .python-version; fall back to python3.13 on PATH.
PYTHON ?= $(shell command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null || command -v python$(PYTHON_VERSION))
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ce_storefront

.PHONY: demo test install install-dev lint clean bench

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_VERSION) not found: install it (pyenv install $(PYTHON_VERSION))."; exit 1; }
	@$(PYTHON) -c 'import sys; v="$(PYTHON_VERSION)".split("."); sys.exit(0 if list(map(str, sys.version_info[:2])) == v else "Python $(PYTHON_VERSION) is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e . 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import django" && touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import pytest, playwright, axe_playwright_python" && touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The demo: DEBUG on, SQLite unless DATABASE_URL is set, no Stripe keys needed.
demo: export DJANGO_DEBUG ?= true
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:8000  (Ctrl-C stops it)"
	$(BIN)/gunicorn -c config/gunicorn.conf.py --workers 2 --bind 127.0.0.1:8000

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: export DATABASE_URL := $(TEST_DATABASE_URL)
test: install-dev lint
	DJANGO_DEBUG=true DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/catalog_rps.py
	$(BIN)/python bench/media_serve.py
	$(BIN)/python bench/certificates_bench.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
