"""Issue 8's bugs, one test each, end to end (each failed on the code before the restructure):

* ``cadence_days`` lived twice (scoring and guardrails): the portfolio and the alerts disagreed;
* the facts loader hard-coded 30 days for ``score_drop_days`` and 365 for ``operational_lookback_days``;
* ``low_confidence_threshold`` was read three ways: the snapshot import read the raw setting (an
  upper-case key was ignored there and refused by the other sources' reader);
* the e-mail retry limit ignored ``EXEC_SPONSOR_EMAIL["max_attempts"]`` (the task stopped after 5);
* ``reports/metrics.py`` and ``reports/recommendations.py`` hard-coded 80/45/70/85/1.5, "90 days", "two";
* an escalation's dates were kept by find-and-replace in its text, so the succession step "Schedule an
  executive touchpoint … by <date>" drifted, and the proposed backup was a name in the details (a
  deleted backup made accepting the succession a 500);
* an unknown key or ``EXEC_SPONSOR_*`` name was silently ignored (or refused by one reader only).

Expected values are worked out by hand (``tests/settings_effects_support.py``'s docstring)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from accounts.models import Account
from reports.builder import build_sponsor_report
from reports.portfolio import load_portfolio
from sponsors.config import check_settings, rules_config
from sponsors.models import Alert, Interaction, NewsFeed, OrgChange, OutboundEmail, ScoreSnapshot, WebhookDelivery
from sponsors.orgchanges.news import poll_news_feed
from sponsors.orgchanges.webhook import process_webhook_delivery, sign
from sponsors.rules.config import SECTIONS
from sponsors.services.alerts import evaluate_accounts
from sponsors.tasks import send_outbox_email

from .settings_effects_support import (
    AS_OF,
    account,
    add_interaction,
    contact,
    countdowns,  # noqa: F401 - a fixture
    covers,
    doc_contact,
    import_document,
    refusing_smtp,  # noqa: F401 - a fixture
    rolled_back,
    scores,
    unresolved,
)

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parent.parent


# --- one cadence -------------------------------------------------------------------------------------


@covers("scoring", "cadence_days")
def test_one_cadence_moves_the_portfolio_row_the_stored_score_and_the_cadence_alert_together(document, settings):
    import_document(document)

    def row():
        [r] = load_portfolio(Account.objects.all(), as_of=AS_OF).rows
        return r.cadence_days, r.days_since_exec_touch, r.cadence_overdue

    assert row() == (30, 9, False)                    # last executive touch 2026-11-11 (Marcus's reply)
    evaluate_accounts(as_of=AS_OF)
    assert unresolved("cadence_overdue") == []

    settings.EXEC_SPONSOR_SCORING = {"cadence_days": {"enterprise": 7}}

    assert row() == (7, 9, True)
    assert scores()[None].breakdown["cadence"] == {
        "tier": "enterprise", "cadence_days": 7, "last_touch": "2026-11-11", "days_since": 9,
        "next_due": "2026-11-18", "overdue": True}
    evaluate_accounts(as_of=AS_OF)
    [alert] = unresolved("cadence_overdue")
    assert alert.severity == "medium"                 # 9 days: more than 7, not more than twice 7
    assert alert.message == ("Executive touchpoint overdue at Northwind Health: 9 days since the last one "
                             "(Enterprise cadence 7 days)")
    assert (alert.details["cadence_days"], alert.details["was_due_on"]) == (7, "2026-11-18")


def test_a_cadence_under_the_guardrails_is_refused_naming_the_key(settings):
    settings.EXEC_SPONSOR_GUARDRAILS = {"cadence_days": {"enterprise": 7}}

    for read in (check_settings, rules_config):
        with pytest.raises(ImproperlyConfigured, match=r"^EXEC_SPONSOR_GUARDRAILS: unknown key 'cadence_days'"):
            read()


# --- what the facts loader reads ---------------------------------------------------------------------


@covers("guardrails", "score_drop_days")
def test_score_drop_days_is_how_far_back_the_loader_reads_the_earlier_score(document, settings):
    import_document(document)
    priya = contact("c_1")
    for days_before, score in ((30, 66), (10, 90)):    # unchanged over 30 days, 24 points down over 10
        ScoreSnapshot.objects.create(account=account(), contact=priya, as_of=AS_OF - timedelta(days=days_before),
                                     score=score, level="Engaged", risk="Low")
    evaluate_accounts(as_of=AS_OF)
    assert unresolved("sponsor_disengaged") == []

    settings.EXEC_SPONSOR_GUARDRAILS = {"score_drop_days": 10}
    evaluate_accounts(as_of=AS_OF)

    [alert] = unresolved("sponsor_disengaged")
    assert alert.message == ("Primary sponsor Priya Natarajan at Northwind Health is disengaging: "
                             "score fell 24 points in 10 days (90 -> 66)")
    assert (alert.details["previous_score"], alert.details["drop"]) == (90, 24)


@covers("guardrails", "operational_lookback_days")
def test_operational_lookback_days_is_how_far_back_the_loader_reads_operational_contacts(document, settings):
    # An operational e-mail to Priya 400 days before AS_OF (2025-10-16).
    add_interaction(document, id="i_op", type="email", direction="outbound", purpose="operational",
                    occurred_at="2025-10-16T10:00:00Z", contact_ids=["c_1"])
    import_document(document)
    evaluate_accounts(as_of=AS_OF)
    assert unresolved("operational_exec_contact") == []           # 400 > 365

    settings.EXEC_SPONSOR_GUARDRAILS = {"operational_lookback_days": 500}
    evaluate_accounts(as_of=AS_OF)

    [alert] = unresolved("operational_exec_contact")
    interaction = Interaction.objects.get(external_id="i_op")
    assert alert.interaction == interaction
    assert alert.message == (f"Operational outreach to executive Priya Natarajan at Northwind Health on 2025-10-16 "
                             f"(interaction {interaction.pk}); route operational issues to the operational "
                             f"contact or support")
    assert (alert.details["days_ago"], alert.details["lookback_days"]) == (400, 500)


# --- one confidence threshold for every org-change source --------------------------------------------

SECRET = "s3cret-for-tests"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Northwind news</title><link>https://news.example/</link>
<description>News</description>
<item><title>Priya Natarajan steps down as COO of Northwind Health</title>
<link>https://news.example/northwind/priya</link><guid>priya-steps-down</guid>
<pubDate>Wed, 18 Nov 2026 09:00:00 GMT</pubDate></item>
</channel></rss>"""


