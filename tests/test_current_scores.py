"""Each account's ``CurrentScore`` follows its newest account snapshot on or before today through every
write of ``recompute_scores``, and the portfolio read from it (today) shows exactly what the per-account
lookup of the latest snapshot (any other day) shows, for every sort and filter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import Account
from reports.portfolio_page import SORTS, Filters, load_page
from sponsors.models import Contact, CurrentScore, Interaction, InteractionParticipant, ScoreSnapshot
from sponsors.services.current_scores import refresh_current_scores
from sponsors.services.scores import recompute_scores
from tests.test_portfolio_page import TODAY, build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]


def current(account):
    row = CurrentScore.objects.get(account=account)
    return row.as_of, row.score, row.level, row.risk, row.days_since_exec_touch


def account_snapshot(account, day):
    return ScoreSnapshot.objects.get(account=account, contact__isnull=True, as_of=day)


@pytest.fixture
def scored_account(db):
    account = Account.objects.create(source="t", external_id="x", name="Globex", tier="enterprise")
    sponsor = Contact.objects.create(account=account, name="Vera", roles=["ceo"], is_executive=True,
                                     sponsor="primary")
    meeting = Interaction.objects.create(account=account, type="one_on_one", direction="meeting",
                                         occurred_at=datetime(2026, 11, 10, 15, tzinfo=UTC))
    InteractionParticipant.objects.create(interaction=meeting, contact=sponsor)
    return account


def test_the_recompute_keeps_the_newest_day_on_or_before_today_current(scored_account):
    recompute_scores(account_ids=[scored_account.pk], as_of=TODAY)
    today = account_snapshot(scored_account, TODAY)
    assert current(scored_account) == (TODAY, today.score, today.level, today.risk,
                                      today.breakdown["cadence"]["days_since"])
    recompute_scores(account_ids=[scored_account.pk], as_of=TODAY - timedelta(days=30))   # a backfill: older
    assert current(scored_account)[0] == TODAY
    recompute_scores(account_ids=[scored_account.pk], as_of=TODAY + timedelta(days=3))    # not a day yet
    assert current(scored_account)[0] == TODAY
    assert CurrentScore.objects.get(account=scored_account).snapshot_id == today.pk
    recompute_scores(as_of=TODAY)                                       # the whole portfolio replaces the day
    assert CurrentScore.objects.get(account=scored_account).snapshot_id == account_snapshot(scored_account,
                                                                                            TODAY).pk


def test_an_account_whose_current_snapshot_went_falls_back_to_its_previous_one(scored_account):
    older = TODAY - timedelta(days=7)
    recompute_scores(account_ids=[scored_account.pk], as_of=older)
    recompute_scores(account_ids=[scored_account.pk], as_of=TODAY)
    account_snapshot(scored_account, TODAY).delete()
    refresh_current_scores(account_ids=[scored_account.pk], as_of=TODAY)
    previous = account_snapshot(scored_account, older)
    assert current(scored_account) == (older, previous.score, previous.level, previous.risk,
                                      previous.breakdown["cadence"]["days_since"])
    ScoreSnapshot.objects.all().delete()
    refresh_current_scores(as_of=TODAY)
    assert not CurrentScore.objects.exists()


@pytest.mark.parametrize("sort", [*SORTS, *(f"-{s}" for s in SORTS)])
def test_today_from_current_scores_equals_the_latest_snapshot_lookup(cast, sort):
    build(60, cast)
    # A second, later score for some accounts and none at all for others, so "latest" matters.
    accounts = list(Account.objects.order_by("pk"))
    ScoreSnapshot.objects.filter(account__in=accounts[:5], as_of=TODAY).delete()
    refresh_current_scores(as_of=TODAY)
    ScoreSnapshot.objects.filter(account__in=accounts[5:8]).delete()
    refresh_current_scores(as_of=TODAY)
    visible = Account.objects.all()
    for filters in (Filters(sort=sort), Filters(sort=sort, risk="High"), Filters(sort=sort, severity="high"),
                    Filters(sort=sort, level="Passive", page=2), Filters(sort=sort, q="acct 001")):
        fast = load_page(cast["admin"], visible, filters, as_of=TODAY)
        lookup = load_page(cast["admin"], visible, filters, as_of=TODAY, today=TODAY + timedelta(days=1))
        assert fast.rows == lookup.rows and fast.summary == lookup.summary, filters
    assert CurrentScore.objects.count() == 57


def test_a_past_day_shows_the_scores_of_that_day(cast, client):
    build(30, cast)                          # account i scores i today and max(i - 5, 0) a week ago
    client.force_login(cast["admin"])
    week_ago = (TODAY - timedelta(days=7)).isoformat()
    past = client.get("/", {"as_of": week_ago, "sort": "-score"})
    assert [(r.name, r.score) for r in past.context["rows"]][:2] == [("Acct 0029", 24), ("Acct 0028", 23)]
    today = client.get("/", {"sort": "-score"})
    assert [(r.name, r.score) for r in today.context["rows"]][:2] == [("Acct 0029", 29), ("Acct 0028", 28)]
    assert date.fromisoformat(week_ago) < TODAY


def test_the_recompute_counts_a_departure_confirmed_before_the_crm_knows(scored_account):
    """A confirmed ``departure`` org change makes the contact departed for scoring, whatever the CRM's status
    says (THE rule, ``AccountFacts.departures``): the nightly and per-account recompute store exactly what
    ``score_account`` gives on the account's full facts, the departed primary out of the overall score."""
    from sponsors.models import OrgChange
    from sponsors.rules.scoring import score_account
    from sponsors.selectors.facts import load_account_facts

    vera = Contact.objects.get(account=scored_account, name="Vera")
    olu = Contact.objects.create(account=scored_account, name="Olu", roles=["c_level"], is_executive=True)
    call = Interaction.objects.create(account=scored_account, type="call", direction="inbound",
                                      occurred_at=datetime(2026, 11, 12, 15, tzinfo=UTC))
    InteractionParticipant.objects.create(interaction=call, contact=olu)
    OrgChange.objects.create(account=scored_account, contact=vera, kind="departure", source="linkedin",
                             occurred_on=TODAY - timedelta(days=3), state=OrgChange.State.CONFIRMED)
    assert vera.status == Contact.Status.ACTIVE                 # the CRM has not caught up

    recompute_scores(account_ids=[scored_account.pk], as_of=TODAY)

    expected = score_account(load_account_facts([scored_account.pk], as_of=TODAY)[scored_account.pk], as_of=TODAY)
    stored = account_snapshot(scored_account, TODAY)
    assert (stored.score, stored.level, stored.risk) == (expected.score, expected.level, expected.risk)
    vera_stored = ScoreSnapshot.objects.get(contact=vera, as_of=TODAY)
    assert vera_stored.breakdown["contact"]["status"] == "departed"
    assert "Vera" not in stored.breakdown["method"] and expected.level == "Unknown"      # no active sponsor left
