"""Portfolio metrics over time: each value worked out by hand on the small portfolio of
``tests/digest_support.py`` (see its docstring), stored weekly per scope, read back in one query, and
printed by ``manage.py portfolio_metrics``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from accounts.selectors import accounts_of_team, accounts_visible_to
from reports import metric_history as mh
from sponsors.models import PortfolioMetricSnapshot

from .digest_support import SUNDAY, build_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return build_portfolio()


def values(scope, as_of=SUNDAY):
    return mh.compute([scope], as_of=as_of)[scope.key]


def test_all_accounts_by_hand(cast):
    point = values(mh.scope_all())

    assert point.accounts == 4
    v = point.values
    assert v["exec_engagement_rate"] == 25.0                       # Alpha only, of 4
    # 365/25 (Alpha), 365/12 (Beta: the departed sponsor's meetings do not count), 365 and 365 (none)
    assert v["exec_touchpoint_cadence"] == pytest.approx((365 / 25 + 365 / 12 + 365 + 365) / 4)
    assert v["qbr_exec_attendance"] == 50.0                        # Alpha's 2 QBRs, one without an executive
    assert v["sponsor_retention"] == 75.0                          # a1, a2, c1 kept; b1 lost; b2 too new
    assert v["multi_thread_score"] == 0.5                          # 2 engaged executives over 4 accounts


def test_a_team_and_its_manager_see_the_same_two_accounts(cast):
    team = values(mh.scope_team(cast["north"]))
    manager = values(mh.scope_user(cast["mia"]))

    assert team.values == manager.values and team.accounts == manager.accounts == 2
    assert team.values["exec_engagement_rate"] == 50.0
    assert team.values["exec_touchpoint_cadence"] == pytest.approx((365 / 25 + 365 / 12) / 2)
    assert team.values["qbr_exec_attendance"] == 50.0
    assert team.values["sponsor_retention"] == pytest.approx(200 / 3)   # a1, a2 of a1, a2, b1
    assert team.values["multi_thread_score"] == 1.0


def test_a_team_without_a_manager_and_no_qbrs_held(cast):
    point = values(mh.scope_team(cast["orphan"]))                  # Gamma: nobody, nothing held
    assert point.accounts == 1
    assert point.values == {"exec_engagement_rate": 0.0, "exec_touchpoint_cadence": 365.0,
                            "qbr_exec_attendance": None, "sponsor_retention": None, "multi_thread_score": 0.0}
    metrics = {m.key: m for m in point.metrics(mh.rules_config())}
    assert metrics["qbr_exec_attendance"].value_text == "no data" and metrics["qbr_exec_attendance"].met is None


def test_a_team_with_no_accounts_has_no_data_at_all(cast):
    point = values(mh.scope_team(cast["empty"]))
    assert point.accounts == 0
    assert set(point.values.values()) == {None}


def test_a_csm_book_and_the_admin_scope(cast):
    assert values(mh.scope_user(cast["carl"])).values == values(mh.scope_team(cast["north"])).values
    assert mh.scope_user(cast["ada"]).key == "all"


def test_the_team_scope_is_the_managers_part_of_the_visibility_rule(cast):
    assert set(accounts_of_team(cast["north"])) == set(accounts_visible_to(cast["mia"]))


def test_a_date_before_the_replacement_sees_the_old_sponsor_still_in_place(cast):
    point = values(mh.scope_team(cast["north"]), as_of=date(2026, 8, 1))
    # b1 had not left yet by the departure date, but the CRM status says departed today (the one thing the
    # history cannot tell): still lost.  b2 was not a sponsor yet and is left out.
    assert point.values["sponsor_retention"] == pytest.approx(200 / 3)


def test_stored_weekly_per_scope_and_a_trend_is_one_query(cast, django_assert_num_queries):
    summary = mh.store_all_scopes(as_of=SUNDAY)
    # all, three teams, Mia, Carl and Olive (the admin's scope is "all")
    assert summary == {"as_of": "2026-11-22", "scopes": 7}
    assert PortfolioMetricSnapshot.objects.filter(as_of=SUNDAY).count() == 7
    scope = mh.scope_team(cast["north"])

    with django_assert_num_queries(1):
        points = mh.series(scope, as_of=SUNDAY, weeks=12, compute_missing="none")

    assert [d for d, _ in points] == mh.weekly_days(SUNDAY, 12) and points[0][0] == date(2026, 9, 6)
    assert [p is None for _, p in points] == [True] * 11 + [False]
    assert points[-1][1].values["multi_thread_score"] == 1.0
    mh.store_all_scopes(as_of=SUNDAY)                              # again: replaced, not added
    assert PortfolioMetricSnapshot.objects.filter(as_of=SUNDAY).count() == 7


def run(*args) -> str:
    out = io.StringIO()
    call_command("portfolio_metrics", *args, stdout=out)
    return out.getvalue()


def test_the_command_computes_stores_and_prints_each_format(cast):
    text = run("--as-of", "2026-11-22", "--team", "north", "--weeks", "2", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["as_of"] for r in rows] == ["2026-11-15", "2026-11-22"]
    assert rows[-1]["exec_engagement_rate"] == "50.0" and rows[-1]["multi_thread_score"] == "1.0"
    assert PortfolioMetricSnapshot.objects.filter(scope=f"team:{cast['north'].pk}").count() == 2

    doc = json.loads(run("--as-of", "2026-11-22", "--weeks", "1", "--format", "json"))
    assert doc["scope"]["key"] == "all" and doc["weeks"][0]["values"]["sponsor_retention"] == 75.0
    assert doc["weeks"][0]["met"]["sponsor_retention"] is False

    md = run("--as-of", "2026-11-22", "--team", "Orphan", "--weeks", "1", "--format", "md")
    assert "| 2026-11-22 | 1 | 0% | 365 days | no data | no data | 0 execs |" in md
    table = run("--as-of", "2026-11-22", "--team", "Empty", "--weeks", "1")
    assert "no data" in table and "targets: Exec Engagement Rate >80%" in table


def test_the_command_names_what_is_wrong(cast):
    with pytest.raises(CommandError, match="--team 'Sales': no such team .*Empty, North, Orphan"):
        run("--team", "Sales")
    with pytest.raises(CommandError, match="--weeks 0"):
        run("--weeks", "0")
    with pytest.raises(CommandError, match="--user 'nobody@x.example'"):
        run("--user", "nobody@x.example")