def _states_of_every_source(document, client, feed, confidence: float) -> dict:
    """One org change from each source, the snapshot, the webhook and the news given ``confidence``
    (the CRM diff always sends 1), and the state each starts in.  Undone afterwards."""
    with rolled_back():
        doc = json.loads(json.dumps(document))
        doc["accounts"][0]["org_changes"] = [{
            "id": "oc_t", "contact_id": "c_2", "kind": "promotion", "occurred_on": "2026-11-18",
            "source": "linkedin", "headline": "Marcus Holt promoted", "url": None, "confidence": confidence}]
        doc_contact(doc, "c_3")["title"] = "Chief Information Officer"            # the CRM diff: a promotion
        import_document(doc)

        poll_news_feed(feed=feed, today=AS_OF)     # before the webhook: news is matched to active executives

        body = json.dumps({"id": "evt_t", "event": "job_change", "person": {"email": "priya@northwind.example"},
                           "current": {"company": "Globex Corporation"}, "occurred_on": "2026-11-19",
                           "confidence": confidence}).encode()
        ts = str(int(NOW.timestamp()))
        response = client.post("/webhooks/job-changes/jobwatch/", data=body, content_type="application/json",
                               headers={"X-Timestamp": ts, "X-Signature": sign(SECRET, ts, body)})
        assert response.status_code == 202, response.content
        process_webhook_delivery(delivery_id=WebhookDelivery.objects.get().pk)

        return {source: OrgChange.objects.get(source=source).state for source in ("linkedin", "crm", "webhook", "news")}


@covers("guardrails", "low_confidence_threshold")
@pytest.mark.parametrize("key", ["low_confidence_threshold", "LOW_CONFIDENCE_THRESHOLD"])   # keys are case-blind
def test_every_org_change_source_holds_back_what_is_below_the_one_threshold(document, settings, client, httpserver,
                                                                               key):
    document["accounts"][0]["org_changes"] = []
    import_document(document)
    httpserver.expect_request("/northwind.rss").respond_with_data(RSS, content_type="application/rss+xml")
    feed = NewsFeed.objects.create(account=account(), url=httpserver.url_for("/northwind.rss"))
    settings.EXEC_SPONSOR_WEBHOOK_SECRETS = {"jobwatch": SECRET}
    settings.EXEC_SPONSOR_TRIAGE = {"news_confidence": 0.99}
    confirmed = dict.fromkeys(("linkedin", "crm", "webhook", "news"), "confirmed")

    with time_machine.travel(NOW, tick=False):
        assert _states_of_every_source(document, client, feed, 0.99) == confirmed       # 0.99 >= 0.7

        settings.EXEC_SPONSOR_GUARDRAILS = {key: 1.0}
        # Below 1: every source waits for a CSM; the CRM's own changes (confidence 1) do not.
        assert _states_of_every_source(document, client, feed, 0.99) == {
            "linkedin": "pending", "crm": "confirmed", "webhook": "pending", "news": "pending"}

        settings.EXEC_SPONSOR_TRIAGE = {"news_confidence": 1.0}
        assert _states_of_every_source(document, client, feed, 1.0) == confirmed         # 1 is not below 1


