"""Every ``EXEC_SPONSOR_METRICS``, ``EXEC_SPONSOR_REPORT`` and ``EXEC_SPONSOR_EMAIL`` key changes what the
product shows or sends: the portfolio's metrics, the account report built from the database (and its
page), and the outbox sent by the real Celery task to an SMTP server on loopback.

Expected values are worked out by hand (``tests/settings_effects_support.py``'s docstring); each test
checks the default first.  The metric ``targets`` and ``max_attempts`` are in ``tests/test_issue8_bugs.py``."""

from __future__ import annotations

import copy
import random
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from reports.builder import build_sponsor_report
from reports.portfolio import load_portfolio
from sponsors.models import OutboundEmail
from sponsors.services.alerts import evaluate_accounts
from sponsors.tasks import send_outbox_email

from .settings_effects_support import (
    AS_OF,
    account,
    add_interaction,
    countdowns,  # noqa: F401 - a fixture
    covers,
    doc_contact,
    doc_interaction,
    import_document,
    refusing_smtp,  # noqa: F401 - a fixture
    rolled_back,
    scores,
    smtp,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.django_db


def report():
    return build_sponsor_report(account=account(), as_of=AS_OF)


# --- metrics ----------------------------------------------------------------------------------------


@covers("metrics", "retention_days")
def test_retention_days(document, settings):
    # Marcus, a sponsor since 2026-01-01, has left; Priya (since 2023) is still there.
    doc_contact(document, "c_2").update(status="departed", in_role_since="2026-01-01")
    import_document(document)

    def retention():
        metrics = {m.key: m for m in load_portfolio(Account.objects.all(), as_of=AS_OF).metrics()}
        return metrics["sponsor_retention"].value_text

    assert retention() == "100%"          # a year ago (2025-11-20) Marcus was no sponsor yet: not counted

    settings.EXEC_SPONSOR_METRICS = {"retention_days": 90}

    assert retention() == "50%"           # 90 days ago (2026-08-22) he was: one of two sponsors lost


# --- the report -------------------------------------------------------------------------------------


@covers("report", "qbr_strength_share")
def test_qbr_strength_share(document, settings):
    add_interaction(document, id="i_4", type="qbr", occurred_at="2026-07-01T14:00:00Z", contact_ids=["c_3"])
    import_document(document)
    assert not [s for s in report().health.strengths if s.startswith("Attended")]   # 1/2 < 75 %

    settings.EXEC_SPONSOR_REPORT = {"qbr_strength_share": 0.5}

    assert "Attended 1/2 QBRs" in report().health.strengths


@covers("report", "fast_reply_days")
def test_fast_reply_days(document, settings):
    add_interaction(document, id="i_4", type="email", direction="outbound", occurred_at="2026-11-12T09:00:00Z",
                    responded_at="2026-11-16T09:00:00Z", contact_ids=["c_1"])          # Priya replies in 4 days
    import_document(document)
    assert not [s for s in report().health.strengths if s.startswith("Replies within")]

    settings.EXEC_SPONSOR_REPORT = {"fast_reply_days": 5.0}

    assert "Replies within 4 days on average" in report().health.strengths


@covers("report", "new_sponsor_months")
def test_new_sponsor_months(document, settings):
    doc_interaction(document, "i_2")["contact_ids"].append("c_2")    # Marcus at the QBR: 2+25+25+25 = 77, Engaged
    import_document(document)
    succession = report().org.succession
    # Priya in role since 2023-05-01: 42 months; an engaged backup: low risk.
    assert (succession.primary_tenure_months, succession.risk_level) == (42, "L")

    settings.EXEC_SPONSOR_REPORT = {"new_sponsor_months": 48}

    assert report().org.succession.risk_level == "M"                # 42 months is new now


@covers("report", "recent_change_days")
def test_recent_change_days(document, settings):
    document["accounts"][0]["org_changes"][0]["occurred_on"] = "2026-08-01"     # 111 days before AS_OF
    import_document(document)
    assert report().org.recent_changes == ()

    settings.EXEC_SPONSOR_REPORT = {"recent_change_days": 120}

    [note] = report().org.recent_changes
    assert note.change == "Priya Natarajan promoted (LinkedIn, 2026-08-01)"


@covers("report", "timeline_limit")
def test_timeline_limit(document, settings):
    import_document(document)
    assert [(e.date, e.interaction_type) for e in report().timeline] == [
        (date(2026, 11, 3), "one_on_one"), (date(2026, 10, 1), "qbr")]

    settings.EXEC_SPONSOR_REPORT = {"timeline_limit": 1}

    assert [(e.date, e.interaction_type) for e in report().timeline] == [(date(2026, 11, 3), "one_on_one")]


@covers("report", "change_days")
def test_change_days(document, settings, client, cast):
    import_document(document)
    scores(AS_OF - timedelta(days=3))
    scores(AS_OF)
    client.force_login(cast["csm"])

    def page():
        response = client.get(f"/accounts/{account().pk}/", {"as_of": AS_OF.isoformat()})
        assert response.status_code == 200
        return response.content.decode()

    assert "No score history before 2026-11-13 yet" in page()       # nothing scored a week before

    settings.EXEC_SPONSOR_REPORT = {"change_days": 3}

    html = page()
    assert "No change since 2026-11-17." in html                    # compared with 3 days before
    assert "No score history before" not in html


def _renewal_actions(document, renewal_date: str) -> list:
    """The report's renewal actions, as (horizon, action), for the document's account renewing on ``renewal_date``
    with its executives' interactions of 2026 removed: nothing since 2025, so Unknown at Critical risk."""
    account_doc = document["accounts"][0]
    account_doc["account"]["contract"]["renewal_date"] = renewal_date
    account_doc["interactions"] = [i for i in account_doc["interactions"] if i["occurred_at"] < "2026-01-01"]
    import_document(document)
    built = report()
    actions = [(horizon, r.action) for horizon, group in built.recommendations.by_horizon() for r in group
               if "renewal" in r.action]
    return actions + [("calendar", row.date.isoformat(), row.objective) for row in built.calendar
                      if row.event == "Contract renewal"]


@covers("report", "renewal_urgent_days")
def test_renewal_urgent_days(document, settings):
    soon = ("immediate", "Meet Priya Natarajan before the renewal on 2026-12-10: confirm the renewal and what "
                         "stands in its way")
    on_calendar = ("calendar", "2026-12-10", "Confirm the renewal with Priya Natarajan before this date; "
                                             "ARR USD 480,000; executive engagement at Critical risk")
    assert _renewal_actions(copy.deepcopy(document), "2026-12-10") == [soon, on_calendar]  # 20 days: this week

    settings.EXEC_SPONSOR_REPORT = {"renewal_urgent_days": 10}

    assert _renewal_actions(document, "2026-12-10") == [
        ("short_term", "Plan the renewal conversation with Priya Natarajan well before 2026-12-10"), on_calendar]


@covers("report", "renewal_watch_days")
def test_renewal_watch_days(document, settings):
    later = ("short_term", "Plan the renewal conversation with Priya Natarajan well before 2027-01-19")
    on_calendar = ("calendar", "2027-01-19", "Confirm the renewal with Priya Natarajan before this date; "
                                             "ARR USD 480,000; executive engagement at Critical risk")
    assert _renewal_actions(copy.deepcopy(document), "2027-01-19") == [later, on_calendar]   # 60 days: this quarter

    settings.EXEC_SPONSOR_REPORT = {"renewal_watch_days": 45}

    assert _renewal_actions(document, "2027-01-19") == []                           # and not on the calendar yet
    assert _renewal_actions(document, "2026-11-19") == []                           # renewed yesterday: history


# --- the outbox -------------------------------------------------------------------------------------


def departure_escalation(document):
    """Priya has left: the guardrails write the escalation e-mail to the outbox (not sent yet)."""
    doc_contact(document, "c_1")["status"] = "departed"
    import_document(document)
    [row] = evaluate_accounts(as_of=AS_OF).emails
    return row


@covers("outbox", "domain")
def test_domain(document, settings, smtp):  # noqa: F811
    settings.DEFAULT_FROM_EMAIL = "Sponsor Tracker <sponsors@tracker.example>"
    with rolled_back():
        assert departure_escalation(document).message_id.endswith("@tracker.example>")   # the sender's domain

    settings.EXEC_SPONSOR_EMAIL = {"domain": "mail.example.org"}
    row = departure_escalation(document)

    assert row.message_id.endswith("@mail.example.org>")
    assert send_outbox_email.apply(args=[row.pk]).get() == "sent"
    [message] = smtp.messages
    assert message["Message-ID"].strip() == row.message_id          # (a long header is folded onto a new line)


@covers("outbox", "lease_seconds")
def test_lease_seconds(document, settings, smtp):  # noqa: F811
    row = departure_escalation(document)
    # A worker claimed the row 700 seconds ago and went silent.
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.SENDING, attempts=1,
                                                   claimed_at=timezone.now() - timedelta(seconds=700))

    settings.EXEC_SPONSOR_EMAIL = {"lease_seconds": 3600}
    assert send_outbox_email.apply(args=[row.pk]).get() == "skipped"     # its lease still runs
    assert smtp.messages == []

    settings.EXEC_SPONSOR_EMAIL = {}                                     # the default lease: 600 seconds
    assert send_outbox_email.apply(args=[row.pk]).get() == "sent"        # an expired claim: taken over
    assert len(smtp.messages) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundEmail.Status.SENT, 2)


