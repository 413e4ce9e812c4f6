"""One log line per request and per task, with the account where there is one; with ``LOG_FORMAT=json``
each is one JSON object (the smoke test reads them from the real gunicorn and worker processes)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from sponsors.tasks import refresh_account

from .guardrails_support import account, import_document

ROOT = Path(__file__).resolve().parent.parent
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "user_id", "account_id")
TASK_FIELDS = ("task", "task_id", "queue", "state", "duration_ms", "account_id")


def as_json(record) -> dict:
    """The record as the settings' JSON formatter writes it (LOG_FORMAT=json)."""
    options = {k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"}
    return json.loads(JsonFormatter(**options).format(record))


def records(caplog, logger) -> list:
    return [r for r in caplog.records if r.name == logger]


@pytest.mark.django_db
def test_a_request_is_one_line_with_its_user_and_the_account_its_url_names(document, cast, client, caplog):
    import_document(document)
    acc = account()
    client.force_login(cast["csm"])

    with caplog.at_level(logging.INFO, logger="exec_sponsor.requests"):
        client.get(f"/accounts/{acc.pk}/report/")
        client.get("/api/alerts/?status=open")
        client.post("/webhooks/job-changes/nobody/", data=b"{}", content_type="application/json")
        client.get("/healthz")                                           # probes are not logged

    lines = [as_json(r) for r in records(caplog, "exec_sponsor.requests")]
    assert [{k: line[k] for k in REQUEST_FIELDS if k != "duration_ms"} for line in lines] == [
        {"method": "GET", "path": f"/accounts/{acc.pk}/report/", "status": 200, "user_id": cast["csm"].pk,
         "account_id": acc.pk},
        {"method": "GET", "path": "/api/alerts/", "status": 200, "user_id": cast["csm"].pk, "account_id": None},
        {"method": "POST", "path": "/webhooks/job-changes/nobody/", "status": 404, "user_id": None,
         "account_id": None},
    ]
    assert all(line["duration_ms"] >= 0 and line["level"] == "INFO" and line["logger"] == "exec_sponsor.requests"
               and line["time"] for line in lines)
    assert lines[0]["message"].startswith(f"GET /accounts/{acc.pk}/report/ 200 ")


@pytest.mark.django_db
def test_a_task_is_one_line_with_its_queue_state_and_account(document, caplog):
    import_document(document)
    acc = account()

    with caplog.at_level(logging.INFO, logger="exec_sponsor.tasks"):
        result = refresh_account.apply(args=[acc.pk])

    [line] = [as_json(r) for r in records(caplog, "exec_sponsor.tasks")]
    assert {k: line[k] for k in TASK_FIELDS if k != "duration_ms"} == {
        "task": "sponsors.tasks.refresh_account", "task_id": result.id, "queue": "(in-process)", "state": "SUCCESS",
        "account_id": acc.pk}
    assert line["duration_ms"] > 0


def test_log_format_is_plain_or_json_and_nothing_else():
    env = {"LOG_FORMAT": "xml", "DJANGO_SETTINGS_MODULE": "config.settings", "EXEC_SPONSOR_QUIET_EMBEDDED": "1",
           "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode != 0
    assert "LOG_FORMAT must be plain or json, not 'xml'" in run.stderr