# --- the e-mail retry limit ----------------------------------------------------------------------


@covers("outbox", "max_attempts")
def test_the_send_task_retries_until_the_configured_max_attempts(document, settings, refusing_smtp, countdowns):  # noqa: F811
    doc_contact(document, "c_1")["status"] = "departed"
    import_document(document)

    def send_until_given_up() -> tuple:
        [row] = evaluate_accounts(as_of=AS_OF).emails
        countdowns.clear()
        # The real task, run in-process with its retries; every attempt meets a refused connection.
        assert send_outbox_email.apply(args=[row.pk]).get() == "failed"
        row.refresh_from_db()
        return row.status, row.attempts, len(countdowns), row.last_error.split(":")[0]

    with rolled_back():
        assert send_until_given_up() == (OutboundEmail.Status.FAILED, 5, 4, "attempt 5")

    settings.EXEC_SPONSOR_EMAIL = {"max_attempts": 7}

    assert send_until_given_up() == (OutboundEmail.Status.FAILED, 7, 6, "attempt 7")


# --- metric targets and recommendation texts ------------------------------------------------------


def _metric_cards(html: str) -> dict:
    """``{metric key: (met class, "target …" text)}`` from the portfolio page."""
    cards = re.findall(r'<div class="metric ([\w-]+)" data-metric="(\w+)">.*?<div class="metric-target">'
                       r'target (.*?) ·', html, re.S)
    return {key: (state, target.replace("&gt;", ">").replace("&lt;", "<")) for state, key, target in cards}


@covers("metrics", "targets")
def test_the_portfolio_page_shows_and_judges_by_the_configured_targets(document, settings, client, cast):
    from reports import metric_history as mh

    import_document(document)
    mh.store_all_scopes(as_of=mh.week_end(AS_OF))     # the page reads the weekly stored values, judged by the
    client.force_login(cast["csm"])                   # targets in force

    def cards():
        response = client.get("/", {"as_of": AS_OF.isoformat()})
        assert response.status_code == 200
        return _metric_cards(response.content.decode())

    # Values: 100 % of accounts engaged; 365 / 3 executive contacts = 121.7 days; 1/1 QBRs with an
    # executive; 2/2 sponsors retained; 1 engaged executive per account.
    assert cards() == {
        "exec_engagement_rate": ("met", ">80%"), "exec_touchpoint_cadence": ("not-met", "<45 days"),
        "qbr_exec_attendance": ("met", ">70%"), "sponsor_retention": ("met", ">85%"),
        "multi_thread_score": ("not-met", ">1.5 execs")}

    settings.EXEC_SPONSOR_METRICS = {"targets": {
        "exec_engagement_rate": 100, "exec_touchpoint_cadence": 150, "qbr_exec_attendance": 100,
        "sponsor_retention": 100, "multi_thread_score": 0.5}}

    assert cards() == {
        "exec_engagement_rate": ("not-met", ">100%"), "exec_touchpoint_cadence": ("met", "<150 days"),
        "qbr_exec_attendance": ("not-met", ">100%"), "sponsor_retention": ("not-met", ">100%"),
        "multi_thread_score": ("met", ">0.5 execs")}


def test_the_recommendations_quote_the_configured_limits(document, settings):
    import_document(document)
    later = date(2027, 3, 1)             # the last executive touch (2026-11-11) is 110 days back

    def reasons() -> str:
        recs = build_sponsor_report(account=account(), as_of=later).recommendations
        return " | ".join(r.reason for horizon in (recs.immediate, recs.short_term, recs.strategic) for r in horizon)

    text = reasons()
    assert "No executive contact in the last 90 days on an Enterprise account" in text
    assert "Fewer than two engaged executives; the target is more than 1.5 per account" in text

    settings.EXEC_SPONSOR_GUARDRAILS = {"enterprise_no_contact_days": 100, "min_engaged_executives": 3}
    settings.EXEC_SPONSOR_METRICS = {"targets": {"multi_thread_score": 2.5}}
    text = reasons()

    assert "No executive contact in the last 100 days on an Enterprise account" in text
    assert "Fewer than three engaged executives; the target is more than 2.5 per account" in text
    assert "90 days" not in text and "two engaged" not in text


