"""Every Celery task of the tracker, and the only module that imports Celery tasks.

Tasks take ids and ISO dates (their arguments travel as JSON), call one service and own their retry
policy.  Services queue them by name through ``sponsors.queue`` (the constants there are these
tasks' names).  The periodic ones are listed in ``CELERY_BEAT_SCHEDULE`` (config/settings.py).
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
from .digests import weekly_jobs
from .orgchanges import news, webhook
from .outbox import delivery, email
from .services.alerts import evaluate_accounts
from .services.scores import recompute_scores

log = logging.getLogger(__name__)

SWEEP_BATCH_SIZE = 500          # accounts per evaluation transaction in the daily sweep
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
    """Recompute every account's scores as of ``as_of`` (ISO date; default today)."""
    return recompute_scores(as_of=task_date(as_of)).summary()


@shared_task(name="sponsors.tasks.recompute_account", **RETRY_POLICY)
def recompute_account(account_id, as_of=None) -> dict:
    """Recompute one account's scores as of ``as_of`` (ISO date; default today)."""
    return recompute_scores(account_ids=[int(account_id)], as_of=task_date(as_of)).summary()


@shared_task(name=queue.REFRESH_ACCOUNT, **RETRY_POLICY)
def refresh_account(account_id, as_of=None) -> dict:
    """Recompute one account's scores, then evaluate its guardrails, as of ``as_of`` (default today).

    Scores first, so the alerts and the score history describe the same facts."""
    day = task_date(as_of)
    scores = recompute_scores(account_ids=[int(account_id)], as_of=day).summary()
    guardrails = evaluate_accounts(account_ids=[int(account_id)], as_of=day).summary()
    return {"scores": scores, "guardrails": guardrails}


# --- guardrails -------------------------------------------------------------------------------

@shared_task(name="sponsors.tasks.evaluate_guardrails", acks_late=True)
def evaluate_guardrails(account_id=None, as_of=None) -> str:
    """Evaluate one account (or all when ``account_id`` is None) as of ``as_of`` (ISO date; default today)."""
    result = evaluate_accounts(account_ids=None if account_id is None else [account_id], as_of=task_date(as_of))
    return result.summary()


@shared_task(name=queue.SWEEP_GUARDRAILS, acks_late=True)
def sweep_guardrails(as_of=None) -> str:
    """The daily sweep: every account, in batches (each batch is one transaction)."""
    day = task_date(as_of)
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    opened = kept = resolved = emails = 0
    for start in range(0, len(ids), SWEEP_BATCH_SIZE):
        result = evaluate_accounts(account_ids=ids[start:start + SWEEP_BATCH_SIZE], as_of=day)
        opened, kept, resolved = opened + len(result.opened), kept + result.kept, resolved + result.resolved
        emails += len(result.emails)
    summary = (f"{len(ids)} account(s) as of {day.isoformat()}: {opened} opened, {kept} kept, "
               f"{resolved} resolved, {emails} e-mail(s) queued")
    log.info("guardrail sweep: %s", summary)
    return summary


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
