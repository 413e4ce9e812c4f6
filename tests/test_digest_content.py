"""The weekly digest's content, built in-process on the hand-built portfolio (``tests/digest_support.py``)
and its eventful week: exceptions first in their groups, the metrics with the week's change and trend,
links into the app, the all-clear, and the headers of the outbox row."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Account, Team
from reports import digest_render
from reports.digest import MetricLine, bar_heights, due_week, sparkline
from reports.digest_service import digest_key, user_digest, write_digest
from reports.metrics import Metric
from sponsors.models import OutboundEmail
from sponsors.services.alerts import evaluate_accounts

from .digest_support import MONDAY, SUNDAY, at, build_portfolio, eventful_week, user

pytestmark = pytest.mark.django_db

SITE = "https://tracker.example"


@pytest.fixture
def week(settings):
    settings.SITE_URL = SITE
    cast = build_portfolio()
    cast.update(eventful_week(cast))
    with time_machine.travel(at(date(2026, 11, 18), 9), tick=False):
        evaluate_accounts(as_of=date(2026, 11, 18))
    return cast


def groups(digest) -> dict:
    return {g.key: g for g in digest.groups}


def test_exceptions_first_in_their_groups_with_links_and_due_dates(week):
    digest = user_digest(week["mia"], MONDAY)
    g = groups(digest)
    alpha, eps = week["Alpha"], week["Epsilon"]

    [escalation] = g["escalations"].items
    assert escalation.account_name == "Alpha" and "Blair Two" in escalation.text
    assert escalation.due_on == date(2026, 11, 20)                 # 2 days after the departure
    assert escalation.url == f"{SITE}/accounts/{alpha.pk}/report/"
    assert "new this week" in escalation.tag
    crossed = {i.account_name: i for i in g["risk"].items}
    assert crossed["Beta"].text.startswith("Medium (Passive, 37) → High (Disengaged, 25): Primary sponsor Drew New")
    assert crossed["Epsilon"].text.startswith("not scored → High (Disengaged")    # new since last week
    assert set(crossed) == {"Beta", "Epsilon"}
    assert {i.account_name for i in g["cadence"].items} == {"Epsilon"}
    assert {i.tag for i in g["cadence"].items} == {"No executive contact in 90 days", "Executive cadence overdue"}
    assert [i.account_name for i in g["no_backup"].items] == ["Alpha", "Beta"]     # Alpha's backup just left
    [pending] = g["org_changes"].items
    assert pending.text == "Avery One named COO (2026-11-19) awaits confirmation" and pending.url.endswith(
        f"/accounts/{alpha.pk}/report/")
    drops = {i.text.split(":")[0]: i for i in g["drops"].items}
    assert drops["Drew New"].text == ("Drew New: 37 → 25 (-12); Responsiveness 12 → 0 "
                                      "(avg 14.0 days to respond, 2 unanswered)")
    assert list(drops) == ["Drew New"]                              # a departed executive is no longer scored
    assert g["rises"].items == ()
    assert digest.accounts == 3 and not digest.all_clear and eps.pk


def test_renewals_within_30_days_at_high_or_critical_risk_are_an_exception(week):
    # MONDAY is 2026-11-23.  Beta (High risk, Disengaged 25 now) renews in 17 days; Epsilon (High) too late for
    # this digest; Alpha renews soon but is not at risk.
    Account.objects.filter(pk=week["Beta"].pk).update(renewal_date=date(2026, 12, 10), arr=Decimal("120000"),
                                                      currency="USD")
    Account.objects.filter(pk=week["Epsilon"].pk).update(renewal_date=date(2026, 12, 24))       # 31 days
    Account.objects.filter(pk=week["Alpha"].pk).update(renewal_date=date(2026, 12, 1))
    [renewal] = groups(user_digest(week["mia"], MONDAY))["renewals"].items
    assert (renewal.account_name, renewal.due_on, renewal.tag) == ("Beta", date(2026, 12, 10), "High risk")
    assert renewal.text == "renews in 17 days; ARR USD 120,000; executive engagement Disengaged (25), High risk"
    assert renewal.url == f"{SITE}/accounts/{week['Beta'].pk}/report/"
    Account.objects.filter(pk=week["Epsilon"].pk).update(renewal_date=date(2026, 12, 23))       # 30 days
    assert [i.account_name for i in groups(user_digest(week["mia"], MONDAY))["renewals"].items] == ["Beta",
                                                                                                    "Epsilon"]


def test_metrics_with_the_weeks_change_and_a_trend(week):
    digest = user_digest(week["mia"], MONDAY)
    lines = {m.metric.key: m for m in digest.metrics}

    mts = lines["multi_thread_score"]
    # now: Alpha has a1 only (a2 left), Beta none, Epsilon none -> 1/3; no snapshot stored a week before
    assert mts.metric.value == pytest.approx(1 / 3) and mts.previous is None and mts.change_text == "no change data"
    assert len(mts.trend) == 12 and mts.trend[:11] == (None,) * 11
    assert digest.as_of == SUNDAY


def test_the_email_renders_text_and_a_table_chart(week):
    from reports import metric_history as mh

    scope = mh.scope_user(week["mia"])
    mh.store(([scope]), mh.compute([scope], as_of=date(2026, 11, 15)))    # last week's point, stored
    digest = user_digest(week["mia"], MONDAY)
    parts = digest_render.email(digest)

    assert parts.subject.startswith("Weekly sponsor digest, week of Nov 23: ")
    assert "DEPARTURES AND ESCALATIONS (1)" in parts.text and "due 2026-11-20" in parts.text
    assert f"{SITE}/accounts/{week['Alpha'].pk}/report/" in parts.text
    # a week before: Alpha's a1 and a2 engaged, Beta and Epsilon none -> 2/3; now 1/3: down by 1/3
    assert "Multi-Thread Score: 0.3 execs (target >1.5 execs, not met); ▼ 0.3 execs;" in parts.text
    assert "Sponsor Retention: 60% (target >85%, not met); ▼ 20 pts;" in parts.text   # 4/5 → 3/5 (a2 left)
    assert "<svg" not in parts.html and "<script" not in parts.html
    assert len(re.findall(r'bgcolor="#(?:2e7d32|c62828|d0d0d0)"', parts.html)) == 5 * 12   # 12 bars x 5 metrics
    assert f'href="{SITE}/settings/digest/"' in parts.html


def test_a_manager_with_nothing_to_report_gets_a_short_all_clear(week):
    nia = user("nia@vendor.example", role="manager")
    Team.objects.get(name="Empty").managers.add(nia)
    digest = user_digest(nia, MONDAY)
    parts = digest_render.email(digest)

    assert digest.all_clear and digest.accounts == 0
    assert "all clear" in parts.subject
    assert "All clear: nothing needs your attention this week. Your teams have no accounts yet." in parts.text
    assert {m.metric.value_text for m in digest.metrics} == {"no data"}


def test_the_outbox_row_carries_one_click_unsubscribe_and_is_written_once(week):
    assert write_digest(user_id=week["mia"].pk, week=MONDAY) == "written"
    assert write_digest(user_id=week["mia"].pk, week=MONDAY) == "exists"

    row = OutboundEmail.objects.get(dedupe_key=digest_key(week["mia"].pk, MONDAY))
    assert row.to == ["Mia <mia@vendor.example>"] and row.kind == "weekly_digest"
    assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(rf"<{SITE}/digest/unsubscribe/[^/]+/>", row.headers["List-Unsubscribe"])
    assert write_digest(user_id=week["carl"].pk, week=MONDAY) == "skipped: opted out"   # a CSM, not opted in


def test_when_a_digest_is_due_in_each_time_zone():
    from zoneinfo import ZoneInfo

    auckland, los_angeles = ZoneInfo("Pacific/Auckland"), ZoneInfo("America/Los_Angeles")
    # Monday 08:00 in Auckland (NZDT, UTC+13) is Sunday 19:00 UTC; in Los Angeles (PST) Monday 16:00 UTC.
    assert due_week(at(SUNDAY, 18), auckland, weekday=0, hour=8) is None        # 07:00 Monday there
    assert due_week(at(SUNDAY, 19), auckland, weekday=0, hour=8) == MONDAY
    assert due_week(at(SUNDAY, 19), los_angeles, weekday=0, hour=8) is None     # Sunday 11:00 there
    assert due_week(at(MONDAY, 15), los_angeles, weekday=0, hour=8) is None     # 07:00
    assert due_week(at(MONDAY, 16), los_angeles, weekday=0, hour=8) == MONDAY
    assert due_week(at(MONDAY, 11), auckland, weekday=0, hour=8) is None        # Tuesday 00:00 there


def test_the_trend_chart_helpers():
    assert sparkline([None, 0, 50, 100]) == " ▁▅█"
    assert sparkline([3, 3]) == "██" and sparkline([None]) == ""
    assert sparkline([0, 50, 100], low=0, high=200) == "▁▃▅"      # 0, 1.75, 3.5 of 7 steps


def test_a_metric_trend_is_drawn_from_zero_with_its_target_in_view():
    # A 60 % → 50 % week is a step on 0..100 (both round to the 5th of 8 marks), not the bottom of the chart.
    rate = MetricLine(Metric("exec_engagement_rate", "Rate", "", 60.0, "%", 80.0, True), 60.0, (60, 60, 50, 60))
    assert rate.sparkline == "▅▅▅▅"
    # Days on 0 .. 1.1 × the highest of the values and the target: 110 and 55 days of 121.
    cadence = MetricLine(Metric("exec_touchpoint_cadence", "Cadence", "", 55.0, "days", 45.0, False), 110.0,
                         (110, 55))
    assert cadence.sparkline == "▇▄"                               # 6.4 and 3.2 of 7 steps
    assert bar_heights([None, 0, 18, 36], height=36) == [None, 2, 18, 36]
