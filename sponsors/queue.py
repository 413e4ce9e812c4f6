"""The one way services queue Celery work: ``queue_on_commit(TASK, *args)``.

Services never import task modules (``sponsors/tasks.py`` imports the services, so the other way
round would be a cycle).  They name the task by its registered name, one constant per task below,
and the message is sent once the current transaction commits (at once outside a transaction): a
worker never sees a row that is not there yet, and a rolled-back change queues nothing.

``sponsors/tasks.py`` declares each task with ``name=`` one of these constants, and a test checks
that every constant names a registered task.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction

REFRESH_ACCOUNT = "sponsors.tasks.refresh_account"
RECOMPUTE_PORTFOLIO = "sponsors.tasks.recompute_portfolio"
SWEEP_GUARDRAILS = "sponsors.tasks.sweep_guardrails"
SEND_OUTBOX_EMAIL = "sponsors.tasks.send_outbox_email"
PROCESS_WEBHOOK_DELIVERY = "sponsors.tasks.process_webhook_delivery"
# The weekly digest (built by the top floor through ``sponsors.digests``); the sends are SEND_OUTBOX_EMAIL.
WRITE_DIGEST = "sponsors.tasks.write_digest"
WRITE_TEAM_DIGEST = "sponsors.tasks.write_team_digest"

TASK_NAMES = (REFRESH_ACCOUNT, RECOMPUTE_PORTFOLIO, SWEEP_GUARDRAILS, SEND_OUTBOX_EMAIL, PROCESS_WEBHOOK_DELIVERY,
              WRITE_DIGEST, WRITE_TEAM_DIGEST)


def send_now(task_name: str, *args) -> None:
    """Queue ``task_name(*args)`` now (eagerly run in-process when Celery is eager)."""
    current_app.tasks[task_name].delay(*args)


def queue_on_commit(task_name: str, *args, robust: bool = False) -> None:
    """Queue ``task_name(*args)`` when the current transaction commits."""
    if task_name not in TASK_NAMES:
        raise ValueError(f"unknown task {task_name!r} (known: {', '.join(TASK_NAMES)})")
    transaction.on_commit(lambda: send_now(task_name, *args), robust=robust)
