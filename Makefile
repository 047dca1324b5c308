# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-clocks test-django6 lint audit bench bench-imports loadtest schemathesis install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Web server and a Celery worker with beat, on embedded defaults unless DATABASE_URL /
# REDIS_URL say otherwise. Ctrl-C stops both. DEMO=1: development defaults with the product's
# own error pages (DEBUG=1 on top adds Django's debug pages). For phones on the same network:
# make run HOST=0.0.0.0 SITE_URL=http://192.168.x.x:8000 (README: Two commands).
run: install
	@DEMO=1 $(BIN)/python manage.py migrate --noinput -v0
	@DEMO=1 $(BIN)/python manage.py seed_demo
	@DEMO=1 HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) sh scripts/run.sh

test: install-dev
	$(BIN)/pytest

# The suite at the clocks that break calendars (libfaketime moves the whole process clock;
# Debian package faketime). Browser journeys and the static checks (the code reads the same at any
# clock) are left out.
test-clocks: install-dev
	BIN=$(BIN) sh scripts/test_clocks.sh

# The suite without the browser on Python 3.13 and the newest Django 6 (its own venv).
test-django6:
	sh scripts/test_django6.sh

# Style, the floors (import-linter's contracts in pyproject.toml, also a test), then types:
# mypy reads its files and settings from pyproject.toml; importing the Django settings there
# needs DEBUG=1 (or a SECRET_KEY).
lint: install-dev
	$(BIN)/ruff check campaigns devdata infra ledger security tests
	$(BIN)/ruff format --check campaigns devdata infra ledger security tests
	$(BIN)/lint-imports --no-cache
	DEBUG=1 $(BIN)/mypy

# Security scans: bandit on our code (also a test), pip-audit on the pinned dependencies. pip-audit
# needs the vulnerability database (PyPI's JSON API or OSV); on a machine that reaches only a
# package mirror it cannot answer, and says so instead of passing.
audit: install-dev
	$(BIN)/bandit -q -r campaigns devdata infra ledger security -x campaigns/migrations
	$(BIN)/pip-audit --strict -r requirements.txt || (echo "pip-audit could not check every package (see README: Security)"; exit 1)

# The timed benchmark (not part of make test): PostgreSQL + Redis on this machine, wrk.
bench: install-dev
	$(BIN)/pip install --quiet gunicorn
	$(BIN)/python bench/run.py

# The imports benchmark (not part of make test, no database needed): the largest workbook the
# import caps accept, read once; target under 5 s and 150 MB. Writes a section of bench/RESULTS.md.
bench-imports: install-dev
	DEBUG=1 $(BIN)/python bench/imports.py

# The load test (not part of make test): 60 users for 3 minutes against gunicorn on a fresh
# ledger_load database and Redis db 6, then the ledger is checked; exits non-zero on failure.
loadtest: install-dev
	$(BIN)/pip install --quiet gunicorn
	$(BIN)/python bench/load.py

# The API against its own schema (issue 19): a small ledger in a throwaway SQLite file, a read and
# a write token, the server on loopback, schemathesis with a fixed seed; fails on any 5xx or any
# answer that breaks the schema (README: API).
schemathesis: install-dev
	BIN=$(BIN) sh scripts/schemathesis.sh

clean:
	rm -rf $(VENV) .venv-django6 var staticfiles .pytest_cache .mypy_cache
