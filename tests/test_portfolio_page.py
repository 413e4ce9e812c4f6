"""The portfolio page reads stored scores and open alerts: sorting, server-side pages, the filters (owner, tier,
level, risk, alert severity, renewal within N days), ARR and renewal columns, ARR at risk, the five metrics
with their 12-week trend from the stored weekly points; and the portfolio and account pages cost the same
number of queries for 10 accounts as for 2,000 (and for an account with 3 or 2,000 interactions).

The portfolio is built by hand: account i (0, 1, …) has ARR (i + 1) × 1,000 USD, renews i days after today,
scores i % 100 with the level and risk of its band, is owned by dana (even i) or li (odd i), and has one
open alert of severity low, medium, high, critical for i % 4 = 0, 1, 2, 3."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from accounts.vocabulary import RISK_BY_LEVEL, SEVERITIES, TIERS
from reports import metric_history as mh
from sponsors.models import Alert, Contact, Interaction, InteractionParticipant, PortfolioMetricSnapshot, ScoreSnapshot
from sponsors.services.current_scores import refresh_current_scores

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]
TODAY = date(2026, 11, 20)


def level_of(score):
    return "Engaged" if score >= 60 else "Passive" if score >= 30 else "Disengaged"


def build(n, cast, start=0):
    owners = (cast["csm"], cast["teammate"])
    accounts = Account.objects.bulk_create([
        Account(source="t", external_id=f"a{i}", name=f"Acct {i:04d}", tier=TIERS[i % 3], arr=Decimal(1000 * (i + 1)),
                currency="USD", renewal_date=TODAY + timedelta(days=i), owner=owners[i % 2])
        for i in range(start, start + n)])
    Contact.objects.bulk_create([Contact(account=a, name=f"Sponsor {i}", roles=["vp"], is_executive=True,
                                         sponsor="primary") for i, a in enumerate(accounts)])
    snaps = []
    for i, a in enumerate(accounts, start):
        score = i % 100
        for day, s in ((TODAY - timedelta(days=7), max(score - 5, 0)), (TODAY, score)):
            cadence = {"days_since": i % 40, "cadence_days": 30, "next_due": "2026-12-01", "overdue": i % 40 > 30}
            snaps.append(ScoreSnapshot(account=a, as_of=day, score=s, level=level_of(s),
                                       risk=RISK_BY_LEVEL[level_of(s)], breakdown={"cadence": cadence}))
    ScoreSnapshot.objects.bulk_create(snaps)
    refresh_current_scores(account_ids=[a.pk for a in accounts], as_of=TODAY)    # as recompute_scores does
    Alert.objects.bulk_create([Alert(account=a, code="single_threaded", severity=SEVERITIES[i % 4], message="m")
                               for i, a in enumerate(accounts, start)])
    return accounts


def names(response):
    return [r.name for r in response.context["rows"]]


def test_it_sorts_pages_and_sums_arr_at_risk(cast, client):
    build(30, cast)
    client.force_login(cast["admin"])
    first = client.get("/", {"sort": "-arr"})
    assert names(first)[:3] == ["Acct 0029", "Acct 0028", "Acct 0027"] and len(names(first)) == 25
    html = first.content.decode()
    assert 'aria-sort="descending"' in html and "Page 1 of 2" in html
    second = client.get("/", {"sort": "-arr", "page": 2})
    assert names(second) == ["Acct 0004", "Acct 0003", "Acct 0002", "Acct 0001", "Acct 0000"]
    # High risk = Disengaged = score < 30: accounts 0..29 all score i, so all 30 are High; ARR at risk is all
    # of it: 1,000 + 2,000 + … + 30,000 = 465,000
    assert "ARR at risk <strong>USD 465,000</strong> of USD 465,000" in html
    assert names(client.get("/", {"sort": "name"}))[0] == "Acct 0000"
    assert names(client.get("/", {"sort": "renewal"}))[0] == "Acct 0000"
    assert client.get("/", {"sort": "sideways"}).status_code == 400


def test_the_filters_each_narrow_the_rows(cast, client):
    build(100, cast)
    client.force_login(cast["admin"])

    def ids(**params):
        return {int(n.split()[1]) for n in names(client.get("/", {**params, "sort": "name"}))} if params else None

    assert ids(owner=cast["teammate"].pk, renewal=5) == {1, 3, 5}               # odd i, renewing within 5 days
    assert ids(tier="smb", renewal=10) == {2, 5, 8}                             # i % 3 == 2
    assert ids(level="Engaged", renewal=70) == {60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70}
    assert ids(risk="Medium", renewal=31) == {30, 31}                            # Passive: 30..59
    assert ids(severity="critical", renewal=12) == {3, 7, 11}
    assert ids(severity="high", renewal=8) == {2, 3, 6, 7}                       # high or worse
    response = client.get("/", {"renewal": "-3"})
    assert response.status_code == 400 and "renewal:" in response.content.decode()
    client.force_login(cast["csm"])
    refused = client.get("/", {"owner": cast["teammate"].pk})                # li owns none of dana's accounts
    assert refused.status_code == 400 and "owner: Select a valid choice" in refused.content.decode()


def test_a_renewal_within_30_days_at_high_risk_stands_out_on_the_page(cast, client):
    build(40, cast)                 # accounts 0..29 score under 30 (High risk) and renew within 29 days
    client.force_login(cast["admin"])
    first = client.get("/", {"sort": "renewal"}).content.decode()
    second = client.get("/", {"sort": "renewal", "page": 2}).content.decode()
    assert first.count('class="warn renewal-urgent"') == 25                # accounts 0..24
    assert second.count('class="warn renewal-urgent"') == 5                # 25..29; 30..39 are Medium risk


def test_the_metrics_show_the_latest_stored_week_and_a_12_week_trend(cast, client):
    build(3, cast)
    sunday = mh.week_end(TODAY)                                                  # 2026-11-15
    scope = mh.scope_user(cast["manager"]).key
    for k, rate in ((0, 70.0), (1, 75.0), (2, 82.5)):
        PortfolioMetricSnapshot.objects.create(scope=scope, as_of=sunday - timedelta(days=7 * (2 - k)), accounts=3,
                                               exec_engagement_rate=rate, multi_thread_score=1.0 + k)
    client.force_login(cast["manager"])
    html = client.get("/").content.decode()
    metric = re.search(r'data-metric="exec_engagement_rate">.*?</div>\s*</div>', html, re.S).group(0)
    assert "82.5%" in metric and "target &gt;80% · met" in re.sub(r"\s+", " ", metric)
    assert ("aria-label=\"Exec Engagement Rate, 12 weeks: no data, no data, no data, no data, no data, no data, "
            "no data, no data, no data, 70, 75, 82.5; target &gt;80%\"") in metric
    # on 0..100, the dashed target line at 80: y = 3 + 22 × (1 - 0.8)
    assert '<line class="spark-target" x1="3" y1="7.4" x2="117" y2="7.4"/>' in metric
    assert "week ending 2026-11-15" in html
    retention = re.search(r'data-metric="sponsor_retention">.*?</div>\s*</div>', html, re.S).group(0)
    assert "no data" in retention


def test_no_stored_metrics_say_how_to_get_them(cast, client):
    build(2, cast)
    client.force_login(cast["csm"])
    assert "none are stored for your accounts yet" in client.get("/").content.decode()


# --- bounded queries --------------------------------------------------------------------------------------

def queries(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_the_portfolio_runs_the_same_queries_for_10_and_2000_accounts(cast, client, django_assert_max_num_queries):
    build(10, cast)
    client.force_login(cast["admin"])
    small, response = queries(client, "/", sort="-risk", level="Disengaged")
    assert len(response.context["rows"]) == 10
    build(2000, cast, start=10)
    with django_assert_max_num_queries(small):
        response = client.get("/", {"sort": "-risk", "level": "Disengaged"})
    # Disengaged: score i % 100 below 30 — 30 in every hundred of 0..1999, and 2000..2009
    assert response.context["page"].summary.total == 20 * 30 + 10
    assert len(response.context["rows"]) == 25


def test_the_account_page_runs_the_same_queries_for_a_short_and_a_long_history(cast, client,
                                                                              django_assert_max_num_queries):
    [account] = build(1, cast)
    sponsor = account.contacts.get()
    client.force_login(cast["csm"])

    def meet(n, start):
        meetings = Interaction.objects.bulk_create([
            Interaction(account=account, type="call", direction="meeting", occurred_at=start + timedelta(hours=6 * k))
            for k in range(n)])
        InteractionParticipant.objects.bulk_create([InteractionParticipant(interaction=m, contact=sponsor)
                                                    for m in meetings])

    meet(3, datetime(2026, 11, 1, tzinfo=UTC))
    few, _ = queries(client, f"/accounts/{account.pk}/")
    meet(1997, datetime(2025, 1, 1, tzinfo=UTC))
    ScoreSnapshot.objects.bulk_create([
        ScoreSnapshot(account=account, contact=sponsor if c else None, as_of=TODAY - timedelta(days=d), score=50,
                      level="Passive", risk="Medium") for d in range(1, 84) if d != 7 for c in (0, 1)])
    build(2000, cast, start=1)                                             # and a big portfolio around it
    with django_assert_max_num_queries(few):
        response = client.get(f"/accounts/{account.pk}/")
    assert "Page 1 of 200 (2000 interactions)" in response.content.decode()
