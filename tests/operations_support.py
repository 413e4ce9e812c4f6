"""Helpers of the operations tests: heartbeats as the processes leave them, at chosen ages; the broker's
queues emptied; an escalation waiting in the outbox since a chosen time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone

from sponsors.models import Alert, Heartbeat, OutboundEmail
from sponsors.services.alerts import escalation_key, evaluate_accounts

from .guardrails_support import AS_OF, import_document


def purge_queues():
    with current_app.connection_for_write() as conn:
        for name in ("default", "notify"):
            conn.default_channel.queue_purge(name)


@pytest.fixture
def quiet_broker():
    """The Redis queues empty (earlier tests may have left tasks nobody consumed), before and after."""
    purge_queues()
    yield
    purge_queues()


def beat(key, age=timedelta(seconds=10), **detail):
    Heartbeat.objects.update_or_create(key=key, defaults={"at": timezone.now() - age, "detail": detail})


def all_running(*, beat_age=timedelta(seconds=30), worker_age=timedelta(seconds=20)):
    """Heartbeats of a healthy install: both workers checked in, both queues busy lately, beat ticking."""
    Heartbeat.objects.all().delete()
    for queue in ("default", "notify"):
        beat(f"worker:{queue}@host", worker_age, queues=[queue])
        beat(f"queue:{queue}", timedelta(seconds=40), task="sponsors.tasks.heartbeat", state="SUCCESS")
    beat("beat", beat_age, task="sponsors.tasks.heartbeat", event="sent")


def waiting_escalation(document, age: timedelta) -> OutboundEmail:
    """A sponsor departure's escalation, written by the real evaluation and not sent, ``age`` old."""
    document["accounts"][0]["contacts"][0]["status"] = "departed"
    import_document(document)
    evaluate_accounts(as_of=AS_OF)
    row = OutboundEmail.objects.get(dedupe_key=escalation_key(Alert.objects.get(code="sponsor_departed")))
    OutboundEmail.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    row.refresh_from_db()
    return row
