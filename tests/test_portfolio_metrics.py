"""The spec's five portfolio metrics (pure), each on clear cases on both sides of its target."""

from __future__ import annotations

from datetime import date

from reports.metrics import (
    exec_contacts,
    exec_engagement_rate,
    multi_thread_score,
    portfolio_metrics,
    qbr_exec_attendance,
    sponsor_retention,
    touchpoint_cadence_days,
)
from sponsors.rules.facts import (
    AccountEngagement,
    AccountFacts,
    CadenceStatus,
    ContactFact,
    OrgChangeFact,
    ScoreBreakdown,
    SponsorActivity,
)

AS_OF = date(2026, 11, 26)
LONG_AGO = date(2020, 1, 1)


def exec_(cid, *, sponsor=None, status="active", since=LONG_AGO, roles=("vp",)):
    return ContactFact(id=cid, name=f"Exec {cid}", title="VP", roles=roles, sponsor=sponsor, status=status,
                       in_role_since=since)


def account(aid, contacts=(), *, activity=None, qbrs=(0, 0), changes=()):
    return AccountFacts(id=aid, name=f"Account {aid}", tier="enterprise", contacts=tuple(contacts),
                        activity=activity or {}, qbrs_held=qbrs[0], qbrs_with_exec=qbrs[1],
                        org_changes=tuple(changes))


def engagement(facts, levels: dict):
    return AccountEngagement(
        account_id=facts.id, score=50, level="Passive", risk="Medium",
        sponsors=tuple(ScoreBreakdown(contact_id=cid, factors=(), level=lv, risk="Low") for cid, lv in levels.items()),
        cadence=CadenceStatus(tier="enterprise", cadence_days=30, last_touch=None, days_since=None, next_due=AS_OF),
    )


def pair(aid, levels: dict, **kw):
    facts = account(aid, [exec_(cid) for cid in levels], **kw)
    return facts, engagement(facts, levels)


def by_key(metrics):
    return {m.key: m for m in metrics}


# --- Exec Engagement Rate (> 80 %) -------------------------------------------------------

def test_engagement_rate_counts_accounts_with_an_engaged_or_champion_exec():
    pairs = [pair(i, {f"{i}a": "Engaged"}) for i in range(9)] + [pair(9, {"9a": "Passive"})]
    assert exec_engagement_rate(pairs, as_of=AS_OF) == 90.0
    m = by_key(portfolio_metrics(pairs, as_of=AS_OF))["exec_engagement_rate"]
    assert m.met is True and m.value_text == "90%" and m.target_text == ">80%"


def test_engagement_rate_below_target():
    pairs = [pair(0, {"a": "Champion"}), pair(1, {"b": "Passive"}), pair(2, {"c": "Disengaged", "d": "Unknown"})]
    m = by_key(portfolio_metrics(pairs, as_of=AS_OF))["exec_engagement_rate"]
    assert round(m.value, 1) == 33.3 and m.met is False


def test_engagement_rate_exactly_80_is_not_above_the_target():
    pairs = [pair(i, {f"{i}": "Engaged" if i < 4 else "Passive"}) for i in range(5)]
    m = by_key(portfolio_metrics(pairs, as_of=AS_OF))["exec_engagement_rate"]
    assert m.value == 80.0 and m.met is False


def test_a_departed_engaged_exec_does_not_count():
    facts = account(0, [exec_("a", status="departed")])
    assert exec_engagement_rate([(facts, engagement(facts, {"a": "Engaged"}))], as_of=AS_OF) == 0.0
    facts = account(0, [exec_("a")], changes=[OrgChangeFact(id=1, kind="departure", occurred_on=date(2026, 11, 1),
                                                          source="linkedin", contact_id="a")])
    assert exec_engagement_rate([(facts, engagement(facts, {"a": "Engaged"}))], as_of=AS_OF) == 0.0


# --- Exec Touchpoint Cadence (< 45 days) ----------------------------------------------------

def test_cadence_is_window_days_over_exec_contacts():
    # 12 meetings + 3 answered reaches = 15 contacts a year: every 365/15 = 24.3 days
    facts = account(0, [exec_("a")], activity={"a": SponsorActivity(meetings=12, outbound=5, answered=3)})
    assert exec_contacts(facts, as_of=AS_OF) == 15
    m = by_key(portfolio_metrics([(facts, engagement(facts, {"a": "Engaged"}))], as_of=AS_OF))[
        "exec_touchpoint_cadence"]
    assert round(m.value, 1) == 24.3 and m.met is True and m.target_text == "<45 days"


def test_cadence_above_target_and_silent_accounts_count_the_whole_window():
    quarterly = account(0, [exec_("a")], activity={"a": SponsorActivity(meetings=4)})       # 91.25 days
    silent = account(1, [exec_("b")])                                                       # 365 days
    assert touchpoint_cadence_days([quarterly], as_of=AS_OF) == 91.25
    assert touchpoint_cadence_days([quarterly, silent], as_of=AS_OF) == (91.25 + 365) / 2
    pairs = [(quarterly, engagement(quarterly, {"a": "Passive"}))]
    assert by_key(portfolio_metrics(pairs, as_of=AS_OF))["exec_touchpoint_cadence"].met is False


