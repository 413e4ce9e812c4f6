"""The weekly digest delivered for real: a real `celery worker` process builds and sends it to a real SMTP
server on loopback (aiosmtpd).  The clock of this process is moved with time_machine across the week
boundary and two time zones (a manager in Auckland, one in Los Angeles: each gets theirs at their own
Monday 08:00); the digest goes out exactly once when triggered twice and when a worker is killed mid-send."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Account, Team
from reports.digest_service import digest_key, queue_due_digests, write_digest
from sponsors.config import rules_config
from sponsors.models import OutboundEmail

from .digest_support import user
from .test_escalation_worker_killed import StallingInbox
from .worker_support import smtp_server, start_worker_process, stop, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def managers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = {}
    for name, tz in (("aria", "Pacific/Auckland"), ("leo", "America/Los_Angeles")):
        manager = user(f"{name}@vendor.example", role="manager", time_zone=tz)
        csm = user(f"{name}-csm@vendor.example")
        team = Team.objects.create(name=name.capitalize())
        team.managers.add(manager)
        team.members.add(csm)
        Account.objects.create(external_id=f"acc_{name}", name=f"{name.capitalize()} Corp", tier="smb", owner=csm)
        out[name] = manager
    return out


@pytest.fixture
def purged():
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)


@pytest.fixture
def smtp_port():
    with smtp_server() as (inbox, port):
        yield inbox, port


def due_at(moment: datetime) -> dict:
    with time_machine.travel(moment, tick=False):
        return queue_due_digests(now=timezone.now())


def recipients(inbox) -> list[str]:
    return [rcpts[0] for rcpts, _msg in inbox.messages]


def test_each_manager_gets_theirs_at_their_own_monday_8_once_a_week(managers, smtp_port, purged):
    inbox, port = smtp_port
    worker = start_worker_process("digests", port)
    try:
        assert due_at(utc(2026, 11, 22, 18, 59)) == {"due": 0, "queued": 0}   # Auckland: Monday 07:59
        assert due_at(utc(2026, 11, 22, 19, 0)) == {"due": 1, "queued": 1}    # Auckland: Monday 08:00
        wait_for(lambda: len(inbox.messages) == 1, timeout=60, what="Aria's digest")
        assert due_at(utc(2026, 11, 22, 19, 15)) == {"due": 1, "queued": 0}   # the next beat: written already
        assert due_at(utc(2026, 11, 23, 15, 59)) == {"due": 0, "queued": 0}   # LA 07:59; Auckland's Tuesday
        assert due_at(utc(2026, 11, 23, 16, 0)) == {"due": 1, "queued": 1}    # Los Angeles: Monday 08:00
        wait_for(lambda: len(inbox.messages) == 2, timeout=60, what="Leo's digest")
        assert due_at(utc(2026, 11, 23, 16, 0)) == {"due": 1, "queued": 0}    # triggered twice
        assert due_at(utc(2026, 11, 29, 19, 0)) == {"due": 1, "queued": 1}    # Auckland's next Monday
        wait_for(lambda: len(inbox.messages) == 3, timeout=60, what="Aria's next digest")
        time.sleep(1.5)                                                        # any duplicate would land now
    finally:
        stop(worker)

    assert recipients(inbox) == ["aria@vendor.example", "leo@vendor.example", "aria@vendor.example"]
    first = inbox.messages[0][1]
    assert first["Subject"].startswith("Weekly sponsor digest, week of Nov 23: ")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/digest/unsubscribe/")
    assert "Aria Corp" not in first.get_body(preferencelist=("plain",)).get_content()   # nothing to report there
    assert "All clear" in first.get_body(preferencelist=("plain",)).get_content()
    assert first.get_body(preferencelist=("html",)) is not None
    keys = set(OutboundEmail.objects.values_list("dedupe_key", flat=True))
    aria, leo = managers["aria"].pk, managers["leo"].pk
    assert keys == {f"digest:user:{aria}:2026-11-23", f"digest:user:{leo}:2026-11-23",
                    f"digest:user:{aria}:2026-11-30"}


def test_a_worker_killed_mid_send_leaves_the_digest_to_be_sent_exactly_once(managers, purged):
    from sponsors.tasks import flush_outbox

    with smtp_server(StallingInbox()) as (inbox, port):
        week = datetime(2026, 11, 23).date()
        assert write_digest(user_id=managers["leo"].pk, week=week) == "written"      # queues the send
        assert write_digest(user_id=managers["leo"].pk, week=week) == "exists"       # triggered twice
        row = OutboundEmail.objects.get(dedupe_key=digest_key(managers["leo"].pk, week))
        doomed = start_worker_process("doomed-digest", port)
        try:
            assert inbox.stalled.wait(timeout=60), "the worker never reached the SMTP server"
            row.refresh_from_db()
            assert row.status == OutboundEmail.Status.SENDING and row.attempts == 1
            os.killpg(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=10)
        finally:
            stop(doomed)
        assert inbox.messages == []
        OutboundEmail.objects.filter(pk=row.pk).update(                 # the dead worker's lease runs out
            claimed_at=timezone.now() - timedelta(seconds=rules_config().outbox.lease_seconds + 60))
        survivor = start_worker_process("survivor-digest", port)
        try:
            flush_outbox.delay()
            wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status == OutboundEmail.Status.SENT,
                     timeout=60, what="the send by the surviving worker")
            assert write_digest(user_id=managers["leo"].pk, week=week) == "exists"
            flush_outbox.delay().get(timeout=30)
            time.sleep(1.5)
        finally:
            stop(survivor)

    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert row.attempts == 2 and OutboundEmail.objects.count() == 1
