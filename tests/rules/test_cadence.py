"""Tier cadence and next touchpoints: pure, no database."""

from datetime import date, timedelta

import pytest

from sponsors.rules.cadence import Touchpoint, cadence_status, next_touchpoints
from sponsors.rules.config import ScoringConfig

AS_OF = date(2025, 6, 30)
CONFIG = ScoringConfig()


def days_ago(n):
    return AS_OF - timedelta(days=n)


@pytest.mark.parametrize(
    ("tier", "days", "overdue"),
    [
        ("enterprise", 30, False),
        ("enterprise", 31, True),
        ("mid_market", 91, False),
        ("mid_market", 92, True),
        ("smb", 182, False),
        ("smb", 183, True),
    ],
)
def test_it_flags_overdue_only_past_the_tier_cadence(tier, days, overdue):
    status = cadence_status(tier, days_ago(days), as_of=AS_OF)
    assert status.cadence_days == CONFIG.cadence_days[tier]
    assert status.days_since == days
    assert status.last_touch == days_ago(days)
    assert status.next_due == days_ago(days) + timedelta(days=CONFIG.cadence_days[tier])
    assert status.overdue is overdue


def test_it_pins_the_design_cadences():
    assert dict(CONFIG.cadence_days) == {"enterprise": 30, "mid_market": 91, "smb": 182}


def test_it_treats_never_touched_as_due_now():
    status = cadence_status("mid_market", None, as_of=AS_OF)
    assert status.days_since is None
    assert status.next_due == AS_OF
    assert status.overdue


def test_it_takes_the_cadence_from_config():
    config = ScoringConfig.from_mapping({"cadence_days": {"enterprise": 45}})
    assert not cadence_status("enterprise", days_ago(40), as_of=AS_OF, config=config).overdue
    assert cadence_status("enterprise", days_ago(40), as_of=AS_OF).overdue


def test_it_rejects_a_touch_after_as_of_and_unknown_tiers():
    with pytest.raises(ValueError, match="after as_of"):
        cadence_status("smb", AS_OF + timedelta(days=1), as_of=AS_OF)
    with pytest.raises(ValueError, match="startup"):
        cadence_status("startup", None, as_of=AS_OF)


def test_it_lists_the_enterprise_one_on_one_before_the_qbr():
    last_touch, last_qbr = days_ago(10), days_ago(40)
    points = next_touchpoints("enterprise", last_touch, last_qbr, as_of=AS_OF)
    assert [p.event for p in points] == ["one_on_one", "qbr"]
    assert points[0].due == last_touch + timedelta(days=30)
    assert points[1].due == last_qbr + timedelta(days=91)
    assert all(isinstance(p, Touchpoint) and not p.overdue(AS_OF) for p in points)


def test_it_lets_an_earlier_review_stand_in_for_the_check_in():
    # SMB: the business review due in 82 days comes before the check-in due in 172 days.
    last_touch, last_review = days_ago(10), days_ago(100)
    points = next_touchpoints("smb", last_touch, last_review, as_of=AS_OF)
    assert [(p.event, p.due) for p in points] == [("business_review", last_review + timedelta(days=182))]


def test_it_schedules_mid_market_qbrs_quarterly():
    last_touch, last_qbr = days_ago(80), days_ago(20)
    points = next_touchpoints("mid_market", last_touch, last_qbr, as_of=AS_OF)
    assert [(p.event, p.due) for p in points] == [
        ("strategic_checkin", last_touch + timedelta(days=91)),
        ("qbr", last_qbr + timedelta(days=91)),
    ]


def test_it_marks_overdue_touchpoints_and_never_held_reviews_as_due_now():
    points = next_touchpoints("enterprise", days_ago(45), None, as_of=AS_OF)
    checkin, qbr = points
    assert checkin.due == days_ago(15)
    assert checkin.overdue(AS_OF)
    assert "overdue by 15 days" in checkin.reason
    assert qbr.due == AS_OF
    assert "none on record" in qbr.reason


def test_it_rejects_a_review_after_as_of():
    with pytest.raises(ValueError, match="last_qbr"):
        next_touchpoints("smb", None, AS_OF + timedelta(days=3), as_of=AS_OF)
