"""Alert lifecycle in the database: open, dedupe, refresh, resolve, reopen, acknowledge; the
escalation e-mail row; a portfolio sweep in a fixed number of queries."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sponsors.models import Alert, Contact, OutboundEmail
from sponsors.services.alerts import alert_acknowledge, escalation_key, evaluate_accounts
from sponsors.services.sponsors import sponsor_assign_backup, sponsor_clear

from .guardrails_support import AS_OF, account, expected_findings, import_document, portfolio

pytestmark = pytest.mark.django_db


def unresolved(acc):
    return {(a.code, a.subject): a for a in Alert.objects.filter(account=acc).exclude(status="resolved")}


def without_backup(doc):
    doc["accounts"][0]["contacts"][1]["sponsor"] = None
    return doc


def test_it_opens_one_alert_per_finding(document):
    import_document(without_backup(document))
    acc = account()
    expected = expected_findings([acc.pk], as_of=AS_OF)[acc.pk]
    assert ("no_backup_sponsor", "") in expected            # the case under test is really there

    result = evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)

    alerts = unresolved(acc)
    assert set(alerts) == set(expected)
    assert len(result.opened) == len(expected) and result.kept == 0 and result.resolved == 0
    for key, alert in alerts.items():
        assert alert.status == Alert.Status.OPEN
        assert (alert.severity, alert.message) == (expected[key].severity, expected[key].message)
        assert alert.last_seen_on == AS_OF


def test_it_keeps_one_alert_when_evaluated_twice(document):
    import_document(without_backup(document))
    acc = account()
    first = evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    before = {k: a.pk for k, a in unresolved(acc).items()}

    second = evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)

    assert {k: a.pk for k, a in unresolved(acc).items()} == before
    assert second.opened == [] and second.kept == len(first.opened)
    assert Alert.objects.filter(account=acc).count() == len(before)


def test_it_refreshes_message_and_last_seen_on_a_kept_alert(document):
    # Last executive touch 2026-11-11 (reply to i_3); enterprise limit 90 days.
    import_document(document)
    acc = account()
    day1 = AS_OF + timedelta(days=100)
    day2 = day1 + timedelta(days=5)
    evaluate_accounts(account_ids=[acc.pk], as_of=day1)
    alert = unresolved(acc)[("no_exec_contact_90d", "")]
    days1 = (day1 - AS_OF).days + 9
    assert f"for {days1} days" in alert.message

    evaluate_accounts(account_ids=[acc.pk], as_of=day2)

    again = unresolved(acc)[("no_exec_contact_90d", "")]
    assert again.pk == alert.pk
    assert f"for {days1 + 5} days" in again.message
    assert again.last_seen_on == day2
    assert again.details["days_since"] == days1 + 5


def test_it_resolves_when_the_condition_clears_and_reopens_as_a_new_alert(document):
    import_document(without_backup(document))
    acc = account()
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    first = unresolved(acc)[("no_backup_sponsor", "")]
    marcus = Contact.objects.get(account=acc, external_id="c_2")

    sponsor_assign_backup(contact=marcus)
    result = evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)

    first.refresh_from_db()
    assert first.status == Alert.Status.RESOLVED and first.resolved_at is not None
    assert ("no_backup_sponsor", "") not in unresolved(acc)
    assert result.resolved >= 1

    sponsor_clear(contact=marcus)
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)

    reopened = unresolved(acc)[("no_backup_sponsor", "")]
    assert reopened.pk != first.pk
    history = Alert.objects.filter(account=acc, code="no_backup_sponsor").order_by("pk")
    assert [a.status for a in history] == ["resolved", "open"]


def test_it_keeps_an_acknowledged_alert_acknowledged_until_resolved(document, cast):
    import_document(without_backup(document))
    acc = account()
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    alert = unresolved(acc)[("no_backup_sponsor", "")]

    alert = alert_acknowledge(alert=alert, by=cast["csm"])
    assert (alert.status, alert.acknowledged_by) == (Alert.Status.ACKNOWLEDGED, cast["csm"])
    assert alert.acknowledged_at is not None

    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF + timedelta(days=1))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED and alert.last_seen_on == AS_OF + timedelta(days=1)

    sponsor_assign_backup(contact=Contact.objects.get(account=acc, external_id="c_2"))
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF + timedelta(days=1))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert alert_acknowledge(alert=alert, by=cast["manager"]).status == Alert.Status.RESOLVED


def departed_primary(doc):
    doc["accounts"][0]["contacts"][0]["status"] = "departed"
    return doc


def test_it_freezes_the_due_date_of_an_escalation_and_writes_one_email(document):
    import_document(departed_primary(document))
    acc = account()
    priya = Contact.objects.get(account=acc, external_id="c_1")
    marcus = Contact.objects.get(account=acc, external_id="c_2")
    due = AS_OF + timedelta(days=2)                        # departure_response_days default 2

    first = evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)

    alert = unresolved(acc)[("sponsor_departed", f"contact:{priya.pk}")]
    assert alert.due_on == due and alert.severity == "critical"
    assert alert.details["proposed_primary_id"] == marcus.pk
    assert alert.details["proposed_primary_name"] == "Marcus Holt"
    emails = OutboundEmail.objects.filter(alert=alert)
    assert [e.dedupe_key for e in emails] == [escalation_key(alert)] == [e.dedupe_key for e in first.emails]

    later = AS_OF + timedelta(days=3)
    second = evaluate_accounts(account_ids=[acc.pk], as_of=later)

    alert.refresh_from_db()
    assert alert.due_on == due
    assert f"respond by {due.isoformat()}" in alert.message
    assert alert.details["due_on"] == due.isoformat()
    assert (later + timedelta(days=2)).isoformat() not in alert.message
    assert alert.last_seen_on == later
    assert second.emails == [] and OutboundEmail.objects.filter(alert=alert).count() == 1


def test_it_leaves_accounts_not_evaluated_alone(document):
    doc = portfolio(without_backup(document), 2)
    import_document(doc)
    a0, a1 = account("acc_0"), account("acc_1")
    evaluate_accounts(as_of=AS_OF)
    for c in Contact.objects.filter(external_id="c_2"):
        sponsor_assign_backup(contact=c)

    evaluate_accounts(account_ids=[a0.pk], as_of=AS_OF)

    assert ("no_backup_sponsor", "") not in unresolved(a0)
    assert ("no_backup_sponsor", "") in unresolved(a1)


def sweep_queries(document, n):
    def mutate(rec, i):
        rec["contacts"][0]["status"] = "departed"           # every account escalates: same query shape

    import_document(portfolio(document, n, mutate=mutate))
    with CaptureQueriesContext(connection) as first:
        opened = evaluate_accounts(as_of=AS_OF)
    with CaptureQueriesContext(connection) as second:
        kept = evaluate_accounts(as_of=AS_OF)
    assert len(opened.emails) == n and kept.kept == len(opened.opened)
    return len(first.captured_queries), len(second.captured_queries)  # noqa


def test_a_portfolio_sweep_takes_a_fixed_number_of_queries(document):
    small = sweep_queries(document, 2)
    Alert.objects.all().delete()
    from accounts.models import Account

    Account.objects.all().delete()
    large = sweep_queries(document, 9)
    assert small == large


def test_check_guardrails_command_prints_what_it_did(document):
    import_document(without_backup(document))
    acc = account()
    expected = expected_findings([acc.pk], as_of=AS_OF)[acc.pk]
    out = io.StringIO()

    call_command("check_guardrails", "--account", "acc_123", "--as-of", AS_OF.isoformat(), stdout=out)

    text = out.getvalue()
    assert f"1 account(s) evaluated as of {AS_OF.isoformat()}: {len(expected)} alert(s) opened, 0 kept" in text
    assert "[medium] no_backup_sponsor" in text
    out = io.StringIO()
    call_command("check_guardrails", "--account", str(acc.pk), "--as-of", AS_OF.isoformat(), stdout=out)
    assert f"0 alert(s) opened, {len(expected)} kept, 0 resolved" in out.getvalue()


def test_check_guardrails_command_refuses_an_unknown_account_and_a_bad_date(document):
    from django.core.management.base import CommandError

    import_document(document)
    with pytest.raises(CommandError, match="--account 'nope'"):
        call_command("check_guardrails", "--account", "nope", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--as-of"):
        call_command("check_guardrails", "--as-of", "20-11-2026", stdout=io.StringIO())
