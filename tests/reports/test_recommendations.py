from __future__ import annotations

import string

import pytest

from accounts.vocabulary import HORIZONS
from reports.recommendations import (
    ALL_CLEAR,
    CONDITIONS,
    RULES,
    RecommendationContext,
    _placeholders,
    recommend,
)
from reports.report import AlignmentRow
from sponsors.rules.alert_codes import ALERT_CODES
from sponsors.rules.config import ConfigError, RulesConfig
from sponsors.rules.facts import Finding

CTX = RecommendationContext(
    account_name="Acme Corp", tier="enterprise", primary_name="Jane Roe",
    communication_preference="Email", backup_names=("Dana Smith",),
)


def finding(code, message="details here", severity="medium"):
    return Finding(code=code, severity=severity, message=message)


def flat(recs):
    return [(h, r.action, r.reason) for h, group in recs.by_horizon() for r in group]


def test_every_rule_key_is_known_and_every_template_formats():
    known = set(ALERT_CODES) | set(CONDITIONS) | {ALL_CLEAR}
    values = _placeholders(CTX, RulesConfig())
    for rule in RULES:
        assert rule.when in known, rule
        assert rule.horizon in HORIZONS
        assert set(rule.unless) <= known
        for template in (rule.action, rule.reason):
            fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
            assert fields <= set(values), (rule, fields)


@pytest.mark.parametrize("code, horizon, action_part", [
    ("no_sponsor", "immediate", "Identify an executive sponsor for Acme Corp this week"),
    ("sponsor_departed", "immediate", "Meet Dana Smith this week"),
    ("sponsor_departed", "short_term", "Brief the new sponsor"),
    ("no_exec_contact_90d", "immediate", "Book the next 1:1 with Jane Roe via Email"),
    ("cadence_overdue", "immediate", "Book the next 1:1 with Jane Roe via Email"),
    ("no_backup_sponsor", "short_term", "Name a backup sponsor next to Jane Roe"),
    ("sponsor_disengaged", "short_term", "Run a re-engagement plan with Jane Roe"),
    ("single_threaded", "strategic", "Multi-thread: build a relationship with a second executive"),
    ("operational_exec_contact", "immediate", "Route operational issues"),
    ("org_change", "short_term", "Review the org change"),
])
def test_each_code_maps_to_its_action_with_a_reason(code, horizon, action_part):
    recs = recommend([finding(code)], CTX)
    matches = [r for r in getattr(recs, horizon) if action_part in r.action]
    assert len(matches) == 1, flat(recs)
    assert matches[0].reason
    assert matches[0].code == code
    # something is wrong: no "all clear" default
    assert all(r.code != ALL_CLEAR for _, g in recs.by_horizon() for r in g)


def test_qbr_without_exec_and_low_alignment_come_from_the_context():
    ctx = RecommendationContext(
        primary_name="Jane Roe", last_qbr_without_exec=True,
        alignment=(AlignmentRow("Portal", "Supplier consolidation", "high"),
                   AlignmentRow("AI forecasting", "Inventory accuracy", "low")),
    )
    recs = recommend([], ctx)
    actions = [r.action for r in recs.short_term]
    assert actions == [
        "Invite Jane Roe personally to the next QBR",
        "Map their priority \"Inventory accuracy\" to a concrete initiative with Jane Roe",
    ]
    assert "AI forecasting" in recs.short_term[1].reason
    assert recs.strategic == ()


def test_it_deduplicates_and_merges_reasons():
    recs = recommend([
        finding("cadence_overdue", "last touch 75 days ago"),
        finding("no_exec_contact_90d", "x"),
        finding("cadence_overdue", "last touch 75 days ago"),
        finding("no_backup_sponsor"),
        finding("no_backup_sponsor"),
    ], CTX)
    assert [r.action for r in recs.immediate] == ["Book the next 1:1 with Jane Roe via Email"]
    reason = recs.immediate[0].reason
    assert reason.count("No executive contact in the last 90 days") == 1
    assert reason.count("last touch 75 days ago") == 1
    assert len(recs.short_term) == 1


def test_order_is_stable_whatever_the_finding_order():
    codes = ["single_threaded", "no_backup_sponsor", "sponsor_departed", "cadence_overdue",
             "operational_exec_contact"]
    a = recommend([finding(c) for c in codes], CTX)
    b = recommend([finding(c) for c in reversed(codes)], CTX)
    assert flat(a) == flat(b)
    assert [r.code for r in a.immediate] == [
        "sponsor_departed", "operational_exec_contact", "cadence_overdue"]


