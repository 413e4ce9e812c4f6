# The two commands of the README:
#   make demo   — set up everything and start the app with a demo portfolio at http://127.0.0.1:8000
#   make test   — set up everything and run the whole test suite on PostgreSQL and Redis
# Both create .venv with Python 3.13 and install requirements.txt on first use.

PYENV_313 := $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13))
PYTHON_313 := $(shell pyenv which python3.13 2>/dev/null || command -v python3.13 || echo $(or $(PYENV_313),python3.13))
VENV := .venv
PY := $(VENV)/bin/python

PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/exec_sponsor
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: demo test venv services lint bench workers clean

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON_313) -m venv $(VENV) || { echo "Python 3.13 is needed (pyenv install 3.13.0)"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

# The links the demo writes (e-mails in the console, the CSV export, the calendar feed) point at its own port.
demo: export SITE_URL ?= http://127.0.0.1:$(PORT)
demo: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py recompute_scores --weeks 12
	$(PY) manage.py check_guardrails
	$(PY) manage.py demo_logins --port $(PORT)
	$(PY) manage.py store_portfolio_metrics --weeks 12
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

services:
	@./.ci/services

test: venv services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest

lint: venv
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

bench: venv services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py migrate --noinput
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py bench_import
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py bench_scoring --accounts 5000
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py bench_guardrails
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py bench_escalation

# The Celery processes next to the web process (needs REDIS_URL; without it tasks run in-process):
# one worker for bulk work, one for what a person waits for (its own queue), and beat.  Ctrl-C stops all.
workers: venv
	@test -n "$(REDIS_URL)" || { echo "set REDIS_URL (and DATABASE_URL): without them Celery runs tasks in-process"; exit 1; }
	trap 'kill 0' INT TERM; \
	$(VENV)/bin/celery -A config worker -Q notify --pool threads -c 1 -n notify@%h & \
	$(VENV)/bin/celery -A config worker -Q default -c 2 -n default@%h & \
	$(VENV)/bin/celery -A config beat & \
	wait

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
