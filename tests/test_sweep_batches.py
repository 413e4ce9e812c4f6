"""The guardrail sweep in bounded batches: a fixed number of statements per batch, one transaction
(one lock) per batch, and the same alerts as one evaluation of everything — first sweep, the next
day's sweep over the alerts it opened (kept ones rewritten only where their finding changed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sponsors.models import Alert
from sponsors.services.alerts import evaluate_accounts

from .guardrails_support import AS_OF, expected_findings, import_document, portfolio

pytestmark = pytest.mark.django_db


def escalating(rec, i):
    rec["contacts"][0]["status"] = "departed"          # every account escalates: the same shape of work
    if i % 2:
        rec["contacts"][1]["sponsor"] = None             # and half of them have no sponsor left


def sweep(account_ids, *, as_of, batch_size):
    with CaptureQueriesContext(connection) as queries:
        result = evaluate_accounts(account_ids=account_ids, as_of=as_of, batch_size=batch_size)
    sql = [q["sql"] for q in queries.captured_queries]
    return result, sql


def locks(sql):
    return sum("pg_advisory_xact_lock" in s for s in sql)


@pytest.fixture
def accounts(document):
    import_document(portfolio(document, 8, mutate=escalating))
    from accounts.models import Account

    return list(Account.objects.order_by("pk").values_list("pk", flat=True))


def unresolved():
    return {(a.account_id, a.code, a.subject): (a.severity, a.message, a.details, a.due_on, a.contact_id,
                                                 a.proposed_primary_id, a.last_seen_on)
            for a in Alert.objects.exclude(status=Alert.Status.RESOLVED)}


def test_it_takes_the_same_statements_for_every_batch(accounts):
    counts = {}
    for batches in (1, 2, 4):
        Alert.objects.all().delete()
        first, first_sql = sweep(accounts[:2 * batches], as_of=AS_OF, batch_size=2)
        steady, steady_sql = sweep(accounts[:2 * batches], as_of=AS_OF + timedelta(days=1), batch_size=2)
        assert locks(first_sql) == locks(steady_sql) == batches          # one transaction (lock) per batch
        assert len(first.opened) > 0 and steady.kept == len(first.opened) - steady.resolved
        counts[batches] = (len(first_sql), len(steady_sql))
    for side in (0, 1):
        one, two, four = counts[1][side], counts[2][side], counts[4][side]
        per_batch = two - one
        assert per_batch > 0 and four - two == 2 * per_batch                # the same statements per batch


def test_batched_sweeps_leave_the_alerts_one_evaluation_of_everything_leaves(accounts):
    next_day = AS_OF + timedelta(days=1)
    evaluate_accounts(as_of=AS_OF)
    evaluate_accounts(as_of=next_day)
    whole = unresolved()

    Alert.objects.all().delete()
    evaluate_accounts(as_of=AS_OF, batch_size=3)
    evaluate_accounts(as_of=next_day, batch_size=3)
    assert unresolved() == whole

    # ... and what they hold is what the rules say for the next day (due dates fixed at opening).
    expected = expected_findings(as_of=next_day)
    for (account_id, code, subject), (severity, message, _details, due_on, *_rest, seen) in whole.items():
        finding = expected[account_id][(code, subject)]
        assert seen == next_day and severity == finding.severity
        if code != "sponsor_departed":
            assert message == finding.message
        else:
            assert due_on == AS_OF + timedelta(days=2) and due_on.isoformat() in message


def test_a_kept_alert_is_rewritten_when_its_finding_changes(accounts):
    evaluate_accounts(as_of=AS_OF, batch_size=2)
    alert = Alert.objects.filter(code="no_sponsor").order_by("pk").first()
    assert alert is not None                                      # half of the accounts have no sponsor left
    Alert.objects.filter(pk=alert.pk).update(message="stale", severity="low", details={"old": True})

    result = evaluate_accounts(account_ids=[alert.account_id], as_of=AS_OF, batch_size=2)

    alert.refresh_from_db()
    finding = expected_findings([alert.account_id], as_of=AS_OF)[alert.account_id][("no_sponsor", "")]
    assert (alert.message, alert.severity, alert.details) == (finding.message, finding.severity, finding.details)
    assert alert.message != "stale" and result.kept >= 1 and not result.opened


def test_bad_batch_sizes_are_not_accepted(accounts):
    with pytest.raises(ValueError):
        evaluate_accounts(as_of=AS_OF, batch_size=0)
