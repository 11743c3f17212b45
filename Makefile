# The two commands: `make demo` and `make test`. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip's notes about this machine's extra package folders are noise.
QUIET := 2>&1 | sed '/^WARNING: Location/d'
PYTHON_VERSION := $(shell cat .python-version)
# pyenv selects the interpreter from .python-version; fall back to python3.13 on PATH.
PYTHON ?= $(shell command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null || command -v python$(PYTHON_VERSION))
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ce_storefront
# The versions CI passed are the versions deployed: both installs take the hashed locks.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock

# Debian 12 packages each command needs. WeasyPrint renders the PDFs with Pango and
# subsets fonts with HarfBuzz's subset library (without it, a slow pure-Python fallback);
# the tests read PDFs with poppler-utils, drive Chromium, put nginx in front of two hosts
# and check the unit files with systemd-analyze.
DEMO_APT := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_APT := $(DEMO_APT) chromium poppler-utils nginx systemd
# bench/ only (never `make test`): the load generator, and the scale-out set-up for the soak.
BENCH_APT := $(TEST_APT) wrk redis-server

# Installs the missing packages as root; anyone else gets the one command to run.
define apt_ensure
@missing=(); for p in $(1); do \
  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing+=($$p); \
done; \
if (( $${#missing[@]} )); then \
  if [ "$$(id -u)" != 0 ]; then \
    echo "Missing system packages. Run: sudo apt-get install -y $${missing[*]}"; exit 1; \
  fi; \
  echo "Installing $${missing[*]} with apt-get"; \
  export DEBIAN_FRONTEND=noninteractive; \
  apt-get update -qq && apt-get install -y -qq $${missing[*]} >/dev/null || exit 1; \
fi
endef

.PHONY: demo worker test install install-dev lint clean bench soak lock lock-check system-packages-demo system-packages-test

system-packages-demo:
	$(call apt_ensure,$(DEMO_APT))

system-packages-test:
	$(call apt_ensure,$(TEST_APT))

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_VERSION) not found: install it (pyenv install $(PYTHON_VERSION))."; exit 1; }
	@$(PYTHON) -c 'import sys; v="$(PYTHON_VERSION)".split("."); sys.exit(0 if list(map(str, sys.version_info[:2])) == v else "Python $(PYTHON_VERSION) is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# Fails when pyproject.toml asks for something the locks do not pin: run `make lock`.
lock-check: | $(BIN)/python
	@$(BIN)/python tests/lockcheck.py

$(VENV)/.installed: $(LOCK) | $(BIN)/python lock-check
	$(PIP) install --require-hashes --no-deps -r $(LOCK) $(QUIET)
	@$(BIN)/python -c "import django" && touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) | $(BIN)/python lock-check
	$(PIP) install --require-hashes --no-deps -r $(DEV_LOCK) $(QUIET)
	@$(BIN)/python -c "import pytest, playwright, axe_playwright_python" && touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Regenerate both locks from pyproject.toml (Python 3.13 on Linux); the dev lock is solved
# first and constrains the production one, so shared packages have the same versions.
UV := $(BIN)/uv
LOCK_ARGS := --generate-hashes --python-version $(PYTHON_VERSION) --python-platform linux \
	--custom-compile-command "make lock" --native-tls -q
lock: | $(BIN)/python
	@test -x $(UV) || $(PIP) install "uv>=0.9,<1"
	$(UV) pip compile pyproject.toml --extra dev $(LOCK_ARGS) -o $(DEV_LOCK)
	$(UV) pip compile pyproject.toml -c $(DEV_LOCK) $(LOCK_ARGS) -o $(LOCK)
	@$(BIN)/python tests/lockcheck.py

# The demo: DEBUG on, SQLite unless DATABASE_URL is set, no Stripe keys needed.
# `make demo DEMO_BIND=127.0.0.1:8001` serves a second demo beside the first (give it its
# own DATABASE_URL too, or both share db.sqlite3).
DEMO_BIND ?= 127.0.0.1:8000
demo: export DJANGO_DEBUG ?= true
demo: export SITE_URL ?= http://$(DEMO_BIND)
demo: system-packages-demo install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py seed_demo --learner-progress
	@echo "Serving on http://$(DEMO_BIND) with the task worker beside it (Ctrl-C stops both)"
	@$(BIN)/python manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(BIN)/gunicorn -c config/gunicorn.conf.py --workers 2 --bind $(DEMO_BIND)

# The task worker in the foreground (emails, certificate PDFs, refunds), with the
# environment it is given; production runs it as a service (deploy/, README "Production").
worker: install
	$(BIN)/python manage.py worker

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: export DATABASE_URL := $(TEST_DATABASE_URL)
test: system-packages-test install-dev lint
	DJANGO_DEBUG=true DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install-dev
	$(call apt_ensure,$(BENCH_APT))
	$(BIN)/python bench/pages_rps.py --growth
	$(BIN)/python bench/media_serve.py

# Ten minutes of mixed traffic on the two-host set-up; SOAK_ARGS="--rate 40" to try a rate.
soak: install-dev
	$(call apt_ensure,$(BENCH_APT))
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
