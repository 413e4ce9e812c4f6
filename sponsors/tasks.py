"""Every Celery task of the tracker, and the only module that imports Celery tasks.

Tasks take ids and ISO dates (their arguments travel as JSON), call one service and own their retry
policy.  Services queue them by name through ``sponsors.queue`` (the constants there are these
tasks' names).  Their queue — ``notify`` for what a person waits for, ``default`` for bulk work —
is set by ``CELERY_TASK_ROUTES``, and the periodic ones are listed in ``CELERY_BEAT_SCHEDULE``
(both in config/settings.py).
"""

from __future__ import annotations

import logging
import math
from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from accounts.models import Account

from . import queue
from .config import rules_config
from .crm import runs as crm_runs
from .digests import weekly_jobs
from .orgchanges import news, webhook
from .outbox import delivery, email
from .services.alerts import EVALUATION_BATCH_SIZE, evaluate_accounts
from .services.scores import recompute_scores

log = logging.getLogger(__name__)

RETRY_POLICY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,          # 5 s, 10 s, 20 s, … (with jitter)
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def task_date(value) -> date:
    """A task's ``as_of`` argument (an ISO date string) → a date; None → today in the configured time zone."""
    if value is None:
        return timezone.localdate()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# --- scores -----------------------------------------------------------------------------------

@shared_task(name=queue.RECOMPUTE_PORTFOLIO, **RETRY_POLICY)
def recompute_portfolio(as_of=None) -> dict:
    """Recompute every account's scores as of ``as_of`` (ISO date; default today).

    One set-based pass (a fixed number of queries, seconds at 5,000 accounts): splitting it would
    read the interactions once per batch instead of once."""
    return recompute_scores(as_of=task_date(as_of)).summary()


@shared_task(name=queue.RECOMPUTE_ACCOUNT, **RETRY_POLICY)
def recompute_account(account_id, as_of=None) -> dict:
    """Recompute one account's scores as of ``as_of`` (ISO date; default today)."""
    return recompute_scores(account_ids=[int(account_id)], as_of=task_date(as_of)).summary()


@shared_task(name=queue.REFRESH_ACCOUNT, **RETRY_POLICY)
def refresh_account(account_id, as_of=None) -> dict:
    """After a change to one account: evaluate its guardrails now, then queue its score recompute.

    This task runs on the ``notify`` queue, so a departure becomes an escalation e-mail without
    waiting behind bulk work; the recompute goes to the ``default`` queue, because it waits for the
    day's snapshot lock that a running portfolio recompute holds.  The order does not change what
    the alerts say: the guardrails score the account from the same facts themselves (today's
    snapshots are not among their inputs)."""
    day = task_date(as_of)
    guardrails = evaluate_accounts(account_ids=[int(account_id)], as_of=day).summary()
    queue.send_now(queue.RECOMPUTE_ACCOUNT, int(account_id), day.isoformat())
    return {"guardrails": guardrails, "scores": "queued"}


@shared_task(name=queue.REFRESH_ACCOUNTS, acks_late=True, **RETRY_POLICY)
def refresh_accounts(account_ids, as_of=None) -> dict:
    """A batch of accounts changed in bulk (an import): their scores, then their guardrails, set-based."""
    day, ids = task_date(as_of), [int(pk) for pk in account_ids]
    scores = recompute_scores(account_ids=ids, as_of=day).summary()
    guardrails = evaluate_accounts(account_ids=ids, as_of=day).summary()
    return {"scores": scores, "guardrails": guardrails}


# --- guardrails -------------------------------------------------------------------------------

@shared_task(name="sponsors.tasks.evaluate_guardrails", acks_late=True)
def evaluate_guardrails(account_id=None, as_of=None) -> str:
    """Evaluate one account (or all when ``account_id`` is None) as of ``as_of`` (ISO date; default today)."""
    result = evaluate_accounts(account_ids=None if account_id is None else [account_id], as_of=task_date(as_of))
    return result.summary()


@shared_task(name=queue.SWEEP_GUARDRAILS, acks_late=True)
def sweep_guardrails(as_of=None) -> str:
    """The daily sweep over every account, ``EVALUATION_BATCH_SIZE`` accounts a task.

    A portfolio of one batch is evaluated here; a larger one is handed out as one
    ``evaluate_guardrails_batch`` task per batch, so no worker is held for the whole portfolio and
    other work gets in between the batches."""
    day = task_date(as_of)
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    if len(ids) <= EVALUATION_BATCH_SIZE:
        result = evaluate_accounts(account_ids=ids, as_of=day)
        summary = (f"{len(ids)} account(s) as of {day.isoformat()}: {len(result.opened)} opened, {result.kept} "
                   f"kept, {result.resolved} resolved, {len(result.emails)} e-mail(s) queued")
    else:
        batches = [ids[start:start + EVALUATION_BATCH_SIZE] for start in range(0, len(ids), EVALUATION_BATCH_SIZE)]
        for batch in batches:
            queue.send_now(queue.EVALUATE_GUARDRAILS_BATCH, batch, day.isoformat())
        summary = f"{len(ids)} account(s) as of {day.isoformat()}: {len(batches)} batch task(s) queued"
    log.info("guardrail sweep: %s", summary)
    return summary


