"""Celery tasks for scores.  Each takes ids and an optional ISO date, calls one service and owns its
retry policy (a lost database connection is retried with exponential backoff).

* ``recompute_portfolio`` — every account; the beat entry ``recompute-scores-daily`` runs it nightly
  (``CELERY_BEAT_SCHEDULE`` in config/settings.py);
* ``recompute_account`` — one account's scores;
* ``refresh_account`` — one account's scores, then its guardrails (alerts and escalations); queued by
  ``sponsors.signals`` after a transaction that changed the account's interactions, contacts, org
  changes, goals or alignment commits.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .engagement import recompute_scores

RETRY_POLICY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,          # 5 s, 10 s, 20 s, … (with jitter)
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def task_date(value) -> date:
    """A task's ``as_of`` argument (an ISO date string, since task arguments travel as JSON) → a date;
    None → today in the configured time zone."""
    if value is None:
        return timezone.localdate()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@shared_task(name="sponsors.tasks.recompute_portfolio", **RETRY_POLICY)
def recompute_portfolio(as_of=None) -> dict:
    """Recompute every account's scores as of ``as_of`` (ISO date; default today)."""
    return recompute_scores(as_of=task_date(as_of)).summary()


@shared_task(name="sponsors.tasks.recompute_account", **RETRY_POLICY)
def recompute_account(account_id, as_of=None) -> dict:
    """Recompute one account's scores as of ``as_of`` (ISO date; default today)."""
    return recompute_scores(account_ids=[int(account_id)], as_of=task_date(as_of)).summary()


@shared_task(name="sponsors.tasks.refresh_account", **RETRY_POLICY)
def refresh_account(account_id, as_of=None) -> dict:
    """Recompute one account's scores, then evaluate its guardrails, as of ``as_of`` (default today).

    Scores first, so the alerts and the score history describe the same facts."""
    from .alerts import evaluate_accounts

    day = task_date(as_of)
    scores = recompute_scores(account_ids=[int(account_id)], as_of=day).summary()
    guardrails = evaluate_accounts(account_ids=[int(account_id)], as_of=day).summary()
    return {"scores": scores, "guardrails": guardrails}
