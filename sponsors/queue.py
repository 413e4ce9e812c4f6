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

# Queues (``CELERY_TASK_ROUTES`` in config/settings.py): ``notify`` carries what a person is waiting
# for — the e-mail sends and the one-account refresh that turns a departure into an escalation —
# and is consumed by its own worker; everything else (bulk work) goes to ``default``.
DEFAULT_QUEUE = "default"
NOTIFY_QUEUE = "notify"

REFRESH_ACCOUNT = "sponsors.tasks.refresh_account"                      # notify
RECOMPUTE_ACCOUNT = "sponsors.tasks.recompute_account"                  # default
REFRESH_ACCOUNTS = "sponsors.tasks.refresh_accounts"                    # default: a batch of accounts
RECOMPUTE_PORTFOLIO = "sponsors.tasks.recompute_portfolio"              # default
SWEEP_GUARDRAILS = "sponsors.tasks.sweep_guardrails"                    # default: queues the batches
EVALUATE_GUARDRAILS_BATCH = "sponsors.tasks.evaluate_guardrails_batch"  # default
SEND_OUTBOX_EMAIL = "sponsors.tasks.send_outbox_email"                  # notify
PROCESS_WEBHOOK_DELIVERY = "sponsors.tasks.process_webhook_delivery"    # notify
# The weekly digest (built by the top floor through ``sponsors.digests``); the sends are SEND_OUTBOX_EMAIL.
WRITE_DIGEST = "sponsors.tasks.write_digest"                            # default
WRITE_TEAM_DIGEST = "sponsors.tasks.write_team_digest"                  # default
# CRM connections (sponsors/crm/runs.py): one run of one connection; the beat job queues the due ones.
SYNC_CRM_CONNECTION = "sponsors.tasks.sync_crm_connection"              # default

TASK_NAMES = (REFRESH_ACCOUNT, RECOMPUTE_ACCOUNT, REFRESH_ACCOUNTS, RECOMPUTE_PORTFOLIO, SWEEP_GUARDRAILS,
              EVALUATE_GUARDRAILS_BATCH, SEND_OUTBOX_EMAIL, PROCESS_WEBHOOK_DELIVERY, WRITE_DIGEST, WRITE_TEAM_DIGEST,
              SYNC_CRM_CONNECTION)


def send_now(task_name: str, *args) -> None:
    """Queue ``task_name(*args)`` now (eagerly run in-process when Celery is eager), on the queue
    its route names."""
    current_app.tasks[task_name].delay(*args)


def queue_on_commit(task_name: str, *args, robust: bool = False) -> None:
    """Queue ``task_name(*args)`` when the current transaction commits."""
    if task_name not in TASK_NAMES:
        raise ValueError(f"unknown task {task_name!r} (known: {', '.join(TASK_NAMES)})")
    transaction.on_commit(lambda: send_now(task_name, *args), robust=robust)