@shared_task(name=queue.EVALUATE_GUARDRAILS_BATCH, acks_late=True, **RETRY_POLICY)
def evaluate_guardrails_batch(account_ids, as_of=None) -> str:
    """One batch of the sweep (one transaction)."""
    return evaluate_accounts(account_ids=[int(pk) for pk in account_ids], as_of=task_date(as_of)).summary()


# --- the e-mail outbox ------------------------------------------------------------------------

@shared_task(name=queue.SEND_OUTBOX_EMAIL, bind=True, acks_late=True, max_retries=None)
def send_outbox_email(self, email_id) -> str:
    """Send one outbox row, whatever its channel (e-mail or Slack); the row's claim makes a duplicate
    delivery of this task harmless.  A 429's Retry-After is honoured (the countdown is at least that).

    A failed attempt is retried with exponential backoff (``OutboxConfig.retry_backoff_seconds``,
    doubling, jittered, capped); the row counts its attempts and gives up after
    ``OutboxConfig.max_attempts`` (the send returns "failed" then, so the retries stop)."""
    try:
        return delivery.send_outbox_message(email_id)
    except email.OutboxSendError as exc:
        conf = rules_config().outbox
        countdown = max(email.retry_countdown(self.request.retries, conf), math.ceil(exc.retry_after))
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="sponsors.tasks.flush_outbox")
def flush_outbox() -> int:
    """Queue again what is still pending (a lost task message) or held by a dead worker."""
    ids = email.resendable_email_ids()
    for pk in ids:
        send_outbox_email.delay(pk)
    return len(ids)


# --- org-change sources -----------------------------------------------------------------------

@shared_task(name=queue.PROCESS_WEBHOOK_DELIVERY, acks_late=True)
def process_webhook_delivery(delivery_id) -> str:
    return webhook.process_webhook_delivery(delivery_id=delivery_id)


@shared_task(name="sponsors.tasks.poll_news_feeds")
def poll_news_feeds() -> str:
    return news.poll_news_feeds()


# --- the weekly digest and the stored portfolio metrics (built by the top floor: sponsors.digests) -----

@shared_task(name="sponsors.tasks.send_due_digests")
def send_due_digests() -> dict:
    """Every quarter of an hour: queue the digest of everyone whose own Monday 08:00 has come (once a week)."""
    return weekly_jobs().queue_due_digests(now=timezone.now())


@shared_task(name=queue.WRITE_DIGEST, acks_late=True, **RETRY_POLICY)
def write_digest(user_id, week) -> str:
    """Build one user's digest of ``week`` (ISO date of its send day) into the outbox, once."""
    return weekly_jobs().write_digest(user_id=int(user_id), week=task_date(week))


@shared_task(name=queue.WRITE_TEAM_DIGEST, acks_late=True, **RETRY_POLICY)
def write_team_digest(team_id, week) -> str:
    """Build one team's Slack digest of ``week`` into the outbox, once."""
    return weekly_jobs().write_team_digest(team_id=int(team_id), week=task_date(week))


@shared_task(name="sponsors.tasks.store_portfolio_metrics", **RETRY_POLICY)
def store_portfolio_metrics(as_of=None) -> dict:
    """Weekly: store the portfolio metrics of every scope as of the last day of the week that ended."""
    day = task_date(as_of) if as_of is not None else None
    return weekly_jobs().store_metrics(as_of=day)


# --- operations -------------------------------------------------------------------------------

@shared_task(name="sponsors.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Beat's tick, sent every minute to ``default``: beat records sending it and the worker that runs
    it records the queue's last task (``sponsors/heartbeat.py``); there is nothing else to do."""

# --- CRM sync (sponsors/crm/runs.py) -------------------------------------------------------------------

@shared_task(name=queue.SYNC_CRM_CONNECTION, acks_late=True, **RETRY_POLICY)
def sync_crm_connection(connection_id, full=False, trigger="schedule") -> str:
    """One run of one CRM connection (a second one at the same time is logged as busy and does nothing).
    Late acknowledgement: a worker killed mid-run leaves the task to be run again, and the run resumes after
    the last committed page."""
    return crm_runs.sync_connection_by_id(int(connection_id), full=bool(full), trigger=trigger)


@shared_task(name="sponsors.tasks.sync_crm_due")
def sync_crm_due() -> int:
    """Every minute: queue the incremental sync of each enabled connection whose interval has passed."""
    due = crm_runs.due_connections()
    for connection_id in due:
        queue.send_now(queue.SYNC_CRM_CONNECTION, connection_id, False, "schedule")
    return len(due)
