"""User-facing work on its own queue: what a person waits for is routed to ``notify``, bulk work to
``default``; a departure is escalated by a real worker process that consumes ``notify`` alone while
nothing consumes ``default``; an import's many accounts are refreshed in batches on ``default``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from celery import current_app
from django.db import transaction

from accounts.models import Account
from sponsors import queue, signals
from sponsors.models import Contact, OutboundEmail

from .guardrails_support import fast_password_hashing, import_document, portfolio
from .worker_support import smtp_server, start_worker_process, stop

ROOT = Path(__file__).resolve().parent.parent
NOTIFY = ["sponsors.tasks.send_outbox_email", "sponsors.tasks.flush_outbox", queue.REFRESH_ACCOUNT,
          queue.PROCESS_WEBHOOK_DELIVERY]
DEFAULT = [queue.RECOMPUTE_PORTFOLIO, queue.SWEEP_GUARDRAILS, queue.EVALUATE_GUARDRAILS_BATCH,
           queue.REFRESH_ACCOUNTS, queue.RECOMPUTE_ACCOUNT, "sponsors.tasks.poll_news_feeds"]


def routed_queue(task_name) -> str:
    return current_app.amqp.router.route({}, task_name)["queue"].name


def test_user_facing_tasks_go_to_notify_and_bulk_work_to_default():
    assert {name: routed_queue(name) for name in NOTIFY} == dict.fromkeys(NOTIFY, "notify")
    assert {name: routed_queue(name) for name in DEFAULT} == dict.fromkeys(DEFAULT, "default")
    assert {q.name for q in current_app.conf.task_queues} == {"default", "notify"}   # a bare worker takes both


def waiting(queue_name) -> list:
    """The task names waiting in a queue on the Redis broker, oldest first."""
    with current_app.connection_for_write() as conn:
        raw = conn.default_channel.client.lrange(queue_name, 0, -1)
    return [json.loads(m)["headers"]["task"] for m in reversed(raw)]


def purge():
    with current_app.connection_for_write() as conn:
        for name in ("default", "notify"):
            conn.default_channel.queue_purge(name)


@pytest.mark.django_db
def test_many_accounts_are_refreshed_in_batches_on_default_and_a_few_one_by_one_on_notify():
    purge()
    signals.queue_account_refresh(range(1, signals.INTERACTIVE_LIMIT + 2 * signals.REFRESH_BATCH_SIZE))
    batches = -(-(signals.INTERACTIVE_LIMIT + 2 * signals.REFRESH_BATCH_SIZE - 1) // signals.REFRESH_BATCH_SIZE)
    assert waiting("default") == [queue.REFRESH_ACCOUNTS] * batches and waiting("notify") == []
    purge()
    signals.queue_account_refresh([3, 1, 2])
    assert waiting("notify") == [queue.REFRESH_ACCOUNT] * 3 and waiting("default") == []
    purge()


@pytest.fixture
def smtp():
    with smtp_server() as (inbox, port):
        yield inbox, port


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_a_departure_is_escalated_by_the_notify_worker_alone(document, smtp, settings):
    fast_password_hashing(settings)
    smtp, port = smtp
    import_document(portfolio(document, 2))
    purge()
    current_app.send_task(queue.RECOMPUTE_PORTFOLIO)       # bulk work nobody consumes: it must not be in the way
    worker = start_worker_process("notify", port, queues="notify")
    try:
        account = Account.objects.get(external_id="acc_1")
        sponsor = Contact.objects.get(account=account, sponsor="primary")
        with transaction.atomic():
            sponsor.status = "departed"
            sponsor.save(update_fields=["status", "updated_at"])
        deadline = time.monotonic() + 60
        while not smtp.messages and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop(worker)
    assert len(smtp.messages) == 1, "the escalation was not sent by the notify worker"
    _rcpts, msg = smtp.messages[0]
    assert msg["Subject"].startswith(f"[Escalation] {account.name}:")
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT
    # the portfolio recompute and the account's score recompute still wait on default, untouched
    assert waiting("default") == [queue.RECOMPUTE_PORTFOLIO, queue.RECOMPUTE_ACCOUNT]
    purge()
