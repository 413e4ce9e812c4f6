"""Exactly once, with a worker process really killed in the middle of sending the escalation.

A real `celery worker` process takes the send task and talks to a real SMTP server on loopback that
stalls the conversation before the message is handed over; the test kills that process with SIGKILL
right there. The outbox row stays claimed by the dead worker; once its lease has run out, the
periodic flush hands it to a fresh worker process, and the server receives the message exactly once.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import threading
import time
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from django.utils import timezone

from sponsors.config import rules_config
from sponsors.models import Alert, OutboundEmail
from sponsors.services.alerts import escalation_key, evaluate_accounts

from .guardrails_support import AS_OF, fast_password_hashing, import_document
from .test_escalation_email import departed_primary
from .worker_support import smtp_server, start_worker_process, stop, wait_for

ROOT = Path(__file__).resolve().parent.parent


class StallingInbox:
    """Stalls the first SMTP conversation at RCPT (before any message is handed over); accepts the rest."""

    def __init__(self):
        self.stalled = threading.Event()
        self.first = True
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.first:
            self.first = False
            self.stalled.set()
            await asyncio.sleep(60)          # the client is killed meanwhile
            return "451 4.4.2 Timeout"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def stalling_smtp():
    with smtp_server(StallingInbox()) as (inbox, port):
        yield inbox, port


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_a_worker_killed_mid_send_leaves_the_escalation_to_be_sent_exactly_once(document, stalling_smtp,
                                                                                  settings):
    from config.celery import app
    from sponsors.tasks import flush_outbox

    fast_password_hashing(settings)
    inbox, port = stalling_smtp
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    import_document(departed_primary(document))
    evaluate_accounts(as_of=AS_OF)                     # the alert, its outbox row, and the send task queued
    alert = Alert.objects.get(code="sponsor_departed")
    row = OutboundEmail.objects.get(dedupe_key=escalation_key(alert))

    doomed = start_worker_process("doomed", port)
    try:
        assert inbox.stalled.wait(timeout=60), "the worker never reached the SMTP server"
        row.refresh_from_db()
        assert row.status == OutboundEmail.Status.SENDING and row.attempts == 1   # claimed, mid-send
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    finally:
        stop(doomed)
    time.sleep(0.5)
    assert inbox.messages == [], "nothing was handed over before the kill"
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENDING, "the dead worker's claim stays until its lease runs out"

    # The lease runs out (time passes), and the periodic flush gives the row to a live worker.
    OutboundEmail.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=rules_config().outbox.lease_seconds + 60))
    survivor = start_worker_process("survivor", port)
    try:
        flush_outbox.delay()
        wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status == OutboundEmail.Status.SENT,
                 timeout=60, what="the send by the surviving worker")
        flush_outbox.delay().get(timeout=30)           # a later flush finds nothing to resend
        evaluate_accounts(as_of=AS_OF + timedelta(days=1))   # nor does the next sweep
        time.sleep(2)
    finally:
        stop(survivor)

    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert row.attempts == 2 and row.sent_at is not None
    assert OutboundEmail.objects.count() == 1
