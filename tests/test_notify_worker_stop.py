"""Stopping ``worker-notify`` while it sends an escalation: the send finishes, once.

``worker-notify`` is started from the Procfile by honcho, as in production.  A real SMTP server on loopback
holds the conversation at DATA (the message is on the wire, its acceptance not yet given) while honcho is
told to stop — honcho sends SIGTERM to the whole process group, as systemd's default does.  The server then
accepts the message.  A worker whose tasks run in forked children loses the send there (the child dies on the
signal; the row stays claimed and is sent again once its lease runs out: a duplicate at the recipient).
``worker-notify``'s warm shutdown must let it finish: the row says sent, after one attempt, and the server
holds exactly one message.
"""

from __future__ import annotations

import asyncio
import email
import threading
import time
from email import policy

import pytest
from celery import current_app

from sponsors.models import Alert, OutboundEmail
from sponsors.services.alerts import escalation_key, evaluate_accounts

from .guardrails_support import AS_OF, import_document
from .test_escalation_email import departed_primary
from .test_smoke_production import Honcho, process_env
from .worker_support import free_port, smtp_server, wait_for

pytestmark = [pytest.mark.smoke, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


class HeldInbox:
    """Holds each message at DATA until ``release`` is set, then accepts it."""

    def __init__(self):
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.arrived.set()
        while not self.release.is_set():
            await asyncio.sleep(0.05)
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


def test_stopping_worker_notify_mid_send_lets_the_escalation_finish_once(document, tmp_path):
    with current_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("notify")
    with smtp_server(HeldInbox()) as (inbox, port):
        notify = Honcho(("worker-notify",), env=process_env(tmp_path, port), log=tmp_path / "notify.log",
                        port=free_port())
        try:
            import_document(departed_primary(document))
            evaluate_accounts(as_of=AS_OF)             # the alert, its outbox row, its send task on `notify`
            row = OutboundEmail.objects.get(dedupe_key=escalation_key(Alert.objects.get(code="sponsor_departed")))
            assert inbox.arrived.wait(timeout=60), "worker-notify never reached the SMTP server"

            stopping = threading.Thread(target=notify.stop)
            stopping.start()                            # SIGTERM to honcho, and from it to the process group
            time.sleep(1.5)                             # the signal has reached every process meanwhile
            assert stopping.is_alive(), "worker-notify must wait for the send in progress"
            inbox.release.set()
            stopping.join(timeout=90)
            assert not stopping.is_alive()
        finally:
            inbox.release.set()
            notify.stop()
        wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status != OutboundEmail.Status.SENDING,
                 timeout=5, what="the row recorded as sent")
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundEmail.Status.SENT, 1)
    assert [m["Message-ID"] for m in inbox.messages] == [row.message_id]
