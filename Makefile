# rxportal: two commands for a fresh machine.
#   make run   set up, migrate, load reference and demo data, serve on http://127.0.0.1:8000
#   make test  the whole suite (lint, types, import contracts, pytest incl. browser tests)
# Both are idempotent: a second run only does what changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_MEMBERS ?= 200
DEMO_SEED ?= 1

.PHONY: run test setup data lock clean messages help worker openapi

help:
	@echo "make run   - set up and serve the portal on http://$(HOST):$(PORT) with demo data"
	@echo "make test  - run the whole test suite"
	@echo "make openapi - regenerate docs/api/openapi.json after changing the JSON API"
	@echo "make worker - with REDIS_URL set: the Celery worker and beat (deliveries, reminders, reports)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rxportal needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV) || { echo "Creating a virtualenv failed: on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when a lock file changes.
$(VENV)/.runtime-installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	@touch $@

$(VENV)/.dev-installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	@touch $@ $(VENV)/.runtime-installed

setup: $(VENV)/.runtime-installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0

data: setup
	$(BIN)/python manage.py import_reference_data
	$(BIN)/python manage.py seed_demo --members $(DEMO_MEMBERS) --seed $(DEMO_SEED)
	$(BIN)/python manage.py seed_hub

run: data
	@$(BIN)/python manage.py demo_sign_ins
	$(BIN)/gunicorn rxportal.wsgi --bind $(HOST):$(PORT) --workers 3 --access-logfile - --graceful-timeout 5

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy rxportal
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=rxportal.settings.test
	DJANGO_SETTINGS_MODULE=rxportal.settings.test $(BIN)/pytest

# With REDIS_URL set, tasks wait in Redis for this worker, and beat starts the scheduled jobs
# (the outbox's sweep, reminders, late orders, formulary changes). Without Redis, tasks run in
# the request and there is nothing to start.
worker: $(VENV)/.runtime-installed
	@test -n "$$REDIS_URL" || { echo "make worker needs REDIS_URL (without it tasks run in process)"; exit 1; }
	$(BIN)/celery -A rxportal worker --beat -l INFO

# Regenerate the pinned lock files after editing pyproject.toml.
lock: $(VENV)/.dev-installed
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml -o requirements.lock --python-version 3.11
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements-dev.lock --python-version 3.11

# The JSON API's OpenAPI document, committed at docs/api/openapi.json (a test fails on drift).
openapi: $(VENV)/.runtime-installed
	$(BIN)/python manage.py export_openapi

messages: $(VENV)/.dev-installed
	cd rxportal && ../$(BIN)/python ../manage.py makemessages -l es && ../$(BIN)/python ../manage.py compilemessages

clean:
	rm -rf $(VENV) var
