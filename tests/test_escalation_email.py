"""The escalation e-mail goes out exactly once: a real SMTP server on loopback (aiosmtpd) and, for
the retry paths, a real Celery worker on the Redis broker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Team, User
from sponsors.config import rules_config
from sponsors.models import Alert, Contact, OutboundEmail
from sponsors.outbox import email as notify
from sponsors.outbox.recipients import account_team_recipients
from sponsors.services.alerts import escalation_key, evaluate_accounts

from .guardrails_support import AS_OF, account, fast_password_hashing, import_document
from .worker_support import smtp_mailers, smtp_server, wait_for


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    fast_password_hashing(settings)


# --- a real SMTP server ----------------------------------------------------------------------------


@pytest.fixture
def smtp():
    with smtp_server() as (inbox, port):
        with override_settings(MAILERS=smtp_mailers(port)):
            yield inbox


# --- a real Celery worker on Redis ---------------------------------------------------------------


@pytest.fixture
def worker():
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    from config.celery import app

    def close_connections(**kwargs):
        connections.close_all()          # the worker thread's connections: let the test DB go

    task_postrun.connect(close_connections, weak=False)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)   # leftovers of earlier tests
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20) as w:
            yield w
    finally:
        task_postrun.disconnect(close_connections)


def settle(seconds=1.5):
    time.sleep(seconds)   # let any duplicate send that would happen, happen


# --- the departure --------------------------------------------------------------------------------


def departed_primary(doc):
    doc["accounts"][0]["contacts"][0]["status"] = "departed"
    return doc


def escalation_row():
    alert = Alert.objects.get(code="sponsor_departed")
    return alert, OutboundEmail.objects.get(dedupe_key=escalation_key(alert))


def team_emails():
    return ["dana@vendor.example", "sam@vendor.example", "li@vendor.example"]  # CSM, manager, account executive


@pytest.mark.django_db
def test_it_tells_the_csm_the_team_and_the_managers_of_the_csms_teams(document, cast):
    extra = User.objects.create_user(username="mo@vendor.example", email="mo@vendor.example", role="manager")
    Team.objects.get(name="East").managers.add(extra)
    import_document(document)
    acc = account()

    recipients = account_team_recipients([acc.pk])[acc.pk]

    emails = [r.email for r in recipients]
    assert emails[0] == "dana@vendor.example"                        # the CSM first
    assert set(emails) == {"dana@vendor.example", "li@vendor.example", "sam@vendor.example", "mo@vendor.example"}
    assert len(emails) == len(set(emails))                           # sam: team manager and Team manager, once
    assert "olga@vendor.example" not in emails


@pytest.mark.django_db
def test_imported_inactive_colleagues_still_get_the_escalation(document):
    import_document(departed_primary(document))
    assert not User.objects.get(email="dana@vendor.example").is_active     # imported, not invited

    evaluate_accounts(account_ids=[account().pk], as_of=AS_OF)

    _alert, row = escalation_row()
    assert [notify.header_safe(a).split("<")[-1].rstrip(">") for a in row.to] == team_emails()


@pytest.mark.django_db(transaction=True)
def test_it_sends_one_readable_message_with_crm_names_kept_out_of_headers(document, smtp):
    import_document(departed_primary(document))
    acc = account()
    Contact.objects.filter(account=acc, external_id="c_1").update(name="Priya\r\nBcc: evil@attacker.example")
    User.objects.filter(email="dana@vendor.example").update(first_name="Dana\r\nBcc: evil2@attacker.example")
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    alert, row = escalation_row()

    assert notify.send_outbox_email(row.pk) == "sent"
    assert notify.send_outbox_email(row.pk) == "skipped"

    assert len(smtp.messages) == 1
    rcpts, msg = smtp.messages[0]
    assert sorted(rcpts) == sorted(team_emails())
    assert "Bcc" not in msg and "evil" not in " ".join(rcpts)
    assert "\n" not in msg["Subject"] and "\n" not in msg["To"]
    assert msg["Subject"].startswith(f"[Escalation] {acc.name}: primary sponsor Priya Bcc: evil@attacker.example")
    assert msg["Message-ID"] == row.message_id
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "Marcus Holt" in text and "Proposed as the new primary sponsor: Marcus Holt" in text
    assert f"Respond by: {alert.due_on.isoformat()}" in text
    for step in alert.details["succession_steps"]:
        assert step.replace("'", "&#x27;") in html and step in text
    assert "The CRM lists" in text                                   # the evidence
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundEmail.Status.SENT, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_a_sweep_run_twice_and_a_refused_first_delivery_send_exactly_one_escalation(document, smtp, worker):
    from sponsors.tasks import sweep_guardrails

    smtp.refuse = 1                                   # the first delivery attempt is refused (421)
    import_document(departed_primary(document))

    first = sweep_guardrails.delay(as_of=AS_OF.isoformat())
    second = sweep_guardrails.delay(as_of=(AS_OF + timedelta(days=1)).isoformat())
    third = evaluate_accounts(as_of=AS_OF)            # and once more from this thread, concurrently
    summaries = [first.get(timeout=30), second.get(timeout=30)]
    queued = sum(int(s.split(" e-mail(s) queued")[0].rsplit(" ", 1)[-1]) for s in summaries) + len(third.emails)
    assert queued == 1

    _alert, row = escalation_row()
    wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status == OutboundEmail.Status.SENT, what="the send")
    settle()

    assert smtp.refused == 1
    assert len(smtp.messages) == 1
    assert smtp.messages[0][1]["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert row.attempts == 2 and row.sent_at is not None
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_a_worker_dying_mid_send_and_a_retried_task_still_send_exactly_once(document, smtp, worker):
    from sponsors.tasks import flush_outbox, send_outbox_email

    import_document(departed_primary(document))
    with transaction.atomic():
        evaluate_accounts(as_of=AS_OF)                # queues the send on commit ...
        _alert, row = escalation_row()
        # ... but a worker holds the row (claimed, mid-send) when the queued task arrives
        OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.SENDING, attempts=1,
                                                       claimed_at=timezone.now())
    settle()
    assert smtp.messages == []                        # the live claim was respected
    assert OutboundEmail.objects.get(pk=row.pk).status == OutboundEmail.Status.SENDING

    # That worker dies without sending: its claim ages past the lease, and the flush picks the row up.
    OutboundEmail.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=rules_config().outbox.lease_seconds + 60))
    assert flush_outbox.delay().get(timeout=30) == 1
    wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status == OutboundEmail.Status.SENT, what="the send")
    assert send_outbox_email.delay(row.pk).get(timeout=30) == "skipped"   # a retried/duplicated task
    assert flush_outbox.delay().get(timeout=30) == 0
    evaluate_accounts(as_of=AS_OF + timedelta(days=1))                    # and the next sweep
    settle()

    assert len(smtp.messages) == 1
    assert smtp.messages[0][1]["Message-ID"] == row.message_id
    assert OutboundEmail.objects.get(pk=row.pk).attempts == 2
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_live_claim_is_not_taken_over_and_a_hopeless_row_fails(document, smtp):
    import_document(departed_primary(document))
    evaluate_accounts(as_of=AS_OF)
    _alert, row = escalation_row()
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.SENDING, claimed_at=timezone.now())
    assert notify.send_outbox_email(row.pk) == "skipped"              # another worker is on it
    assert smtp.messages == []

    max_attempts = rules_config().outbox.max_attempts
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.PENDING, attempts=max_attempts - 1)
    smtp.refuse = 99
    assert notify.send_outbox_email(row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.FAILED and "421" in row.last_error
    assert notify.send_outbox_email(row.pk) == "skipped"
    assert smtp.messages == []
