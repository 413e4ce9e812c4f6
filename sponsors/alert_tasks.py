"""Celery tasks for guardrails, the e-mail outbox and org-change ingestion.

Tasks take ids, call one domain function and own their retry policy.  The periodic ones are listed
in ``CELERY_BEAT_SCHEDULE`` (config/settings.py): ``guardrails-sweep-daily``,
``outbox-flush-every-minute`` and ``news-feeds-poll-hourly``.
"""

from __future__ import annotations

import logging

from celery import shared_task

from . import notify
from .tasks import task_date

log = logging.getLogger(__name__)

SWEEP_BATCH_SIZE = 500          # accounts per evaluation transaction in the daily sweep


@shared_task(acks_late=True)
def evaluate_guardrails(account_id=None, as_of=None) -> str:
    """Evaluate one account (or all when ``account_id`` is None) as of ``as_of`` (ISO date; default today)."""
    from .alerts import evaluate_accounts

    result = evaluate_accounts(account_ids=None if account_id is None else [account_id], as_of=task_date(as_of))
    return result.summary()


@shared_task(acks_late=True)
def sweep_guardrails(as_of=None) -> str:
    """The daily sweep: every account, in batches (each batch is one transaction)."""
    from accounts.models import Account

    from .alerts import evaluate_accounts

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


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(notify.OutboxSendError,),
    retry_backoff=2,            # 2 s, 4 s, 8 s, ... (jittered) between attempts
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=notify.MAX_ATTEMPTS - 1,
)
def send_outbox_email(self, email_id) -> str:
    """Send one outbox row; the row's claim makes a duplicate delivery of this task harmless."""
    return notify.send_outbox_email(email_id)


@shared_task
def flush_outbox() -> int:
    """Queue again what is still pending (a lost task message) or held by a dead worker."""
    ids = notify.resendable_email_ids()
    for pk in ids:
        send_outbox_email.delay(pk)
    return len(ids)


@shared_task(acks_late=True)
def process_webhook_delivery(delivery_id) -> str:
    from .orgchanges import process_webhook_delivery as process

    return process(delivery_id=delivery_id)


@shared_task
def poll_news_feeds() -> str:
    from .orgchanges import poll_news_feeds as poll

    return poll()
