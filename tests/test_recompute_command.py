"""``manage.py recompute_scores`` and ``manage.py bench_scoring`` from the shell."""

import io
import re
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account
from sponsors.models import Contact, Interaction, ScoreSnapshot

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def portfolio(document, write_snapshot):
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    document["accounts"][0]["account"]["id"] = "acc_456"
    document["accounts"][0]["account"]["name"] = "Southwind"
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    return Account.objects.order_by("external_id")


def test_it_recomputes_the_portfolio_and_prints_a_summary(portfolio):
    out = run("recompute_scores", "--as-of", "2026-11-20")

    assert "Scores as of 2026-11-20 for the whole portfolio: 2 account(s), 4 executive(s) scored, " \
           "6 snapshot(s) written" in out
    assert re.search(r"accounts by level: \w+ 2", out)
    assert re.search(r"executives by level: (\w+ \d+(, )?)+", out)
    assert ScoreSnapshot.objects.filter(as_of=date(2026, 11, 20)).count() == 6


def test_weeks_builds_a_weekly_history_for_trends_and_what_changed(portfolio):
    out = run("recompute_scores", "--as-of", "2026-11-20", "--weeks", "2")
    assert "History as of 2026-11-06" in out and "History as of 2026-11-13" in out
    days = sorted(set(ScoreSnapshot.objects.filter(contact__isnull=True).values_list("as_of", flat=True)))
    assert days == [date(2026, 11, 6), date(2026, 11, 13), date(2026, 11, 20)]
    with pytest.raises(CommandError, match="--weeks must be between 0 and 104"):
        run("recompute_scores", "--weeks", "-1")


@pytest.mark.parametrize("how", ["external id", "pk:", "plain pk"])
def test_it_recomputes_one_account_by_external_id_or_pk(portfolio, how):
    southwind = portfolio.get(external_id="acc_456")
    value = {"external id": "acc_456", "pk:": f"pk:{southwind.pk}", "plain pk": str(southwind.pk)}[how]

    out = run("recompute_scores", "--account", value, "--as-of", "2026-11-20")

    assert f"for account Southwind (snapshot/acc_456, pk:{southwind.pk}): 1 account(s)" in out
    assert set(ScoreSnapshot.objects.values_list("account_id", flat=True)) == {southwind.pk}


def test_it_defaults_to_today(portfolio):
    from django.utils import timezone

    run("recompute_scores", "--account", "acc_123")
    assert set(ScoreSnapshot.objects.values_list("as_of", flat=True)) == {timezone.localdate()}


def test_it_refuses_unknown_ambiguous_and_malformed_input(portfolio):
    with pytest.raises(CommandError, match="no account with that external id or pk"):
        run("recompute_scores", "--account", "nope")
    Account.objects.create(source="hubspot", external_id="acc_123", name="Northwind (HubSpot)", tier="smb")
    with pytest.raises(CommandError, match=r"several accounts: .*pass --account pk:N"):
        run("recompute_scores", "--account", "acc_123")
    with pytest.raises(CommandError, match="pk: must be followed by a number"):
        run("recompute_scores", "--account", "pk:x")
    with pytest.raises(CommandError, match="not a date"):
        run("recompute_scores", "--as-of", "20/11/2026")
    assert not ScoreSnapshot.objects.exists()


def test_the_benchmark_builds_a_portfolio_measures_and_reuses_it():
    out = run("bench_scoring", "--accounts", "20", "--as-of", "2026-11-26", "--runs", "2")

    assert "Building a bench portfolio of 20 accounts as of 2026-11-26" in out
    assert re.search(r"accounts 1-20: [\d,]+ contacts, [\d,]+ interactions", out)
    portfolio = re.search(r"Portfolio: ([\d,]+) accounts, ([\d,]+) contacts \(([\d,]+) executives\), "
                          r"([\d,]+) interactions, ([\d,]+) participants", out)
    accounts, contacts, executives, interactions, participants = (int(g.replace(",", "")) for g in portfolio.groups())
    assert (accounts, executives) == (20, 100)
    assert 20 * 160 <= interactions <= 20 * 260 and participants >= interactions and contacts > executives
    recompute = re.search(r"Full recompute: (\d+) queries; 20 accounts, 100 executives, 120 snapshots a day", out)
    assert 5 <= int(recompute.group(1)) <= 20
    bare = re.search(r"Bare SQL aggregate: ([\d,]+) groups", out)
    assert int(bare.group(1).replace(",", "")) == contacts
    ratio = re.search(r"ratio recompute / bare aggregate +min +([\d.]+) +median +([\d.]+) +max +([\d.]+)", out)
    low, median, high = (float(g) for g in ratio.groups())
    assert 0 < low <= median <= high
    assert len(re.findall(r"pair \d/2: baseline", out)) == 2
    assert Account.objects.filter(source="bench").count() == 20
    assert Contact.objects.filter(is_executive=True).count() == 100

    again = run("bench_scoring", "--accounts", "20", "--as-of", "2026-11-26", "--runs", "1")
    assert "Reusing the bench portfolio of 20 accounts." in again
    assert Interaction.objects.count() == interactions

    smaller = run("bench_scoring", "--accounts", "5", "--as-of", "2026-11-26", "--runs", "1")
    assert "Dropped the previous bench portfolio (20 accounts)" in smaller
    assert Account.objects.filter(source="bench").count() == 5
    assert ScoreSnapshot.objects.filter(as_of=date(2026, 11, 26)).count() == 5 * 6
