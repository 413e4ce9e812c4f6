"""Guardrail rules: pure functions of hand-built facts (no database, no clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.vocabulary import (
    CONTACT_ROLES,
    ENGAGEMENT_LEVELS,
    ORG_CHANGE_KINDS,
    SEVERITIES,
    TIERS,
    lower_severity,
    severity_rank,
)
from sponsors.rules.config import ConfigError, GuardrailConfig, RulesConfig
from sponsors.rules.facts import (
    AccountEngagement,
    AccountFacts,
    CadenceStatus,
    ContactFact,
    FactorScore,
    OrgChangeFact,
    ScoreBreakdown,
)
from sponsors.rules.guardrails import ORG_CHANGE_SEVERITY, evaluate_account, sort_findings
from sponsors.rules.outreach import PlannedOutreach, check_touchpoint, conflict_message, outreach_conflicts
from sponsors.rules.triage import (
    change_fingerprint,
    is_trivial_company_rename,
    is_trivial_title_change,
    needs_confirmation,
)

DEFAULT_CONFIG = GuardrailConfig()

AS_OF = date(2025, 6, 30)


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


# --- configuration ----------------------------------------------------------------------


def test_it_has_the_documented_defaults():
    c = GuardrailConfig()
    assert c.enterprise_no_contact_days == 90
    assert dict(RulesConfig().scoring.cadence_days) == {"enterprise": 30, "mid_market": 91, "smb": 182}
    assert (c.score_drop_points, c.score_drop_days) == (15, 30)
    assert c.org_change_window_days == 90
    assert c.low_confidence_threshold == 0.7
    assert c.outreach_conflict_days == 7
    assert c.departure_response_days == 2


def test_it_overrides_from_a_settings_mapping():
    c = GuardrailConfig.from_mapping({"outreach_conflict_days": 10})
    assert c.outreach_conflict_days == 10
    assert c.enterprise_no_contact_days == 90


def test_the_cadence_is_set_once_in_the_scoring_section():
    # It used to be in both sections: overriding one made the portfolio and the alerts disagree.
    with pytest.raises(ConfigError, match="EXEC_SPONSOR_GUARDRAILS: unknown key 'cadence_days'"):
        GuardrailConfig.from_mapping({"cadence_days": {"smb": 120}})
    rules = RulesConfig.build(scoring={"cadence_days": {"smb": 120}})
    assert rules.cadence_days("smb") == 120 and rules.cadence_days("enterprise") == 30


def test_it_accepts_an_empty_or_missing_mapping():
    assert GuardrailConfig.from_mapping({}) == DEFAULT_CONFIG
    assert GuardrailConfig.from_mapping(None) == DEFAULT_CONFIG


def test_it_names_an_unknown_setting():
    with pytest.raises(ValueError, match="outreach_conflict_dayz"):
        GuardrailConfig.from_mapping({"outreach_conflict_dayz": 3})


def test_it_names_an_unknown_tier_in_the_cadence():
    with pytest.raises(ValueError, match="strategic"):
        RulesConfig.build(scoring={"cadence_days": {"strategic": 14}})


def test_it_rejects_negative_thresholds():
    with pytest.raises(ValueError, match="departure_response_days"):
        GuardrailConfig.from_mapping({"departure_response_days": -1})


def test_its_cadence_cannot_be_mutated():
    with pytest.raises(TypeError):
        RulesConfig().scoring.cadence_days["smb"] = 1


# --- severities -------------------------------------------------------------------------


def test_it_ranks_severities():
    ranks = [severity_rank(s) for s in ("low", "medium", "high", "critical")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4


def test_it_rejects_an_unknown_severity():
    with pytest.raises(ValueError, match="urgent"):
        severity_rank("urgent")


@pytest.mark.parametrize(
    ("sev", "lower"),
    [("critical", "high"), ("high", "medium"), ("medium", "low"), ("low", "low")],
)
def test_it_lowers_a_severity_one_step(sev, lower):
    assert lower_severity(sev) == lower


# --- org-change triage ------------------------------------------------------------------


def change(**kw) -> OrgChangeFact:
    base = {"id": 1, "kind": "departure", "occurred_on": days_ago(5), "source": "linkedin", "contact_id": 1}
    return OrgChangeFact(**{**base, **kw})


@pytest.mark.parametrize(("confidence", "expected"), [(0.69, True), (0.7, False), (0.95, False)])
def test_it_asks_a_csm_to_confirm_low_confidence_changes(confidence, expected):
    assert needs_confirmation(change(confidence=confidence), config=DEFAULT_CONFIG) is expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("VP Sales", "Vice President, Sales"),
        ("VP Sales", "Vice President of Sales"),
        ("CFO", "Chief Financial Officer"),
        ("Sr. Director", "Senior Director"),
        ("SVP Engineering", "Senior Vice President, Engineering"),
        ("vp sales", "VP  SALES"),
        ("VP Sales & Marketing", "VP Sales and Marketing"),
        ("Head of IT", "Head of Information Technology"),
        ("VP-Sales", "VP Sales."),
    ],
)
def test_it_sees_a_reworded_title_as_trivial(old, new):
    assert is_trivial_title_change(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("VP Sales", "CEO"),
        ("VP Sales", "VP Marketing"),
        ("VP Sales", "SVP Sales"),
        ("Director", "Senior Director"),
        ("VP Sales", "VP Sales Operations"),
        ("Sales VP", "VP Sales"),
    ],
)
def test_it_sees_a_real_title_change(old, new):
    assert not is_trivial_title_change(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Acme", "Acme Inc."),
        ("Acme Corp", "ACME Corporation"),
        ("Acme, Inc.", "Acme Incorporated"),
        ("Acme Ltd", "Acme Limited"),
        ("The Acme Company", "Acme"),
        ("Acme GmbH", "ACME"),
        ("Smith & Sons", "Smith and Sons, LLC"),
        ("Acme S.A.", "Acme SA"),
    ],
)
def test_it_sees_a_legal_form_rename_as_trivial(old, new):
    assert is_trivial_company_rename(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Acme", "Contoso"),
        ("Acme", "Acme Robotics"),
        ("Acme Inc.", "Globex Inc."),
        ("Corp", "Company"),  # a suffix alone is the name, not a legal form
    ],
)
def test_it_sees_a_real_company_rename(old, new):
    assert not is_trivial_company_rename(old, new)


def test_it_fingerprints_rewordings_of_the_same_change_alike():
    a = change_fingerprint("role_change", 7, "VP Sales", "Chief Revenue Officer")
    b = change_fingerprint("role_change", 7, "vp of sales", "CRO")
    assert a == b


def test_it_fingerprints_company_renames_by_their_name_without_legal_form():
    a = change_fingerprint("acquisition", None, "Acme Inc.", "Contoso")
    b = change_fingerprint("acquisition", None, "ACME Corporation", "Contoso, Ltd.")
    assert a == b


@pytest.mark.parametrize(
    "other",
    [
        ("promotion", 7, "VP Sales", "Chief Revenue Officer"),   # another kind
        ("role_change", 8, "VP Sales", "Chief Revenue Officer"),  # another contact
        ("role_change", 7, "VP Sales", "VP Marketing"),           # another new value
        ("role_change", 7, "Chief Revenue Officer", "VP Sales"),  # the other direction
    ],
)
def test_it_fingerprints_different_changes_differently(other):
    assert change_fingerprint("role_change", 7, "VP Sales", "Chief Revenue Officer") != change_fingerprint(*other)


def test_it_treats_numeric_and_string_contact_ids_alike_in_fingerprints():
    assert change_fingerprint("promotion", 7, "a", "b") == change_fingerprint("promotion", "7", "a", "b")


# --- evaluate_account: a named cast -----------------------------------------------------
#
# Acme is an enterprise account with a primary sponsor (Pat, CFO), a backup sponsor (Bo, VP)
# and a director (Dee, not an executive); the last executive touch was 10 days ago and both
# sponsors score Engaged.  Each test changes one thing and looks at one code.

PAT, BO, DEE, VIC = 1, 2, 3, 4


def person(id, name, *, roles=("vp",), sponsor=None, status="active", title="") -> ContactFact:
    return ContactFact(id=id, name=name, title=title, roles=roles, sponsor=sponsor, status=status)


def pat(**kw) -> ContactFact:
    return person(PAT, "Pat Primary", roles=("c_level",), sponsor="primary", title="CFO", **kw)


def bo(**kw) -> ContactFact:
    return person(BO, "Bo Backup", roles=("vp",), sponsor="backup", title="VP Sales", **kw)


def dee(**kw) -> ContactFact:
    return person(DEE, "Dee Director", roles=("director",), title="Director of IT", **kw)


def vic(**kw) -> ContactFact:
    return person(VIC, "Vic Vee", roles=("vp",), title="VP Marketing", **kw)


def account(*, tier="enterprise", contacts=None, last_touch=10, **kw) -> AccountFacts:
    return AccountFacts(
        id=100,
        name="Acme",
        tier=tier,
        contacts=(pat(), bo(), dee()) if contacts is None else tuple(contacts),
        last_exec_touch=None if last_touch is None else days_ago(last_touch),
        **kw,
    )


def breakdown(contact_id, level="Engaged", score=70) -> ScoreBreakdown:
    factor = FactorScore(key="meeting_frequency", label="Meeting Frequency", score=score, note="")
    return ScoreBreakdown(contact_id=contact_id, factors=(factor,), level=level, risk="Low")


def engagement(*breakdowns) -> AccountEngagement:
    if not breakdowns:
        breakdowns = (breakdown(PAT), breakdown(BO))
    cadence = CadenceStatus(tier="enterprise", cadence_days=30, last_touch=days_ago(10), days_since=10,
                            next_due=days_ago(10) + timedelta(days=30))
    return AccountEngagement(account_id=100, score=70, level="Engaged", risk="Low",
                             sponsors=tuple(breakdowns), cadence=cadence)


def evaluate(facts, eng="default", **kw):
    return evaluate_account(facts, engagement() if eng == "default" else eng, as_of=AS_OF, **kw)


def having(findings, code):
    return [f for f in findings if f.code == code]


def one(findings, code):
    found = having(findings, code)
    assert len(found) == 1, [f.code for f in findings]
    return found[0]


def test_it_finds_nothing_on_a_healthy_account():
    assert evaluate(account()) == []


# no_sponsor


def test_it_flags_an_account_without_any_sponsor():
    found = one(evaluate(account(contacts=[vic(), dee()]), None), "no_sponsor")
    assert found.severity == "critical"
    assert "Acme" in found.message
    assert found.subject == ""


def test_it_counts_the_executive_sponsor_role_as_a_sponsor():
    champion = person(VIC, "Vic Vee", roles=("executive_sponsor",))
    assert having(evaluate(account(contacts=[champion]), None), "no_sponsor") == []


def test_it_does_not_count_a_departed_sponsor():
    findings = evaluate(account(contacts=[pat(status="departed"), dee()]), None)
    assert one(findings, "no_sponsor").details["departed_sponsors"] == ["Pat Primary"]


# no_exec_contact_90d (guardrail 1)


@pytest.mark.parametrize("days", [0, 89, 90])
def test_it_accepts_an_enterprise_exec_contact_within_90_days(days):
    assert having(evaluate(account(last_touch=days)), "no_exec_contact_90d") == []


@pytest.mark.parametrize("days", [91, 92, 400])
def test_it_flags_an_enterprise_account_without_exec_contact_for_over_90_days(days):
    found = one(evaluate(account(last_touch=days)), "no_exec_contact_90d")
    assert found.severity == "high"
    assert f"for {days} days (enterprise limit 90)" in found.message
    assert "Acme" in found.message
    assert found.details["days_since"] == days
    assert found.details["last_exec_touch"] == days_ago(days).isoformat()


def test_it_flags_an_enterprise_account_never_touched():
    found = one(evaluate(account(last_touch=None)), "no_exec_contact_90d")
    assert found.details["days_since"] is None
    assert "on record" in found.message


@pytest.mark.parametrize("tier", ["mid_market", "smb"])
def test_it_applies_the_90_day_rule_to_enterprise_only(tier):
    assert having(evaluate(account(tier=tier, last_touch=92)), "no_exec_contact_90d") == []


def test_it_reads_the_90_day_limit_from_the_config():
    config = RulesConfig.build(guardrails={"enterprise_no_contact_days": 60})
    assert one(evaluate(account(last_touch=61), config=config), "no_exec_contact_90d")
    assert having(evaluate(account(last_touch=60), config=config), "no_exec_contact_90d") == []


# cadence_overdue


@pytest.mark.parametrize(
    ("tier", "days"),
    [("enterprise", 30), ("mid_market", 91), ("smb", 182), ("smb", 0)],
)
def test_it_accepts_a_touchpoint_within_the_tier_cadence(tier, days):
    assert having(evaluate(account(tier=tier, last_touch=days)), "cadence_overdue") == []


@pytest.mark.parametrize(
    ("tier", "cadence", "days", "severity"),
    [
        ("enterprise", 30, 31, "medium"),
        ("enterprise", 30, 60, "medium"),
        ("enterprise", 30, 61, "high"),
        ("mid_market", 91, 92, "medium"),
        ("mid_market", 91, 182, "medium"),
        ("mid_market", 91, 183, "high"),
        ("smb", 182, 183, "medium"),
        ("smb", 182, 364, "medium"),
        ("smb", 182, 365, "high"),
    ],
)
def test_it_flags_an_overdue_touchpoint_and_raises_it_past_twice_the_cadence(tier, cadence, days, severity):
    found = one(evaluate(account(tier=tier, last_touch=days)), "cadence_overdue")
    assert found.severity == severity
    assert f"{days} days since the last one" in found.message
    assert f"cadence {cadence} days" in found.message
    assert found.details["cadence_days"] == cadence
    assert found.details["days_since"] == days


@pytest.mark.parametrize("tier", ["enterprise", "mid_market", "smb"])
def test_it_flags_a_never_touched_account_as_high(tier):
    found = one(evaluate(account(tier=tier, last_touch=None)), "cadence_overdue")
    assert found.severity == "high"
    assert found.details["days_since"] is None


def test_it_reads_the_cadence_from_the_config():
    config = RulesConfig.build(scoring={"cadence_days": {"smb": 100}})
    assert one(evaluate(account(tier="smb", last_touch=101), config=config), "cadence_overdue")


def test_it_rejects_an_unknown_tier():
    with pytest.raises(ValueError, match="strategic"):
        evaluate(account(tier="strategic"))


# no_backup_sponsor (guardrail 2)


def test_it_accepts_an_account_with_an_active_backup():
    assert having(evaluate(account()), "no_backup_sponsor") == []


def test_it_flags_a_missing_backup_sponsor():
    found = one(evaluate(account(contacts=[pat(), vic()])), "no_backup_sponsor")
    assert found.severity == "medium"
    assert "Acme" in found.message and "Pat Primary" in found.message


def test_an_account_with_no_sponsor_at_all_is_one_critical_alert_not_also_a_missing_backup():
    findings = evaluate(account(contacts=[vic()]))
    assert one(findings, "no_sponsor").severity == "critical"
    assert having(findings, "no_backup_sponsor") == []
    # its only sponsor left: the departure (escalated) and no sponsor; the missing backup is the same gap
    codes = {f.code for f in evaluate(account(contacts=[pat(status="departed"), vic()]))}
    assert {"sponsor_departed", "no_sponsor"} <= codes and "no_backup_sponsor" not in codes
    # an executive carrying the executive_sponsor role is a sponsor: then the backup is what is missing
    named = evaluate(account(contacts=[person(VIC, "Vic Vee", roles=("executive_sponsor", "vp"))]))
    assert having(named, "no_sponsor") == [] and one(named, "no_backup_sponsor").message == (
        "No active backup sponsor at Acme")


def test_it_flags_a_departed_backup_as_missing():
    findings = evaluate(account(contacts=[pat(), bo(status="departed")]))
    assert one(findings, "no_backup_sponsor").details["departed_backup_sponsors"] == ["Bo Backup"]
    assert one(findings, "sponsor_departed").contact_id == BO


def test_it_accepts_a_second_backup_when_one_departed():
    second = person(VIC, "Vic Vee", sponsor="backup")
    findings = evaluate(account(contacts=[pat(), bo(status="departed"), second]))
    assert having(findings, "no_backup_sponsor") == []
    assert one(findings, "sponsor_departed").contact_id == BO


# sponsor_departed (guardrail 6)


def departure(contact_id=PAT, *, days=3, id=50, **kw) -> OrgChangeFact:
    return OrgChangeFact(id=id, kind="departure", occurred_on=days_ago(days), source="linkedin",
                         contact_id=contact_id, headline="Left the company", **kw)


def test_it_escalates_a_primary_sponsor_marked_departed():
    found = one(evaluate(account(contacts=[pat(status="departed"), bo()])), "sponsor_departed")
    assert found.severity == "critical"
    assert found.escalate is True
    assert found.subject == f"contact:{PAT}"
    assert found.contact_id == PAT
    assert "Pat Primary" in found.message and "Acme" in found.message
    due = (AS_OF + timedelta(days=2)).isoformat()
    assert found.details["due_on"] == due
    assert due in found.message
    assert found.details["backup_sponsors"] == ["Bo Backup"]


def test_it_plans_the_succession_with_the_backup():
    found = one(evaluate(account(contacts=[pat(status="departed"), bo()])), "sponsor_departed")
    steps = found.details["succession_steps"]
    assert steps[0].startswith("Confirm Pat Primary's departure")
    assert any("Brief backup sponsor Bo Backup" in s for s in steps)
    assert any("Propose Bo Backup as the new primary sponsor" in s for s in steps)
    assert any("successor" in s for s in steps)
    by = (AS_OF + timedelta(days=30)).isoformat()
    assert steps[-1] == f"Schedule an executive touchpoint within the Enterprise cadence (30 days, by {by})"


def test_it_plans_the_succession_without_a_backup():
    findings = evaluate(account(contacts=[pat(status="departed"), vic()]))
    found = one(findings, "sponsor_departed")
    assert found.details["backup_sponsors"] == []
    assert "no backup sponsor" in found.message
    assert any("Identify a new executive sponsor" in s for s in found.details["succession_steps"])
    assert one(findings, "no_sponsor")


def test_it_escalates_a_confirmed_departure_before_the_crm_catches_up():
    findings = evaluate(account(org_changes=(departure(PAT, days=3),)))
    found = one(findings, "sponsor_departed")
    assert found.contact_id == PAT
    assert found.details["org_change_id"] == 50
    assert found.details["departed_on"] == days_ago(3).isoformat()
    assert having(findings, "org_change") == []  # not reported twice


def test_it_escalates_a_backup_departure_too():
    found = one(evaluate(account(org_changes=(departure(BO),))), "sponsor_departed")
    assert found.subject == f"contact:{BO}"
    assert found.details["sponsor_role"] == "backup"
    assert any("new backup sponsor" in s for s in found.details["succession_steps"])


def test_it_escalates_once_when_status_and_org_change_agree():
    facts = account(contacts=[pat(status="departed"), bo()], org_changes=(departure(PAT), departure(PAT, id=51)))
    assert len(having(evaluate(facts), "sponsor_departed")) == 1


@pytest.mark.parametrize(
    "change",
    [
        departure(PAT, confidence=0.5, state="pending"),
        departure(PAT, state="dismissed"),
        departure(PAT, days=-1),  # dated after as_of
    ],
    ids=["pending-low-confidence", "dismissed", "future"],
)
def test_it_does_not_escalate_an_unconfirmed_departure(change):
    assert evaluate(account(org_changes=(change,))) == []


def test_it_treats_a_confirmed_departed_primary_as_gone_for_the_other_codes():
    findings = evaluate(account(contacts=[pat(), vic()], org_changes=(departure(PAT),)))
    assert one(findings, "no_sponsor")
    assert having(findings, "sponsor_disengaged") == []


# sponsor_disengaged


def test_it_flags_a_disengaged_primary_sponsor():
    eng = engagement(breakdown(PAT, "Disengaged", 20), breakdown(BO), breakdown(VIC))
    found = one(evaluate(account(contacts=[pat(), bo(), vic()]), eng), "sponsor_disengaged")
    assert found.severity == "high"
    assert found.subject == f"contact:{PAT}"
    assert "Pat Primary" in found.message and "score 20" in found.message


@pytest.mark.parametrize(("before", "now"), [(70, 56), (70, 70), (50, 60)])
def test_it_tolerates_a_score_drop_below_15_points(before, now):
    eng = engagement(breakdown(PAT, "Engaged", now), breakdown(BO))
    facts = account(previous_scores={PAT: before})
    assert having(evaluate(facts, eng), "sponsor_disengaged") == []


@pytest.mark.parametrize(("before", "now"), [(70, 55), (90, 40)])
def test_it_flags_a_score_drop_of_15_points_or_more(before, now):
    eng = engagement(breakdown(PAT, "Passive", now), breakdown(BO))
    found = one(evaluate(account(previous_scores={PAT: before}), eng), "sponsor_disengaged")
    assert found.details["drop"] == before - now
    assert f"score fell {before - now} points in 30 days ({before} -> {now})" in found.message


def test_it_watches_only_the_primary_sponsor_for_disengagement():
    eng = engagement(breakdown(PAT), breakdown(BO, "Disengaged", 10), breakdown(VIC))
    facts = account(contacts=[pat(), bo(), vic()], previous_scores={BO: 80})
    assert having(evaluate(facts, eng), "sponsor_disengaged") == []


def test_it_skips_the_score_codes_without_an_engagement():
    facts = account(contacts=[pat(), bo()], previous_scores={PAT: 100})
    assert evaluate(facts, None) == []


# single_threaded


def test_it_flags_an_account_with_one_engaged_executive():
    eng = engagement(breakdown(PAT, "Champion", 90), breakdown(BO, "Passive", 40))
    found = one(evaluate(account(), eng), "single_threaded")
    assert found.severity == "low"
    assert found.details["engaged_executives"] == 1
    assert "1 engaged executive (Pat Primary)" in found.message


def test_it_accepts_two_engaged_executives():
    eng = engagement(breakdown(PAT, "Champion", 90), breakdown(BO, "Engaged", 65))
    assert having(evaluate(account(), eng), "single_threaded") == []


def test_it_counts_only_active_executives_as_engaged():
    eng = engagement(breakdown(PAT), breakdown(DEE), breakdown(VIC))
    facts = account(contacts=[pat(), dee(), vic(status="departed"), bo()])
    assert one(evaluate(facts, eng), "single_threaded").details["engaged_names"] == ["Pat Primary"]


# operational_exec_contact (guardrail 4, after the fact)


@pytest.mark.parametrize("days", [0, 30, 365])
def test_it_flags_a_recent_operational_contact_to_an_executive(days):
    facts = account(operational_exec_contacts=((900, PAT, days_ago(days)),))
    found = one(evaluate(facts), "operational_exec_contact")
    assert found.severity == "medium"
    assert found.subject == "interaction:900"
    assert found.contact_id == PAT
    assert "Pat Primary" in found.message and days_ago(days).isoformat() in found.message


@pytest.mark.parametrize("days", [366, -1])
def test_it_ignores_operational_contacts_outside_the_last_365_days(days):
    facts = account(operational_exec_contacts=((900, PAT, days_ago(days)),))
    assert evaluate(facts) == []


def test_it_reports_each_operational_contact_once():
    entries = ((900, PAT, days_ago(5)), (901, BO, days_ago(6)))
    found = having(evaluate(account(operational_exec_contacts=entries)), "operational_exec_contact")
    assert [f.subject for f in found] == ["interaction:900", "interaction:901"]


# org_change (guardrail 3)


def org_change(kind, *, contact_id=VIC, days=10, confidence=1.0, state="confirmed", id=70) -> OrgChangeFact:
    return OrgChangeFact(id=id, kind=kind, occurred_on=days_ago(days), source="news", contact_id=contact_id,
                         headline=f"{kind} news", confidence=confidence, state=state)


def with_vic(*changes) -> AccountFacts:
    return account(contacts=[pat(), bo(), dee(), vic()], org_changes=changes)


def eng_with_vic():
    return engagement(breakdown(PAT), breakdown(BO), breakdown(VIC))


@pytest.mark.parametrize(
    ("kind", "severity", "lowered"),
    [
        ("departure", "high", "medium"),
        ("reorg", "high", "medium"),
        ("acquisition", "high", "medium"),
        ("promotion", "medium", "low"),
        ("role_change", "medium", "low"),
        ("layoffs", "medium", "low"),
        ("new_executive", "low", "low"),
    ],
)
def test_it_rates_org_changes_by_kind_and_confidence(kind, severity, lowered):
    assert ORG_CHANGE_SEVERITY[kind] == severity
    sure = one(evaluate(with_vic(org_change(kind, confidence=0.9)), eng_with_vic()), "org_change")
    unsure = one(evaluate(with_vic(org_change(kind, confidence=0.89)), eng_with_vic()), "org_change")
    assert (sure.severity, unsure.severity) == (severity, lowered)
    assert sure.subject == "org_change:70"
    assert sure.contact_id == VIC
    assert "Vic Vee" in sure.message and "Acme" in sure.message


@pytest.mark.parametrize(("days", "alerts"), [(0, True), (90, True), (91, False), (-1, False)])
def test_it_reports_org_changes_within_90_days(days, alerts):
    findings = evaluate(with_vic(org_change("promotion", days=days)), eng_with_vic())
    assert bool(having(findings, "org_change")) is alerts


@pytest.mark.parametrize("state", ["pending", "dismissed"])
def test_it_ignores_unconfirmed_org_changes(state):
    assert evaluate(with_vic(org_change("reorg", state=state, confidence=0.5)), eng_with_vic()) == []


def test_it_ignores_changes_of_non_executives():
    assert evaluate(with_vic(org_change("promotion", contact_id=DEE)), eng_with_vic()) == []


@pytest.mark.parametrize("kind", ["reorg", "acquisition", "layoffs"])
def test_it_reports_account_wide_changes_without_a_contact(kind):
    found = one(evaluate(with_vic(org_change(kind, contact_id=None)), eng_with_vic()), "org_change")
    assert found.contact_id is None


def test_a_change_a_person_confirmed_is_not_lowered_for_its_sources_confidence():
    news = org_change("promotion", confidence=0.5)                 # a news match, confirmed by a CSM
    guessed = one(evaluate(with_vic(news), eng_with_vic()), "org_change")
    confirmed = one(evaluate(with_vic(replace(news, reviewed=True)), eng_with_vic()), "org_change")
    assert (guessed.severity, confirmed.severity) == ("low", "medium")
    assert "(confidence 50%)" in guessed.message and "(confirmed on review)" in confirmed.message
    assert confirmed.details["confirmed_on_review"] and not confirmed.details["lowered_for_confidence"]


def test_a_departure_already_escalated_as_a_sponsors_is_not_reported_again_after_the_role_moved_on():
    escalated = replace(org_change("departure"), sponsor_escalated=True)     # Vic was a sponsor when he left
    assert not having(evaluate(with_vic(escalated), eng_with_vic()), "org_change")
    assert one(evaluate(with_vic(org_change("departure")), eng_with_vic()), "org_change").severity == "high"


def test_it_reports_a_sponsors_promotion_as_an_org_change():
    found = one(evaluate(account(org_changes=(org_change("promotion", contact_id=PAT),))), "org_change")
    assert found.severity == "medium"


# ordering


def test_it_sorts_findings_by_severity_then_code():
    facts = account(
        contacts=[vic(), dee()],
        last_touch=None,
        operational_exec_contacts=((900, VIC, days_ago(1)),),
        org_changes=(org_change("new_executive"),),
    )
    findings = evaluate(facts, engagement(breakdown(VIC)))
    assert [(f.severity, f.code) for f in findings] == [
        ("critical", "no_sponsor"),
        ("high", "cadence_overdue"),
        ("high", "no_exec_contact_90d"),
        ("medium", "operational_exec_contact"),
        ("low", "org_change"),
        ("low", "single_threaded"),
    ]
    assert sort_findings(reversed(findings)) == findings


# --- check_touchpoint (guardrail 4, before the fact) -----------------------------------


@pytest.mark.parametrize("direction", ["outbound", "meeting"])
@pytest.mark.parametrize("who", [pat(), bo(), vic(), person(9, "Sam Sponsor", roles=("director",), sponsor="backup")])
def test_it_refuses_operational_outreach_to_an_executive(who, direction):
    refusal = check_touchpoint(contact=who, direction=direction, purpose="operational")
    assert refusal is not None
    assert who.name in refusal
    assert "operational contact" in refusal and "support" in refusal


def test_it_names_the_operational_contact_when_known():
    refusal = check_touchpoint(contact=pat(), direction="outbound", purpose="operational",
                               operational_contact="Dee Director")
    assert "Route this issue to Dee Director" in refusal


@pytest.mark.parametrize(
    ("who", "direction", "purpose"),
    [
        (pat(), "outbound", "strategic"),
        (pat(), "meeting", "strategic"),
        (pat(), "inbound", "operational"),  # they came to us
        (dee(), "outbound", "operational"),  # not an executive
        (dee(), "meeting", "operational"),
    ],
)
def test_it_allows_other_touchpoints(who, direction, purpose):
    assert check_touchpoint(contact=who, direction=direction, purpose=purpose) is None


@pytest.mark.parametrize(
    ("direction", "purpose", "bad"),
    [("sideways", "strategic", "sideways"), ("outbound", "urgent", "urgent")],
)
def test_it_rejects_unknown_touchpoint_vocabulary(direction, purpose, bad):
    with pytest.raises(ValueError, match=bad):
        check_touchpoint(contact=pat(), direction=direction, purpose=purpose)


# --- outreach_conflicts (guardrail 5) ---------------------------------------------------

PLANNED_ON = date(2025, 7, 10)


def plan(id, *, planner="ann@example.com", contact_id=PAT, shift=0) -> PlannedOutreach:
    return PlannedOutreach(id=id, contact_id=contact_id, planner=planner, planned_on=PLANNED_ON + timedelta(days=shift))


@pytest.mark.parametrize("shift", [-7, -1, 0, 3, 7])
def test_it_finds_another_planners_outreach_within_7_days(shift):
    new = plan(1)
    other = plan(2, planner="bob@example.com", shift=shift)
    assert outreach_conflicts(new, [other], config=DEFAULT_CONFIG) == [other]


@pytest.mark.parametrize("shift", [-8, 8, 30])
def test_it_ignores_outreach_more_than_7_days_apart(shift):
    other = plan(2, planner="bob@example.com", shift=shift)
    assert outreach_conflicts(plan(1), [other]) == []


@pytest.mark.parametrize("planner", ["ann@example.com", " Ann@Example.com "])
def test_it_never_conflicts_a_planner_with_themself(planner):
    assert outreach_conflicts(plan(1), [plan(2, planner=planner, shift=1)]) == []


def test_it_does_not_conflict_a_plan_with_its_stored_self():
    stored = plan(1, planner="bob@example.com")
    assert outreach_conflicts(plan(1), [stored]) == []


def test_it_checks_an_unsaved_plan_against_everything():
    other = plan(2, planner="bob@example.com")
    assert outreach_conflicts(plan(None), [other]) == [other]


def test_it_ignores_outreach_to_another_executive():
    assert outreach_conflicts(plan(1), [plan(2, planner="bob@example.com", contact_id=BO)]) == []


def test_it_reads_the_conflict_window_from_the_config():
    config = GuardrailConfig.from_mapping({"outreach_conflict_days": 14})
    other = plan(2, planner="bob@example.com", shift=14)
    assert outreach_conflicts(plan(1), [other], config=config) == [other]


def test_it_lists_conflicts_earliest_first_and_explains_them():
    late = plan(3, planner="cy@example.com", shift=5)
    early = plan(2, planner="bob@example.com", shift=-2)
    new = plan(1)
    conflicts = outreach_conflicts(new, [late, plan(4, shift=1), early])
    assert conflicts == [early, late]
    message = conflict_message(new, conflicts, contact_name="Pat Primary")
    assert message.startswith(f"Outreach to Pat Primary on {PLANNED_ON.isoformat()} is within 7 days")
    assert f"bob@example.com on {early.planned_on.isoformat()}" in message
    assert f"cy@example.com on {late.planned_on.isoformat()}" in message
    assert "coordinate with the account team" in message


def test_it_has_nothing_to_say_without_conflicts():
    assert conflict_message(plan(1), []) == ""


# --- properties ------------------------------------------------------------------------

contacts_st = st.lists(
    st.builds(
        ContactFact,
        id=st.integers(1, 6),
        name=st.sampled_from(["Ana", "Ben", "Cy"]),
        roles=st.lists(st.sampled_from(CONTACT_ROLES), max_size=2).map(tuple),
        sponsor=st.sampled_from([None, "primary", "backup"]),
        status=st.sampled_from(["active", "departed"]),
    ),
    max_size=6,
    unique_by=lambda c: c.id,
)
changes_st = st.lists(
    st.builds(
        OrgChangeFact,
        id=st.integers(1, 1000),
        kind=st.sampled_from(ORG_CHANGE_KINDS),
        occurred_on=st.integers(-5, 400).map(days_ago),
        source=st.just("news"),
        contact_id=st.one_of(st.none(), st.integers(1, 6)),
        confidence=st.floats(0, 1),
        state=st.sampled_from(["confirmed", "pending", "dismissed"]),
    ),
    max_size=5,
    unique_by=lambda ch: ch.id,
)


@given(
    tier=st.sampled_from(TIERS),
    contacts=contacts_st,
    changes=changes_st,
    last_touch=st.one_of(st.none(), st.integers(-3, 500)),
    levels=st.lists(st.sampled_from(ENGAGEMENT_LEVELS), min_size=6, max_size=6),
    with_engagement=st.booleans(),
    operational=st.lists(st.tuples(st.integers(1, 6), st.integers(-5, 400)), max_size=4),
)
def test_its_findings_are_well_formed_for_any_account(
    tier, contacts, changes, last_touch, levels, with_engagement, operational
):
    facts = AccountFacts(
        id=1, name="Acme", tier=tier, contacts=tuple(contacts), org_changes=tuple(changes),
        last_exec_touch=None if last_touch is None else days_ago(last_touch),
        operational_exec_contacts=tuple((900 + i, cid, days_ago(d)) for i, (cid, d) in enumerate(operational)),
        previous_scores={c.id: 80 for c in contacts},
    )
    eng = engagement(*(breakdown(i + 1, level, 50) for i, level in enumerate(levels))) if with_engagement else None
    findings = evaluate_account(facts, eng, as_of=AS_OF)
    keys = [(f.code, f.subject) for f in findings]
    assert len(keys) == len(set(keys))  # one alert per (account, code, subject)
    assert all(f.severity in SEVERITIES and f.message for f in findings)
    assert all(f.escalate == (f.code == "sponsor_departed") for f in findings)
    assert sort_findings(findings) == findings
    assert evaluate_account(facts, eng, as_of=AS_OF) == findings  # deterministic


@given(a=st.integers(-20, 20), b=st.integers(-20, 20), same=st.booleans())
def test_outreach_conflicts_are_symmetric(a, b, same):
    first = plan(1, shift=a)
    second = plan(2, shift=b, planner="ann@example.com" if same else "bob@example.com")
    assert bool(outreach_conflicts(first, [second])) == bool(outreach_conflicts(second, [first]))


@given(st.text(max_size=40))
def test_a_title_or_company_is_a_trivial_change_of_itself(text):
    assert is_trivial_title_change(text, text)
    assert is_trivial_company_rename(text, text)
