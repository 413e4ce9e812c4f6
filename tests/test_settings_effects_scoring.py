"""Every ``EXEC_SPONSOR_SCORING`` key changes what the product computes: import the snapshot, recompute
the scores (the real service), read the stored snapshots (or the report built from the database).

Expected values are worked out by hand in ``tests/settings_effects_support.py``'s docstring; each test
first checks the default, then the override.  ``cadence_days`` is in ``tests/test_issue8_bugs.py``."""

from __future__ import annotations

from datetime import date

import pytest

from reports.builder import build_sponsor_report

from .settings_effects_support import AS_OF, account, covers, factors, import_document, scores

pytestmark = pytest.mark.django_db


@covers("scoring", "window_days")
def test_window_days(document, settings):
    import_document(document)
    before = scores()
    assert before["c_1"].score == 66
    assert factors(before["c_1"])["qbr_attendance"] == (25, "1/1 QBRs")

    # 30 days: the window starts 2026-10-22, so the QBR of 2026-10-01 falls out of it.
    settings.EXEC_SPONSOR_SCORING = {"window_days": 30}
    after = scores()

    assert factors(after["c_1"]) == {
        "meeting_frequency": (2, "Target 12: Actual 1"),          # 25 x 1/12
        "responsiveness": (12, "no outreach to answer"),
        "qbr_attendance": (0, "0/0 QBRs (none held)"),
        "strategic_alignment": (25, "High on 1/1 initiatives; goals 100% on track; 1/1 own priorities addressed"),
    }
    assert (after["c_1"].score, after["c_1"].level) == (39, "Passive")
    assert after[None].score == 45                                  # 0.5 x 39 + 0.5 x 50 = 44.5, half up


@covers("scoring", "meeting_targets")
def test_meeting_targets(document, settings):
    import_document(document)
    before = scores()
    assert factors(before["c_1"])["meeting_frequency"] == (4, "Target 12: Actual 2")
    assert before["c_1"].level == "Engaged"

    settings.EXEC_SPONSOR_SCORING = {"meeting_targets": {"enterprise": 2}}
    after = scores()

    assert factors(after["c_1"])["meeting_frequency"] == (25, "Target 2: Actual 2")
    # 25 + 12 + 25 + 25 = 87 >= 80 with a QBR attended (an advocacy signal): Champion.
    assert (after["c_1"].score, after["c_1"].level) == (87, "Champion")
    assert factors(after["c_2"])["meeting_frequency"] == (0, "Target 2: Actual 0")


@covers("scoring", "reply_cap_days")
def test_reply_cap_days(document, settings):
    import_document(document)
    assert factors(scores()["c_2"])["responsiveness"] == (25, "avg 1.1 days to respond")

    settings.EXEC_SPONSOR_SCORING = {"reply_cap_days": 2.0}
    after = scores()

    # 25 x (2 - 1.0625) / (2 - 1) = 23.4
    assert factors(after["c_2"])["responsiveness"] == (23, "avg 1.1 days to respond")
    assert after["c_2"].score == 48


@covers("scoring", "reply_grace_days")
def test_reply_grace_days(document, settings):
    import_document(document)
    assert factors(scores()["c_2"])["responsiveness"][0] == 25

    settings.EXEC_SPONSOR_SCORING = {"reply_grace_days": 0.5}
    after = scores()

    # 25 x (14 - 1.0625) / (14 - 0.5) = 23.96
    assert factors(after["c_2"])["responsiveness"] == (24, "avg 1.1 days to respond")
    assert after["c_2"].score == 49


@covers("scoring", "no_outreach_points")
def test_no_outreach_points(document, settings):
    import_document(document)
    assert factors(scores()["c_1"])["responsiveness"] == (12, "no outreach to answer")

    settings.EXEC_SPONSOR_SCORING = {"no_outreach_points": 20}
    after = scores()

    assert factors(after["c_1"])["responsiveness"] == (20, "no outreach to answer")
    assert after["c_1"].score == 74                                 # 4 + 20 + 25 + 25


@covers("scoring", "champion_band")
def test_champion_band(document, settings):
    import_document(document)
    assert scores()["c_1"].level == "Engaged"                       # 66 < 80

    settings.EXEC_SPONSOR_SCORING = {"champion_band": 65}
    after = scores()

    assert after["c_1"].level == "Champion"
    assert after["c_1"].breakdown["reasons"] == [
        "Score 66 >= 65 with advocacy in the last 365 days (1 QBR(s) attended)"]
    assert after[None].level == "Passive"                           # the account's 58 is no Champion


@covers("scoring", "engaged_band")
def test_engaged_band(document, settings):
    import_document(document)
    before = scores()
    assert (before["c_2"].level, before[None].level) == ("Passive", "Passive")

    settings.EXEC_SPONSOR_SCORING = {"engaged_band": 50}
    after = scores()

    assert after["c_2"].level == "Engaged"                          # 50 >= 50
    assert after["c_2"].breakdown["reasons"] == ["Score 50 is in the Engaged band (50+)"]
    assert after[None].level == "Engaged"                           # 58 >= 50