def failing_sends(row, seen: list) -> list:
    """Send a row to an SMTP port that refuses every connection, through the real task (run in-process
    by ``apply``, retries included): its 5 attempts give 4 retries.  The jitter is seeded."""
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.PENDING, attempts=0)
    seen.clear()
    random.seed(2026)
    assert send_outbox_email.apply(args=[row.pk]).get() == "failed"
    return list(seen)


@covers("outbox", "retry_backoff_seconds")
def test_retry_backoff_seconds(document, settings, refusing_smtp, countdowns):  # noqa: F811
    row = departure_escalation(document)
    default = failing_sends(row, countdowns)
    # Retry n waits a random share of min(600, 2 x 2^n): at most 2, 4, 8, 16 seconds.
    assert len(default) == 4 and all(0 <= w <= cap for w, cap in zip(default, (2, 4, 8, 16)))

    settings.EXEC_SPONSOR_EMAIL = {"retry_backoff_seconds": 100}
    waits = failing_sends(row, countdowns)

    assert len(waits) == 4 and all(0 <= w <= cap for w, cap in zip(waits, (100, 200, 400, 600)))
    assert max(waits) > 16                                            # beyond anything the default allows


@covers("outbox", "retry_backoff_max_seconds")
def test_retry_backoff_max_seconds(document, settings, refusing_smtp, countdowns):  # noqa: F811
    row = departure_escalation(document)
    default = failing_sends(row, countdowns)
    assert len(default) == 4 and any(w > 0 for w in default)

    settings.EXEC_SPONSOR_EMAIL = {"retry_backoff_max_seconds": 0}

    assert failing_sends(row, countdowns) == [0, 0, 0, 0]            # capped at nothing: retry at once
