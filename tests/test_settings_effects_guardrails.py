"""Every ``EXEC_SPONSOR_GUARDRAILS`` and ``EXEC_SPONSOR_TRIAGE`` key changes what the product does:
the alerts ``evaluate_accounts`` opens, the conflicts ``POST /api/touchpoints/`` warns about, what a
signed webhook and a polled news feed (served on loopback) store.

Expected values are worked out by hand (``tests/settings_effects_support.py``'s docstring); each test
checks the default first.  ``score_drop_days``, ``operational_lookback_days`` and
``low_confidence_threshold`` (across every org-change source) are in ``tests/test_issue8_bugs.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from sponsors.models import Contact, NewsFeed, OrgChange, ScoreSnapshot, WebhookDelivery
from sponsors.orgchanges.news import poll_news_feed
from sponsors.orgchanges.webhook import process_webhook_delivery, sign
from sponsors.services.alerts import evaluate_accounts

from .settings_effects_support import (
    AS_OF,
    account,
    codes,
    contact,
    covers,
    doc_contact,
    import_document,
    rolled_back,
    unresolved,
)

pytestmark = pytest.mark.django_db


def evaluate(as_of=AS_OF):
    return evaluate_accounts(as_of=as_of)


# --- guardrails ---------------------------------------------------------------------------------------


@covers("guardrails", "enterprise_no_contact_days")
def test_enterprise_no_contact_days(document, settings):
    import_document(document)
    evaluate()
    assert "no_exec_contact_90d" not in codes()                    # last executive touch 9 days ago

    settings.EXEC_SPONSOR_GUARDRAILS = {"enterprise_no_contact_days": 5}
    evaluate()

    [alert] = unresolved("no_exec_contact_90d")
    assert alert.message == "No executive contact at Northwind Health for 9 days (enterprise limit 5)"
    assert (alert.severity, alert.details["limit_days"]) == ("high", 5)


@covers("guardrails", "score_drop_points")
def test_score_drop_points(document, settings):
    import_document(document)
    # Priya scored 76 thirty days ago; she scores 66 now: a drop of 10.
    ScoreSnapshot.objects.create(account=account(), contact=contact("c_1"), as_of=AS_OF - timedelta(days=30),
                                 score=76, level="Engaged", risk="Low")
    evaluate()
    assert "sponsor_disengaged" not in codes()                     # 10 < 15

    settings.EXEC_SPONSOR_GUARDRAILS = {"score_drop_points": 10}
    evaluate()

    [alert] = unresolved("sponsor_disengaged")
    assert alert.message == ("Primary sponsor Priya Natarajan at Northwind Health is disengaging: "
                             "score fell 10 points in 30 days (76 -> 66)")
    assert alert.contact == contact("c_1")


@covers("guardrails", "org_change_window_days")
def test_org_change_window_days(document, settings):
    document["accounts"][0]["org_changes"][0]["occurred_on"] = "2026-08-01"     # 111 days before AS_OF
    import_document(document)
    evaluate()
    assert "org_change" not in codes()                             # 111 > 90

    settings.EXEC_SPONSOR_GUARDRAILS = {"org_change_window_days": 120}
    evaluate()

    [alert] = unresolved("org_change")
    assert alert.message == ("Org change at Northwind Health: promotion of Priya Natarajan (Chief Operating "
                             "Officer): Priya Natarajan promoted on 2026-08-01 via linkedin (confidence 90%)")
    assert (alert.details["days_ago"], alert.details["window_days"]) == (111, 120)


@covers("guardrails", "org_change_certain_confidence")
def test_org_change_certain_confidence(document, settings):
    import_document(document)
    evaluate()
    [alert] = unresolved("org_change")
    assert (alert.severity, alert.details["lowered_for_confidence"]) == ("medium", False)   # 0.9 is not < 0.9

    settings.EXEC_SPONSOR_GUARDRAILS = {"org_change_certain_confidence": 0.95}
    evaluate()

    [alert] = unresolved("org_change")
    assert (alert.severity, alert.details["lowered_for_confidence"]) == ("low", True)       # a promotion, lowered


@covers("guardrails", "departure_response_days")
def test_departure_response_days(document, settings):
    doc_contact(document, "c_1")["status"] = "departed"
    import_document(document)

    def escalation():
        evaluate()
        [alert] = unresolved("sponsor_departed")
        return alert

    with rolled_back():
        alert = escalation()
        assert alert.due_on == date(2026, 11, 22)
        assert "respond by 2026-11-22" in alert.message

    settings.EXEC_SPONSOR_GUARDRAILS = {"departure_response_days": 5}
    alert = escalation()

    assert alert.due_on == date(2026, 11, 25)
    assert alert.message == ("Primary sponsor Priya Natarajan has left Northwind Health (status departed); "
                             "respond by 2026-11-25; backup sponsor: Marcus Holt")
    assert alert.details["succession_steps"][0] == (
        "Confirm Priya Natarajan's departure (last day, successor) with the account team by 2026-11-25")


@covers("guardrails", "min_engaged_executives")
def test_min_engaged_executives(document, settings):
    import_document(document)
    evaluate()
    [alert] = unresolved("single_threaded")
    assert alert.message == ("Northwind Health is single-threaded: 1 engaged executive (Priya Natarajan), "
                             "at least 2 wanted")

    settings.EXEC_SPONSOR_GUARDRAILS = {"min_engaged_executives": 1}
    evaluate()

    assert unresolved("single_threaded") == []                     # the alert resolved itself


@covers("guardrails", "outreach_conflict_days")
def test_outreach_conflict_days(document, settings, client, cast):
    import_document(document)                # after the cast: dana (CSM) and li (AE) are on the account team
    priya = contact("c_1")

    def plan(who, day):
        client.force_login(cast[who])
        response = client.post("/api/touchpoints/", data={
            "account": account().pk, "contacts": [priya.pk], "planned_on": day, "type": "one_on_one"},
            content_type="application/json")
        assert response.status_code == 201, response.content
        return response.json()["warnings"]

    assert plan("teammate", "2026-12-01") == []
    assert plan("csm", "2026-12-10") == []         # 9 days apart: more than 7

    settings.EXEC_SPONSOR_GUARDRAILS = {"outreach_conflict_days": 10}

    # (another day: the same plan sent again by the same person is refused as a duplicate)
    assert plan("csm", "2026-12-11") == [
        "Outreach to Priya Natarajan on 2026-12-11 is within 10 days of outreach planned by li@vendor.example "
        "on 2026-12-01; coordinate with the account team before reaching out"]


# --- org-change triage --------------------------------------------------------------------------------

SECRET = "s3cret-for-tests"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def post_webhook(client, body: dict, *, timestamp: int):
    raw = json.dumps(body).encode()
    headers = {"X-Timestamp": str(timestamp), "X-Signature": sign(SECRET, str(timestamp), raw)}
    return client.post("/webhooks/job-changes/jobwatch/", data=raw, content_type="application/json", headers=headers)


def job_change(**overrides):
    body = {"id": "evt_1", "event": "job_change",
            "person": {"name": "Priya Natarajan", "email": "priya@northwind.example"},
            "previous": {"company": "Northwind Health", "title": "Chief Operating Officer"},
            "current": {"company": "Globex Corporation", "title": "CEO"}, "occurred_on": "2026-11-19"}
    return {**body, **overrides}


@pytest.fixture
def webhooks(settings):
    settings.EXEC_SPONSOR_WEBHOOK_SECRETS = {"jobwatch": SECRET}
    with time_machine.travel(NOW, tick=False):
        yield


@covers("triage", "webhook_tolerance_seconds")
def test_webhook_tolerance_seconds(document, settings, client, webhooks):
    import_document(document)
    sent_400_seconds_ago = int(NOW.timestamp()) - 400

    refused = post_webhook(client, job_change(), timestamp=sent_400_seconds_ago)
    assert refused.status_code == 401
    assert refused.json() == {"error": "X-Timestamp is more than 300 seconds away from now (replay refused)"}

    settings.EXEC_SPONSOR_TRIAGE = {"webhook_tolerance_seconds": 600}
    accepted = post_webhook(client, job_change(), timestamp=sent_400_seconds_ago)

    assert accepted.status_code == 202, accepted.content
    assert WebhookDelivery.objects.get().delivery_id == "evt_1"


@covers("triage", "webhook_confidence")
def test_webhook_confidence(document, settings, client, webhooks):
    import_document(document)

    def deliver():
        assert post_webhook(client, job_change(), timestamp=int(NOW.timestamp())).status_code == 202
        outcome = process_webhook_delivery(delivery_id=WebhookDelivery.objects.get().pk)
        return outcome, OrgChange.objects.get(source="webhook"), Contact.objects.get(external_id="c_1")

    with rolled_back():
        outcome, change, priya = deliver()                          # the payload gives no confidence: 0.9
        assert outcome == "departure (confirmed) for Priya Natarajan"
        assert (change.confidence, change.state, priya.status) == (0.9, "confirmed", "departed")

    settings.EXEC_SPONSOR_TRIAGE = {"webhook_confidence": 0.6}
    outcome, change, priya = deliver()

    assert outcome == "departure (pending) for Priya Natarajan"     # 0.6 < 0.7: a CSM confirms it first
    assert (change.confidence, change.state, priya.status) == (0.6, "pending", "active")


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Northwind news</title><link>https://news.example/</link>
<description>News</description>
<item><title>Priya Natarajan steps down as COO of Northwind Health</title>
<link>https://news.example/northwind/priya</link><guid>priya-steps-down</guid>
<pubDate>Wed, 18 Nov 2026 09:00:00 GMT</pubDate></item>
</channel></rss>"""


