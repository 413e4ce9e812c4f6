"""The rules that keep the house habitable, checked on every run: the import contracts (floors, no
cycles, pure rules, who imports the task module), the alert-code registry against the registered rules,
the queued task names against Celery's registry."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings

from sponsors import queue
from sponsors.rules import guardrails
from sponsors.rules.alert_codes import ALERT_CODES
from sponsors.rules.facts import AccountFacts

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_alert_code_has_exactly_one_rule_and_every_rule_a_code():
    codes = [code for code, _rule in guardrails.RULES]
    assert sorted(codes) == sorted(ALERT_CODES)
    assert len(codes) == len(set(codes))


def test_a_rule_for_an_unknown_code_is_refused():
    with pytest.raises(ValueError, match="unknown alert code 'no_lunch'"):
        guardrails.guardrail("no_lunch")


def test_every_rule_runs_on_an_empty_account():
    facts = AccountFacts(id=1, name="Empty", tier="smb")
    found = {f.code for f in guardrails.evaluate_account(facts, None, as_of=date(2026, 1, 1))}
    assert {"no_sponsor", "no_backup_sponsor", "cadence_overdue"} <= found <= set(ALERT_CODES)


def test_every_task_the_services_queue_by_name_is_registered():
    registered = set(current_app.tasks)
    assert set(queue.TASK_NAMES) <= registered


def test_every_periodic_job_names_a_registered_task():
    registered = set(current_app.tasks)
    assert {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()} <= registered


def test_queueing_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task 'sponsors.tasks.nap'"):
        queue.queue_on_commit("sponsors.tasks.nap")
