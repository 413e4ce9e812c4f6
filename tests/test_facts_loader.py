"""The bulk facts loader agrees with the pure reference (activity_from_interactions) on real data,
and its query count does not grow with the portfolio."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from sponsors.config import rules_config
from sponsors.rules.activity import account_qbr_counts, activity_from_interactions, last_exec_touch
from sponsors.selectors.facts import interaction_facts, load_account_facts

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 26)


def seed(n, seed=11):
    import io

    call_command("seed_demo", "--accounts", str(n), "--as-of", "2026-11-26", "--seed", str(seed),
                 "--output", f"/tmp/facts-loader-{n}-{seed}.json", stdout=io.StringIO())


@pytest.mark.parametrize("as_of", [AS_OF, date(2026, 6, 30)])
def test_bulk_aggregates_match_the_reference_per_contact(as_of):
    seed(12)
    config = rules_config().scoring
    loaded = load_account_facts(as_of=as_of)
    assert len(loaded) == 12
    compared = 0
    for account in Account.objects.all():
        raw = interaction_facts(account.pk, as_of=as_of)
        account_facts = loaded[account.pk]
        for contact in account_facts.contacts:
            expected = activity_from_interactions(contact.id, raw, as_of=as_of, config=config)
            got = account_facts.activity.get(contact.id)
            if got is None:
                assert not expected.has_data
                continue
            assert got.reply_days_total == pytest.approx(expected.reply_days_total)
            assert got.__class__(**{**{s: getattr(got, s) for s in got.__slots__},
                                    "reply_days_total": expected.reply_days_total}) == expected
            compared += 1
        execs = [c.id for c in account_facts.contacts if c.is_executive]
        assert (account_facts.qbrs_held, account_facts.qbrs_with_exec) == account_qbr_counts(
            raw, execs, as_of=as_of, config=config)
        assert account_facts.last_exec_touch == last_exec_touch(raw, execs, as_of=as_of)
    assert compared > 30


def test_the_query_count_does_not_grow_with_the_portfolio():
    seed(3, seed=1)
    with CaptureQueriesContext(connection) as small:
        load_account_facts(as_of=AS_OF)
    seed(30, seed=2)
    with CaptureQueriesContext(connection) as large:
        facts = load_account_facts(as_of=AS_OF)
    assert len(facts) == 30
    assert len(large) == len(small) <= 10


def test_the_heavy_reads_go_last_so_python_works_while_the_server_runs_them():
    seed(3, seed=1)
    with CaptureQueriesContext(connection) as queries:
        load_account_facts(as_of=AS_OF, scoring_only=True)
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 7        # accounts, contacts, alignment, goals, confirmed departures; activity, QBRs
    activity, qbrs = sql[-2:]       # the activity first: its rows become facts while the QBR query runs
    assert activity.startswith('SELECT "sponsors_interactionparticipant"."contact_id"')  # the activity aggregate
    assert "sponsors_interaction" in qbrs and "EXISTS" in qbrs                          # QBRs held, with an exec
    assert not any("sponsors_interactionparticipant" in s for s in sql[:-2])