def test_cadence_ignores_non_executives_and_departed_executives():
    director = ContactFact(id="d", name="Dir", roles=("director",))
    facts = account(0, [director, exec_("x", status="departed")],
                    activity={"d": SponsorActivity(meetings=50), "x": SponsorActivity(meetings=50)})
    assert exec_contacts(facts, as_of=AS_OF) == 0


# --- QBR Exec Attendance (> 70 %) -----------------------------------------------------------

def test_qbr_attendance_pools_all_accounts():
    assert qbr_exec_attendance([account(0, qbrs=(4, 4)), account(1, qbrs=(4, 2))]) == 75.0
    assert qbr_exec_attendance([account(0, qbrs=(4, 2)), account(1, qbrs=(6, 3))]) == 50.0
    assert qbr_exec_attendance([account(0)]) is None


def test_qbr_attendance_met_and_not_met():
    good = [pair(0, {"a": "Engaged"}, qbrs=(10, 8))]
    bad = [pair(0, {"a": "Engaged"}, qbrs=(10, 7))]
    assert by_key(portfolio_metrics(good, as_of=AS_OF))["qbr_exec_attendance"].met is True
    assert by_key(portfolio_metrics(bad, as_of=AS_OF))["qbr_exec_attendance"].met is False   # 70% is not > 70%


# --- Sponsor Retention (> 85 %) ---------------------------------------------------------------

def test_retention_counts_sponsors_in_place_a_year_ago():
    sponsors = [exec_(i, sponsor="primary" if i % 2 else "backup") for i in range(10)]
    assert sponsor_retention([account(0, sponsors)], as_of=AS_OF) == 100.0
    sponsors[0] = exec_(0, sponsor="backup", status="departed")
    assert sponsor_retention([account(0, sponsors)], as_of=AS_OF) == 90.0
    sponsors[1] = exec_(1, sponsor="primary", status="departed")
    m = by_key(portfolio_metrics([(account(0, sponsors), engagement(account(0, sponsors), {}))], as_of=AS_OF))[
        "sponsor_retention"]
    assert m.value == 80.0 and m.met is False


def test_retention_leaves_out_new_sponsors_and_those_gone_before_the_year():
    new = exec_("new", sponsor="primary", since=date(2026, 6, 1))
    stayed = exec_("stayed", sponsor="backup")
    left_long_ago = exec_("old", sponsor="backup")
    left_recently = exec_("recent", sponsor="backup", roles=("executive_sponsor",))
    changes = [
        OrgChangeFact(id=1, kind="departure", occurred_on=date(2025, 6, 1), source="crm", contact_id="old"),
        OrgChangeFact(id=2, kind="departure", occurred_on=date(2026, 9, 1), source="crm", contact_id="recent"),
        OrgChangeFact(id=3, kind="departure", occurred_on=date(2026, 9, 1), source="news", contact_id="stayed",
                      state="pending"),                    # not confirmed: still counts as retained
    ]
    facts = account(0, [new, stayed, left_long_ago, left_recently], changes=changes)
    assert sponsor_retention([facts], as_of=AS_OF) == 50.0   # stayed / (stayed + recent)
    assert sponsor_retention([account(0, [new])], as_of=AS_OF) is None


# --- Multi-Thread Score (> 1.5) ----------------------------------------------------------------

def test_multi_thread_score_is_engaged_execs_per_account():
    two = pair(0, {"a": "Champion", "b": "Engaged", "c": "Passive"})
    one = pair(1, {"d": "Engaged"})
    three = pair(2, {"e": "Engaged", "f": "Engaged", "g": "Champion"})
    assert multi_thread_score([two, one, three], as_of=AS_OF) == 2.0
    assert by_key(portfolio_metrics([two, one, three], as_of=AS_OF))["multi_thread_score"].met is True
    m = by_key(portfolio_metrics([two, one], as_of=AS_OF))["multi_thread_score"]
    assert m.value == 1.5 and m.met is False and m.value_text == "1.5 execs" and m.target_text == ">1.5 execs"
    single = by_key(portfolio_metrics([one], as_of=AS_OF))["multi_thread_score"]
    assert single.value == 1 and single.value_text == "1 exec"


def test_an_empty_portfolio_has_no_data_rather_than_made_up_numbers():
    metrics = portfolio_metrics([], as_of=AS_OF)
    assert [m.label for m in metrics] == ["Exec Engagement Rate", "Exec Touchpoint Cadence", "QBR Exec Attendance",
                                          "Sponsor Retention", "Multi-Thread Score"]
    assert all(m.value is None and m.met is None and m.value_text == "no data" for m in metrics)
