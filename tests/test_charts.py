"""The pages' SVG charts as numbers (reports/charts.py, pure): sparkline points worked out by hand, gaps,
the score scale, weekly sampling of stored snapshots, factor bars."""

from __future__ import annotations

from collections import namedtuple
from datetime import date

import pytest
from django.template import engines

from reports.charts import Bar, metric_scale, score_scale, sparkline, weekly_days, weekly_values

P = namedtuple("P", "as_of score")


def test_a_sparkline_spreads_the_values_over_the_box_inside_its_padding():
    # 120 × 28 box, 3 of padding: x from 3 to 117 (step 57), y from 25 (0) to 3 (100)
    chart = sparkline([0, 50, 100], low=0, high=100, label="Score")
    assert chart.points == "3,25 60,14 117,3"
    assert (chart.last_x, chart.last_y) == (117, 3)
    assert chart.description == "Score: 0, 50, 100"


def test_gaps_are_skipped_and_said():
    chart = sparkline([None, 10, None, 20], low=0, high=100, label="S")
    assert chart.points == "41,22.8 117,20.6"                 # x = 3 + 38·i; y = 3 + 22·(1 - v/100)
    assert chart.description == "S: no data, 10, no data, 20"


def test_one_value_is_a_dot_and_none_is_empty():
    one = sparkline([None, 40])
    assert one.points == "" and (one.last_x, one.last_y) == (117, 16.2) and not one.empty
    assert sparkline([None, None]).empty


def test_a_flat_series_on_its_own_range_sits_in_the_middle():
    assert sparkline([70.0, 70.0], low=None, high=None).points == "3,14 117,14"


def test_the_score_scale_is_at_least_20_points_and_inside_0_100():
    assert score_scale([50, 52]) == (41, 61)
    assert score_scale([5, 6]) == (0, 20)
    assert score_scale([98]) == (80, 100)                      # 88..108 moved down by 8
    assert score_scale([10, 90]) == (10, 90)


def test_a_metric_is_drawn_from_zero_with_its_target_on_the_scale():
    assert metric_scale([60, 50, None], target=80, percent=True) == (0, 100)
    assert metric_scale([110, 55], target=45, percent=False) == (0, pytest.approx(121))
    assert metric_scale([0.8, None], target=1.5, percent=False) == (0, pytest.approx(1.65))     # the target
    assert metric_scale([0, 0], target=0, percent=False) == (0, 1)


def test_a_target_is_a_line_across_and_is_said():
    chart = sparkline([60, 50], low=0, high=100, label="Rate", target=80, target_text="target >80%")
    assert chart.points == "3,11.8 117,14"                     # y = 3 + 22·(1 - v/100)
    assert (chart.target_x1, chart.target_y, chart.target_x2) == (3, 7.4, 117)
    assert chart.description == "Rate: 60, 50; target >80%"
    assert chart.title == "Rate (dashed line: target >80%)"
    off_scale = sparkline([60, 50], low=0, high=100, label="Rate", target=120, target_text="target >120%")
    assert off_scale.target_y is None and off_scale.description == "Rate: 60, 50"
    assert sparkline([60, 50], label="Rate").target_y is None


def test_weekly_values_take_the_latest_snapshot_of_each_week_and_leave_gaps():
    days = weekly_days(date(2026, 11, 20), 3)
    assert days == [date(2026, 11, 6), date(2026, 11, 13), date(2026, 11, 20)]
    points = [P(date(2026, 11, 5), 10), P(date(2026, 11, 12), 20), P(date(2026, 11, 14), 30)]
    assert weekly_values(points, days) == [10, 20, 30]
    assert weekly_values([P(date(2026, 11, 5), 10)], days) == [10, None, None]


def test_factor_bars():
    assert (Bar("M", 13, 25, "").width, Bar("M", 13, 25, "").band) == (52, "mid")
    assert (Bar("M", 0, 25, "").width, Bar("M", 0, 25, "").band) == (0, "low")
    assert (Bar("M", 25, 25, "").width, Bar("M", 25, 25, "").band) == (100, "high")
    assert Bar("M", 30, 25, "").width == 100


CHARTS = {
    "empty": sparkline([None, None]),
    "one value": sparkline([None, 40], label="Ana <CFO> & co"),
    "gaps": sparkline([10, None, 30, 55, None, 70], label='Engagement of "Bo", last 12 weeks'),
    "own range": sparkline([0.25, 0.5, 0.125], low=None, high=None, label="Exec engagement rate, 12 weeks"),
    "flat": sparkline([50, 50, 50, 50]),
    "target": sparkline([0.8, 0.7, None, 0.9], low=0, high=1.65, label="Multi-thread <score>", target=1.5,
                        target_text="target >1.5 execs"),
}


@pytest.mark.parametrize("localized", [True, False])
@pytest.mark.parametrize("css", ["", "spark-large"])
@pytest.mark.parametrize("name", CHARTS)
def test_the_sparkline_tag_writes_what_the_sparkline_template_writes(name, css, localized):
    engine = engines["django"]
    around = ("", "") if localized else ("{% load l10n %}{% localize off %}", "{% endlocalize %}")
    context = {"chart": CHARTS[name], "css": css}
    included = engine.from_string(around[0] + '{% include "reports/_sparkline.html" with chart=chart class=css %}'
                                  + around[1]).render(context)
    tagged = engine.from_string("{% load workspace %}" + around[0] + "{% sparkline chart css %}" + around[1]).render(
        context)
    assert tagged == included