def test_no_sponsor_suppresses_sponsor_specific_actions():
    recs = recommend([finding("no_sponsor"), finding("cadence_overdue"),
                      finding("sponsor_disengaged")], RecommendationContext())
    actions = [a for _, a, _ in flat(recs)]
    assert actions == ["Identify an executive sponsor for the account this week"]


def test_nothing_wrong_gives_the_strategic_default():
    recs = recommend([], CTX)
    assert recs.immediate == () and recs.short_term == ()
    assert [(r.action, r.code) for r in recs.strategic] == [
        ("Keep the monthly executive cadence with Jane Roe", ALL_CLEAR)]
    assert recs.strategic[0].reason


def test_unknown_codes_are_ignored_but_still_count_as_something_wrong():
    recs = recommend([finding("not_a_code")], CTX)
    assert len(recs) == 0


def test_a_departed_primary_without_a_backup_names_a_remaining_executive_never_a_placeholder():
    departed = [finding("sponsor_departed", "Primary sponsor Pat left")]
    ctx = RecommendationContext(account_name="Acme Corp", tier="enterprise", remaining_executives=("Grace Holt",))
    actions = [a for _h, a, _r in flat(recommend(departed, ctx))]
    assert "Meet Grace Holt this week to secure continuity" in actions
    assert not any("most senior remaining executive" in a for a in actions)


def test_with_no_executive_left_there_is_nobody_to_meet_and_the_action_is_to_find_a_sponsor():
    findings = [finding("sponsor_departed", "Primary sponsor Pat left"), finding("no_sponsor", "none")]
    actions = [a for _h, a, _r in flat(recommend(findings, RecommendationContext(account_name="Acme Corp",
                                                                                   tier="enterprise")))]
    assert not any(a.startswith("Meet ") for a in actions)
    assert "Identify an executive sponsor for Acme Corp this week" in actions


@pytest.mark.parametrize(("days", "risk", "horizon"), [
    (11, "High", "immediate"), (0, "Critical", "immediate"), (30, "High", "immediate"),
    (31, "High", "short_term"), (90, "Critical", "short_term"),
    (91, "High", None), (11, "Medium", None), (-3, "High", None), (None, "Critical", None),
])
def test_a_renewal_at_risk_asks_for_the_renewal_conversation_sooner_the_closer_it_is(days, risk, horizon):
    ctx = RecommendationContext(account_name="Acme Corp", tier="smb", primary_name="Jane Roe", risk=risk,
                                renewal_date="2026-12-09", renewal_in_days=days)
    found = [(h, a, r) for h, a, r in flat(recommend([finding("sponsor_disengaged")], ctx))
             if "renewal" in a.lower()]
    if horizon is None:
        assert found == []
        return
    [(h, action, reason)] = found
    assert h == horizon and "Jane Roe" in action and "2026-12-09" in action
    assert reason == f"Renewal in {days} days while executive engagement is at {risk} risk"


def test_the_renewal_action_names_whom_to_meet_when_there_is_no_primary_and_nobody_when_nobody_is_left():
    findings = [finding("no_sponsor")]
    backup = RecommendationContext(account_name="Acme Corp", backup_names=("Dana Smith",), risk="Critical",
                                   renewal_date="2026-12-09", renewal_in_days=11)
    actions = [a for _h, a, _r in flat(recommend(findings, backup))]
    assert any(a.startswith("Meet Dana Smith before the renewal on 2026-12-09") for a in actions), actions
    nobody = RecommendationContext(account_name="Acme Corp", risk="Critical", renewal_date="2026-12-09",
                                   renewal_in_days=11)
    assert not any("renewal" in a for _h, a, _r in flat(recommend(findings, nobody)))


def test_the_renewal_windows_are_settings_and_the_watch_window_cannot_be_the_shorter():
    config = RulesConfig.build(report={"renewal_urgent_days": 7, "renewal_watch_days": 14})
    ctx = RecommendationContext(primary_name="Jane Roe", risk="High", renewal_date="2026-12-09", renewal_in_days=11)
    assert [h for h, a, _r in flat(recommend([], ctx, config=config)) if "renewal" in a] == ["short_term"]
    with pytest.raises(ConfigError, match="renewal_watch_days \\(5\\) must be at least renewal_urgent_days"):
        RulesConfig.build(report={"renewal_urgent_days": 7, "renewal_watch_days": 5})