@covers("triage", "news_confidence")
def test_news_confidence(document, settings, httpserver):
    import_document(document)
    httpserver.expect_request("/northwind.rss").respond_with_data(RSS, content_type="application/rss+xml")
    feed = NewsFeed.objects.create(account=account(), url=httpserver.url_for("/northwind.rss"))

    def poll():
        poll_news_feed(feed=feed, today=AS_OF)
        evaluate()
        return OrgChange.objects.get(source="news")

    with rolled_back():
        change = poll()
        assert (change.kind, change.confidence, change.state) == ("departure", 0.5, "pending")
        assert unresolved("sponsor_departed") == []                 # news waits for a CSM

    settings.EXEC_SPONSOR_TRIAGE = {"news_confidence": 0.8}
    change = poll()

    assert (change.kind, change.confidence, change.state) == ("departure", 0.8, "confirmed")
    [alert] = unresolved("sponsor_departed")                        # believed at once: escalated
    assert alert.contact == contact("c_1") and alert.org_change == change


def test_the_documented_environment_variables_set_the_triage_section():
    """README: ``EXEC_SPONSOR_NEWS_CONFIDENCE`` and ``EXEC_SPONSOR_WEBHOOK_TOLERANCE_SECONDS`` (environment)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test",
           "EXEC_SPONSOR_NEWS_CONFIDENCE": "0.8", "EXEC_SPONSOR_WEBHOOK_TOLERANCE_SECONDS": "900"}
    code = ("import django; django.setup(); from sponsors.config import rules_config; "
            "t = rules_config().triage; print(t.news_confidence, t.webhook_tolerance_seconds)")

    started = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, env=env,
                             capture_output=True, text=True, timeout=120)

    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["0.8", "900"]                  # the defaults are 0.5 and 300