@covers("scoring", "passive_band")
def test_passive_band(document, settings):
    import_document(document)
    assert scores()["c_2"].level == "Passive"

    settings.EXEC_SPONSOR_SCORING = {"passive_band": 55}
    after = scores()

    assert after["c_2"].level == "Disengaged"                       # 50 < 55
    assert after["c_2"].breakdown["reasons"] == ["Score 50 is below the Passive band (55)"]
    assert after[None].level == "Passive"                           # 58 >= 55


@covers("scoring", "no_direct_contact_days")
def test_no_direct_contact_days(document, settings):
    import_document(document)
    assert scores()["c_1"].level == "Engaged"

    settings.EXEC_SPONSOR_SCORING = {"no_direct_contact_days": 10}
    after = scores()

    assert after["c_1"].level == "Disengaged"                       # last met 2026-11-03: 17 days > 10
    assert after["c_1"].breakdown["reasons"] == ["No direct contact for 17 days (limit 10)"]
    assert after["c_2"].level == "Passive"                          # replied 2026-11-11: 9 days <= 10


@covers("scoring", "review_days")
def test_review_days(document, settings):
    import_document(document)

    def calendar():
        report = build_sponsor_report(account=account(), as_of=AS_OF)
        return [(row.date, row.event) for row in report.calendar if row.event != "Contract renewal"]   # 2027-01-31

    # Default: the next QBR is due 91 days after the last one (2026-10-01), and the executive 1:1
    # one cadence (30 days) after the last executive touch (2026-11-11), before that QBR.
    assert calendar() == [(date(2026, 12, 11), "1:1"), (date(2026, 12, 31), "QBR")]

    settings.EXEC_SPONSOR_SCORING = {"review_days": {"enterprise": 60}}

    # 60 days after 2026-10-01; the QBR now comes first and is itself the executive touchpoint.
    assert calendar() == [(date(2026, 11, 30), "QBR")]


@covers("scoring", "review_types")
def test_review_types(document, settings):
    import_document(document)
    assert factors(scores()["c_1"])["qbr_attendance"] == (25, "1/1 QBRs")

    settings.EXEC_SPONSOR_SCORING = {"review_types": ["business_review"]}
    after = scores()

    # The QBR no longer counts as a business review (it still counts as a meeting).
    assert factors(after["c_1"])["qbr_attendance"] == (0, "0/0 QBRs (none held)")
    assert factors(after["c_1"])["meeting_frequency"] == (4, "Target 12: Actual 2")
    assert (after["c_1"].score, after["c_1"].level) == (41, "Passive")


@covers("scoring", "alignment_values")
def test_alignment_values(document, settings):
    import_document(document)
    assert factors(scores()["c_1"])["strategic_alignment"][0] == 25

    settings.EXEC_SPONSOR_SCORING = {"alignment_values": {"high": 0.5}}
    after = scores()

    # Priya: 0.5 x 0.5 + 0.3 x 1 + 0.2 x 1 = 0.75 -> 18.75; Marcus: (0.25 + 0.3) / 0.8 -> 17.19
    assert factors(after["c_1"])["strategic_alignment"][0] == 19
    assert factors(after["c_2"])["strategic_alignment"][0] == 17
    assert after["c_1"].score == 60


@covers("scoring", "goal_status_values")
def test_goal_status_values(document, settings):
    import_document(document)
    assert factors(scores()["c_1"])["strategic_alignment"] == (
        25, "High on 1/1 initiatives; goals 100% on track; 1/1 own priorities addressed")

    settings.EXEC_SPONSOR_SCORING = {"goal_status_values": {"on_track": 0.5}}
    after = scores()

    # 0.5 x 1 + 0.3 x 0.5 + 0.2 x 1 = 0.85 -> 21.25
    assert factors(after["c_1"])["strategic_alignment"] == (
        21, "High on 1/1 initiatives; goals 50% on track; 1/1 own priorities addressed")


@covers("scoring", "alignment_weights")
def test_alignment_weights(document, settings):
    document["accounts"][0]["account"]["goals"][0]["status"] = "at_risk"     # goals part 0.5
    import_document(document)
    # 0.5 x 1 + 0.3 x 0.5 + 0.2 x 1 = 0.85 -> 21.25
    assert factors(scores()["c_1"])["strategic_alignment"][0] == 21

    settings.EXEC_SPONSOR_SCORING = {"alignment_weights": {"goals": 0.0}}
    after = scores()

    # Goals weigh nothing: (0.5 x 1 + 0.2 x 1) / 0.7 = 1 -> 25.
    assert factors(after["c_1"])["strategic_alignment"][0] == 25


@covers("scoring", "primary_weight")
def test_primary_weight(document, settings):
    import_document(document)
    before = scores()[None]
    assert (before.score, before.level) == (58, "Passive")
    assert before.breakdown["method"] == ("50% primary sponsor Priya Natarajan (66) + 50% mean of 1 other "
                                          "active executive(s) (50) = 58")

    settings.EXEC_SPONSOR_SCORING = {"primary_weight": 0.75}
    after = scores()[None]

    # 0.75 x 66 + 0.25 x 50 = 62
    assert (after.score, after.level) == (62, "Engaged")
    assert after.breakdown["method"] == ("75% primary sponsor Priya Natarajan (66) + 25% mean of 1 other "
                                         "active executive(s) (50) = 62")