# --- an escalation keeps its dates; the proposed backup is an id ---------------------------------------


def test_an_escalation_keeps_its_due_date_and_succession_steps_when_evaluated_days_later(document, client, cast):
    doc_contact(document, "c_1")["status"] = "departed"
    import_document(document)
    marcus = contact("c_2")

    evaluate_accounts(as_of=AS_OF)
    [alert] = unresolved("sponsor_departed")
    expected_steps = [
        "Confirm Priya Natarajan's departure (last day, successor) with the account team by 2026-11-22",
        "Brief backup sponsor Marcus Holt and meet them by 2026-11-22",
        "Propose Marcus Holt as the new primary sponsor",
        "Identify a new backup sponsor with the account team",
        "Plan outreach to Priya Natarajan's successor",
        "Schedule an executive touchpoint within the Enterprise cadence (30 days, by 2026-12-20)",
    ]
    expected_message = ("Primary sponsor Priya Natarajan has left Northwind Health (status departed); "
                        "respond by 2026-11-22; backup sponsor: Marcus Holt")
    assert (alert.due_on, alert.message, alert.details["succession_steps"]) == (
        date(2026, 11, 22), expected_message, expected_steps)
    assert alert.proposed_primary_id == marcus.pk

    evaluate_accounts(as_of=AS_OF + timedelta(days=3))            # the sweep three days later

    [again] = unresolved("sponsor_departed")
    assert again.pk == alert.pk and again.last_seen_on == AS_OF + timedelta(days=3)
    assert (again.due_on, again.message, again.details["succession_steps"]) == (
        date(2026, 11, 22), expected_message, expected_steps)
    assert again.proposed_primary_id == marcus.pk

    client.force_login(cast["csm"])
    url = f"/api/alerts/{alert.pk}/accept-succession/"
    with rolled_back():
        accepted = client.post(url)
        assert accepted.status_code == 200, accepted.content
        assert accepted.json() == {"primary_sponsor": {"id": marcus.pk, "name": "Marcus Holt"}}

    marcus.delete()                                                # the backup contact is removed
    alert.refresh_from_db()
    assert alert.proposed_primary is None

    refused = client.post(url)

    assert refused.status_code == 400
    assert refused.json() == {"detail": "no backup sponsor was proposed for this departure (or it has since been "
                                        "removed); name a new primary sponsor on the contact instead"}
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.OPEN


# --- unknown keys and settings are refused, naming them -------------------------------------------------


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_an_unknown_key_in_any_section_is_refused_naming_it(settings, section):
    setting = SECTIONS[section].SETTING
    setattr(settings, setting, {"no_such_key": 1})

    with pytest.raises(ImproperlyConfigured, match=rf"^{setting}: unknown key 'no_such_key' \(known: "):
        check_settings()


def test_an_unknown_key_inside_a_mapping_is_refused_naming_it(settings):
    settings.EXEC_SPONSOR_SCORING = {"meeting_targets": {"huge": 30}}

    with pytest.raises(ImproperlyConfigured,
                       match=r"^EXEC_SPONSOR_SCORING: unknown key 'huge' in 'meeting_targets'"):
        check_settings()


def test_an_unknown_exec_sponsor_setting_is_refused_naming_it(settings):
    settings.EXEC_SPONSOR_NEWS_CONFIDENCE = 0.6         # the old name, now EXEC_SPONSOR_TRIAGE["news_confidence"]

    with pytest.raises(ImproperlyConfigured, match=r"^unknown setting EXEC_SPONSOR_NEWS_CONFIDENCE \(known: "):
        check_settings()


@pytest.mark.parametrize("line, message", [
    ('EXEC_SPONSOR_GUARDRAILS = {"cadence_days": {"enterprise": 7}}',
     "EXEC_SPONSOR_GUARDRAILS: unknown key 'cadence_days'"),
    ("EXEC_SPONSOR_EMAIL_MAX_ATTEMPTS = 7", "unknown setting EXEC_SPONSOR_EMAIL_MAX_ATTEMPTS"),
])
def test_the_process_does_not_start_with_a_bad_setting(tmp_path, line, message):
    (tmp_path / "bad_settings.py").write_text(f"from config.settings_test import *  # noqa\n{line}\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bad_settings",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}

    started = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=120)

    assert started.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: " + message in started.stderr
