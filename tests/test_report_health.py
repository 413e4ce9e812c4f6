"""The report's wording rules (pure): strengths, concerns, org-change impact, timeline outcomes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reports import health
from reports.health import (
    concerns,
    due_objective,
    org_change_note,
    recent_org_changes,
    strengths,
    timeline_outcome,
)
from sponsors.rules.facts import CadenceStatus, ContactFact, Finding, OrgChangeFact, SponsorActivity

AS_OF = date(2026, 11, 26)
ON_TIME = CadenceStatus(tier="enterprise", cadence_days=30, last_touch=date(2026, 11, 14), days_since=12,
                        next_due=date(2026, 12, 14))
OVERDUE = CadenceStatus(tier="enterprise", cadence_days=30, last_touch=date(2026, 9, 1), days_since=86,
                        next_due=date(2026, 10, 1))


def test_strengths_of_a_strong_sponsor():
    activity = SponsorActivity(meetings=13, outbound=4, answered=4, qbrs_attended=4, advocacy_signals=2,
                               last_touch=date(2026, 11, 14))
    assert strengths(activity=activity, qbrs_held=4, meeting_target=12, average_reply_days=1.2, cadence=ON_TIME,
                     alignment_levels=["high", "high", "low"], engaged_backups=[("Bo", "Engaged")],
                     engaged_executives=2) == (
        "Attended 4/4 QBRs",
        "Met 13 times in the last 12 months (target 12)",
        "Replies within 1.2 days on average",
        "2 referral/advocacy signals in the last 12 months",
        "Last executive touch 12 days ago, within the 30-day cadence",
        "High alignment on 2/3 initiatives",
        "Backup sponsor Bo is Engaged",
        "2 engaged executives (multi-threaded)",
    )


def test_no_strengths_just_below_each_threshold():
    activity = SponsorActivity(meetings=11, outbound=4, answered=1, qbrs_attended=2, last_touch=date(2026, 9, 1))
    assert strengths(activity=activity, qbrs_held=3, meeting_target=12, average_reply_days=3.1, cadence=OVERDUE,
                     alignment_levels=["high", "low", "medium"], engaged_executives=1) == ()
    assert strengths(activity=None, qbrs_held=0, meeting_target=12, average_reply_days=None, cadence=None) == ()


def test_concerns_are_the_findings_with_a_title():
    findings = [Finding("sponsor_departed", "critical", "Primary sponsor Jo left"),
                Finding("cadence_overdue", "medium", "Last executive touchpoint 40 days ago")]
    assert [(c.title, c.details) for c in concerns(findings)] == [
        ("Sponsor departed", "Primary sponsor Jo left"),
        ("Executive cadence overdue", "Last executive touchpoint 40 days ago"),
    ]


def test_org_change_notes_by_kind_and_state():
    sponsor = ContactFact(id=1, name="Jo Roe", title="CFO", roles=("c_level",), sponsor="primary")
    vp = ContactFact(id=2, name="Al Poe", title="VP Sales", roles=("vp",))
    departure = OrgChangeFact(id=1, kind="departure", occurred_on=date(2026, 11, 20), source="linkedin",
                              contact_id=1, headline="Jo Roe joined Contoso")
    note = org_change_note(departure, sponsor)
    assert note.change == "Jo Roe joined Contoso (LinkedIn, 2026-11-20)"
    assert note.impact.startswith("Sponsor continuity at risk")
    pending = OrgChangeFact(id=2, kind="promotion", occurred_on=date(2026, 11, 1), source="news", contact_id=2,
                            confidence=0.5, state="pending")
    note = org_change_note(pending, vp)
    assert note.change == "Promotion of Al Poe (VP Sales) (news, 2026-11-01, confidence 50%, awaiting confirmation)"
    assert note.impact == "If confirmed: more influence for Al Poe (VP Sales): re-brief on goals and value; " \
                          "a sponsor candidate"


def test_recent_changes_keep_the_last_90_days_newest_first_without_dismissed():
    mk = lambda i, day, state="confirmed": OrgChangeFact(id=i, kind="reorg", occurred_on=day, source="news",  # noqa: E731
                                                         headline=f"change {i}", state=state)
    changes = [mk(1, date(2026, 8, 28)), mk(2, date(2026, 8, 27)), mk(3, date(2026, 11, 1)),
               mk(4, date(2026, 11, 2), "dismissed"), mk(5, date(2026, 11, 27))]
    notes = recent_org_changes(changes, [], as_of=AS_OF)
    assert [n.change.split(" (")[0] for n in notes] == ["change 3", "change 1"]


def test_timeline_outcomes():
    assert timeline_outcome(direction="meeting", outcome=" Agreed ", reply_days=None) == "Agreed"
    assert timeline_outcome(direction="outbound", outcome="", reply_days=None) == "No reply"
    assert timeline_outcome(direction="outbound", outcome="", reply_days=0.4) == "Replied within a day"
    assert timeline_outcome(direction="outbound", outcome="", reply_days=2.3) == "Replied after 2.3 days"
    assert timeline_outcome(direction="inbound", outcome="", reply_days=None) == ""


def test_due_objectives_name_the_sponsors_priorities():
    assert due_objective("qbr", "QBR every 91 days", ["Growth", "Cost"]) == (
        "Review value delivered against their priorities (Growth; Cost) — QBR every 91 days")
    assert due_objective("one_on_one", "", []) == "Executive 1:1 on their priorities and the partnership"


def test_the_strengths_name_the_scoring_window_in_force():
    activity = SponsorActivity(meetings=12, advocacy_signals=1, last_touch=date(2026, 11, 20))
    default = strengths(activity=activity, qbrs_held=0, meeting_target=12, average_reply_days=None,
                               cadence=None)
    shorter = strengths(activity=activity, qbrs_held=0, meeting_target=12, average_reply_days=None,
                               cadence=None, window_days=180)
    assert "Met 12 times in the last 12 months (target 12)" in default
    assert "Met 12 times in the last 180 days (target 12)" in shorter
    assert "1 referral/advocacy signal in the last 180 days" in shorter


def test_an_unknown_level_says_why_and_other_levels_need_no_note():
    from reports.health import overall_note

    assert overall_note(level="Unknown", score=15, has_active_sponsor=False) == \
        "no active executive sponsor identified; 15/100 from other executives"
    assert overall_note(level="Unknown", score=0, has_active_sponsor=False) == "no active executive sponsor identified"
    assert overall_note(level="Unknown", score=0, has_active_sponsor=True) == \
        "no interactions recorded with the account's active executives"
    assert overall_note(level="Engaged", score=65, has_active_sponsor=True) == ""


def test_the_renewal_on_the_calendar_names_whom_to_meet_the_arr_and_a_high_risk():
    assert health.renewal_objective(sponsor="Ana Ruiz", arr=Decimal("1234567.5"), currency="EUR", risk="High") == (
        "Confirm the renewal with Ana Ruiz before this date; ARR EUR 1,234,568; executive engagement at High risk")
    assert health.renewal_objective(sponsor=None, arr=None, currency="", risk="Medium") == (
        "Confirm the renewal with an executive sponsor (none is named) before this date")
    assert health.renewal_objective(sponsor="Bo", arr=Decimal(900), currency="", risk=None) == (
        "Confirm the renewal with Bo before this date; ARR 900")


def test_a_renewal_is_urgent_within_the_days_at_high_or_critical_risk():
    assert health.renewal_urgent(30, "High", urgent_days=30) and health.renewal_urgent(0, "Critical", urgent_days=30)
    assert not health.renewal_urgent(31, "High", urgent_days=30)             # not yet
    assert not health.renewal_urgent(-1, "High", urgent_days=30)             # renewed (or lapsed) already
    assert not health.renewal_urgent(5, "Medium", urgent_days=30)            # not at risk
    assert not health.renewal_urgent(None, "Critical", urgent_days=30)       # no renewal date
