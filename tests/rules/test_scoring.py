"""Scoring rules: pure, no database.  Expected values are derived from the inputs."""

import math
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.vocabulary import RISK_BY_LEVEL
from sponsors.rules.activity import account_qbr_counts, activity_from_interactions, last_exec_touch
from sponsors.rules.config import ScoringConfig
from sponsors.rules.facts import AccountFacts, AlignmentFact, ContactFact, GoalFact, InteractionFact, SponsorActivity
from sponsors.rules.scoring import (
    meeting_frequency,
    qbr_attendance,
    responsiveness,
    score_account,
    score_sponsor,
    strategic_alignment,
)

AS_OF = date(2025, 6, 30)
CONFIG = ScoringConfig()
CAP = CONFIG.reply_cap_days


def half_up(x):
    return math.floor(x + 0.5 + 1e-9)


def at(days_before, hour=10):
    d = AS_OF - timedelta(days=days_before)
    return datetime(d.year, d.month, d.day, hour)


def meeting(days_before, contact, type_="one_on_one"):
    return InteractionFact(type=type_, occurred_at=at(days_before), direction="meeting", contact_ids=(contact,))


def email(days_before, contact, reply_after_hours=None, purpose="strategic"):
    sent = at(days_before)
    replied = sent + timedelta(hours=reply_after_hours) if reply_after_hours is not None else None
    return InteractionFact(type="email", occurred_at=sent, direction="outbound", contact_ids=(contact,),
                           purpose=purpose, responded_at=replied)


def sponsor(id_=1, **kw):
    kw.setdefault("roles", ("executive_sponsor",))
    kw.setdefault("sponsor", "primary")
    return ContactFact(id=id_, name=f"Exec {id_}", **kw)


def account(contacts=(), interactions=(), tier="enterprise", **kw):
    contacts = tuple(contacts)
    exec_ids = [c.id for c in contacts if c.is_executive or c.is_sponsor]
    held, with_exec = account_qbr_counts(interactions, exec_ids, as_of=AS_OF)
    activity = {c.id: activity_from_interactions(c.id, interactions, as_of=AS_OF) for c in contacts}
    return AccountFacts(
        id="acc_1", name="Acme", tier=tier, contacts=contacts, activity=activity,
        qbrs_held=held, qbrs_with_exec=with_exec,
        last_exec_touch=last_exec_touch(interactions, exec_ids, as_of=AS_OF), **kw,
    )


# --- table-driven levels ---------------------------------------------------------------

def champion_case():
    c = sponsor(priorities=("Cost reduction",))
    log = [meeting(15 + 30 * k, 1) for k in range(12)]                 # monthly 1:1s for a year
    log += [meeting(20 + 91 * k, 1, "qbr") for k in range(4)]          # every QBR, 4/4
    log += [email(10 + 60 * k, 1, reply_after_hours=6) for k in range(5)]  # replies within hours
    log += [InteractionFact("referral", at(50), "inbound", (1,))]
    alignment = (AlignmentFact("Automation", "Cost reduction", "high"),
                 AlignmentFact("Analytics", "Visibility", "high"))
    goals = (GoalFact("Cut costs 10%", "on_track", 0.6),)
    return c, account([c], log, alignment=alignment, goals=goals)


def disengaged_case():
    c = sponsor()
    log = [meeting(400, 1), email(60, 1), email(30, 1), email(10, 1)]  # three unanswered e-mails
    alignment = (AlignmentFact("Automation", "Cost reduction", "high"),)
    return c, account([c], log, alignment=alignment)


def passive_case():
    c = sponsor()
    log = [meeting(20 + 60 * k, 1) for k in range(5)]                  # 5 of 12 meetings
    log += [meeting(30, 1, "qbr")]                                      # 1 of 4 QBRs (3 without execs)
    log += [InteractionFact("qbr", at(120 + 91 * k), "meeting", (99,)) for k in range(3)]
    log += [email(5 + 30 * k, 1, reply_after_hours=72) for k in range(3)] + [email(100, 1)]
    alignment = (AlignmentFact("Automation", "Cost reduction", "medium"),
                 AlignmentFact("Analytics", "Visibility", "low"))
    goals = (GoalFact("Adoption", "at_risk"),)
    return c, account([c], log, alignment=alignment, goals=goals)


@pytest.mark.parametrize(
    ("case", "level"),
    [(champion_case, "Champion"), (disengaged_case, "Disengaged"), (passive_case, "Passive")],
)
def test_it_pins_levels_on_clear_cases(case, level):
    contact, facts = case()
    b = score_sponsor(contact, facts.activity[contact.id], facts, as_of=AS_OF)
    assert (b.level, b.risk) == (level, RISK_BY_LEVEL[level])
    assert b.reasons


def test_it_scores_the_champion_case_full_marks():
    contact, facts = champion_case()
    b = score_sponsor(contact, facts.activity[contact.id], facts, as_of=AS_OF)
    assert b.total == 100
    assert (b.level, b.risk) == ("Champion", "Low")
    assert b.factor("qbr_attendance").note == "4/4 QBRs"


def test_it_explains_the_disengaged_case():
    contact, facts = disengaged_case()
    b = score_sponsor(contact, facts.activity[contact.id], facts, as_of=AS_OF)
    assert (b.level, b.risk) == ("Disengaged", "High")
    assert f"No direct contact for 400 days (limit {CONFIG.no_direct_contact_days})" in b.reasons
    assert b.factor("responsiveness").score == 0
    assert b.factor("responsiveness").note == f"avg {CAP:.1f} days to respond, 3 unanswered"


def test_it_puts_the_passive_case_in_the_passive_band():
    contact, facts = passive_case()
    b = score_sponsor(contact, facts.activity[contact.id], facts, as_of=AS_OF)
    assert CONFIG.passive_band <= b.total < CONFIG.engaged_band
    assert (b.level, b.risk) == ("Passive", "Medium")


@pytest.mark.parametrize(("days", "disengaged"), [(179, False), (180, False), (181, True)])
def test_it_applies_the_180_day_direct_contact_rule_on_both_sides(days, disengaged):
    contact, facts = champion_case()
    activity = SponsorActivity(meetings=12, outbound=2, answered=2, reply_days_total=0.5,
                               qbrs_attended=4, advocacy_signals=1,
                               last_touch=AS_OF - timedelta(days=days),
                               last_direct_contact=AS_OF - timedelta(days=days))
    b = score_sponsor(contact, activity, facts, as_of=AS_OF)
    reason = f"No direct contact for {days} days (limit {CONFIG.no_direct_contact_days})"
    assert (b.level == "Disengaged") is disengaged
    assert (reason in b.reasons) is disengaged


def test_it_keeps_a_high_scorer_without_advocacy_at_engaged():
    contact, facts = champion_case()
    activity = SponsorActivity(meetings=12, outbound=1, answered=1, last_touch=AS_OF, last_direct_contact=AS_OF)
    facts = AccountFacts(id=1, name="Acme", tier="enterprise", contacts=(contact,), qbrs_held=0,
                         alignment=facts.alignment, goals=facts.goals)
    config = ScoringConfig.from_mapping({"champion_band": 70})
    b = score_sponsor(contact, activity, facts, as_of=AS_OF, config=config)
    assert b.total >= config.champion_band
    assert b.level == "Engaged"
    assert any("no advocacy signal" in r for r in b.reasons)


def test_it_calls_a_contact_without_any_interaction_unknown():
    contact, facts = champion_case()
    b = score_sponsor(contact, SponsorActivity(), facts, as_of=AS_OF)
    assert (b.level, b.risk) == ("Unknown", "Critical")


def test_it_never_calls_a_departed_contact_champion():
    contact, facts = champion_case()
    gone = sponsor(priorities=contact.priorities, status="departed")
    b = score_sponsor(gone, facts.activity[contact.id], facts, as_of=AS_OF)
    assert b.total == 100
    assert b.level == "Disengaged"
    assert "Contact has departed" in b.reasons


# --- accounts -----------------------------------------------------------------------

def test_it_calls_an_account_without_executive_sponsor_unknown_critical():
    vp = ContactFact(id=2, name="VP Ops", roles=("vp",))
    log = [meeting(10 + 30 * k, 2) for k in range(12)]
    result = score_account(account([vp], log), as_of=AS_OF)
    assert (result.level, result.risk) == ("Unknown", "Critical")
    assert [b.contact_id for b in result.sponsors] == [2]
    empty = score_account(account([]), as_of=AS_OF)
    assert (empty.level, empty.risk, empty.score, empty.sponsors) == ("Unknown", "Critical", 0, ())
    assert empty.cadence.days_since is None


def test_it_weights_the_primary_against_the_other_active_executives():
    primary = sponsor(1)
    cfo = ContactFact(id=2, name="CFO", roles=("c_level",))
    vp = ContactFact(id=3, name="VP", roles=("vp",), sponsor="backup")
    gone = ContactFact(id=4, name="Former VP", roles=("vp",), status="departed")
    log = [meeting(10 + 30 * k, 1) for k in range(12)] + [meeting(40, 2), meeting(50, 3), meeting(60, 4)]
    log += [meeting(70 * k + 5, 2) for k in range(3)]
    facts = account([cfo, gone, vp, primary], log)
    result = score_account(facts, as_of=AS_OF)
    totals = {b.contact_id: b.total for b in result.sponsors}
    assert [b.contact_id for b in result.sponsors] == [1, 3, 2, 4]    # primary, backup, others
    w = CONFIG.primary_weight
    expected = half_up(w * totals[1] + (1 - w) * (totals[2] + totals[3]) / 2)   # departed 4 left out
    assert result.score == expected
    assert result.method.startswith("50% primary sponsor Exec 1")
    assert result.cadence.last_touch == AS_OF - timedelta(days=5)


def test_it_uses_the_primary_alone_and_the_mean_without_primary():
    primary, vp = sponsor(1), ContactFact(id=3, name="VP", roles=("vp",), sponsor="backup")
    log = [meeting(10 + 30 * k, 1) for k in range(6)] + [meeting(20, 3), email(5, 3, reply_after_hours=30)]
    alone = score_account(account([primary], log), as_of=AS_OF)
    assert alone.score == alone.sponsors[0].total
    no_primary = score_account(account([vp, ContactFact(id=5, name="CTO", roles=("c_level",))],
                                       log + [meeting(9, 5)]), as_of=AS_OF)
    totals = [b.total for b in no_primary.sponsors]
    assert no_primary.score == half_up(sum(totals) / 2)
    assert no_primary.level != "Unknown"                              # the backup is an active sponsor


def test_it_requires_a_champion_primary_for_a_champion_account():
    primary = sponsor(1, priorities=("Cost reduction",))
    cfo = ContactFact(id=2, name="CFO", roles=("c_level",), priorities=("Cost reduction",))
    log = [meeting(10 + 30 * k, 1) for k in range(12)]                 # primary: no QBR, no advocacy
    log += [meeting(12 + 30 * k, 2) for k in range(12)] + [meeting(20 + 91 * k, 2, "qbr") for k in range(4)]
    log += [InteractionFact("referral", at(50), "inbound", (2,))]
    log += [email(8, 1, reply_after_hours=2), email(9, 2, reply_after_hours=2)]
    alignment = (AlignmentFact("Automation", "Cost reduction", "high"),)
    result = score_account(account([primary, cfo], log, alignment=alignment), as_of=AS_OF)
    levels = {b.contact_id: b.level for b in result.sponsors}
    assert levels[2] == "Champion" and levels[1] != "Champion"
    assert result.score >= CONFIG.champion_band
    assert result.level == "Engaged"


# --- notes ---------------------------------------------------------------------------

@pytest.mark.parametrize(("tier", "meetings"), [("enterprise", 9), ("mid_market", 3), ("smb", 5), ("smb", 0)])
def test_it_notes_meeting_frequency_as_target_actual(tier, meetings):
    target = CONFIG.meeting_targets[tier]
    f = meeting_frequency(SponsorActivity(meetings=meetings), tier)
    assert f.note == f"Target {target}: Actual {meetings}"
    assert f.score == half_up(25 * min(meetings / target, 1))
    assert (f.key, f.label) == ("meeting_frequency", "Meeting Frequency")


def test_it_pins_the_design_meeting_targets():
    assert dict(CONFIG.meeting_targets) == {"enterprise": 12, "mid_market": 4, "smb": 2}
    assert meeting_frequency(SponsorActivity(meetings=9), "enterprise").note == "Target 12: Actual 9"


@pytest.mark.parametrize(("attended", "held"), [(3, 4), (0, 2), (2, 2)])
def test_it_notes_qbr_attendance_as_attended_over_held(attended, held):
    f = qbr_attendance(SponsorActivity(qbrs_attended=attended), held)
    assert f.note == f"{attended}/{held} QBRs"
    assert f.score == half_up(25 * attended / held)


def test_it_gives_no_qbr_points_when_none_were_held():
    f = qbr_attendance(SponsorActivity(qbrs_attended=0), 0)
    assert (f.score, f.note) == (0, "0/0 QBRs (none held)")


@pytest.mark.parametrize(
    ("outbound", "answered", "reply_days_total"),
    [(5, 5, 12.0), (6, 5, 12.0), (4, 1, 0.5), (3, 3, 1.5)],
)
def test_it_notes_the_average_days_to_respond(outbound, answered, reply_days_total):
    f = responsiveness(SponsorActivity(outbound=outbound, answered=answered, reply_days_total=reply_days_total))
    unanswered = outbound - answered
    avg = (reply_days_total + unanswered * CAP) / outbound
    expected = f"avg {avg:.1f} days to respond" + (f", {unanswered} unanswered" if unanswered else "")
    assert f.note == expected
    grace = CONFIG.reply_grace_days
    assert f.score == max(0, min(25, half_up(25 * (CAP - avg) / (CAP - grace))))


def test_it_pins_the_spec_style_responsiveness_note():
    f = responsiveness(SponsorActivity(outbound=5, answered=5, reply_days_total=12.0))
    assert f.note == "avg 2.4 days to respond"


def test_it_gives_a_neutral_responsiveness_without_outreach():
    f = responsiveness(SponsorActivity(meetings=3))
    assert (f.score, f.note) == (CONFIG.no_outreach_points, "no outreach to answer")
    assert 0 < f.score < 25


def test_it_assesses_strategic_alignment():
    contact = sponsor(priorities=("Cost reduction", "Expansion"))
    alignment = (AlignmentFact("Automation", "cost  Reduction", "high"),
                 AlignmentFact("Analytics", "Visibility", "HIGH"),
                 AlignmentFact("Mobile", "Field sales", "low"))
    goals = (GoalFact("A", "on_track"), GoalFact("B", "at_risk"))
    f = strategic_alignment(contact, alignment, goals)
    assert f.note == "High on 2/3 initiatives; goals 75% on track; 1/2 own priorities addressed"
    w = CONFIG.alignment_weights
    value = (w["initiatives"] * (2 / 3) + w["goals"] * 0.75 + w["priorities"] * 0.5) / sum(w.values())
    assert f.score == half_up(25 * value)


def test_it_renormalises_alignment_over_the_parts_present():
    f = strategic_alignment(sponsor(), (), (GoalFact("A", "on_track"), GoalFact("B", "unknown", 0.2)))
    assert f.note == "goals 60% on track"
    assert f.score == half_up(25 * 0.6)
    empty = strategic_alignment(sponsor(), (), ())
    assert (empty.score, empty.note) == (0, "no initiatives, goals or priorities recorded")


# --- activity_from_interactions -------------------------------------------------------

@pytest.mark.parametrize(("days_before", "in_window"), [(0, True), (364, True), (365, False), (366, False)])
def test_it_counts_only_meetings_inside_the_window(days_before, in_window):
    a = activity_from_interactions(1, [meeting(days_before, 1)], as_of=AS_OF)
    assert a.meetings == int(in_window)
    assert a.last_touch == AS_OF - timedelta(days=days_before)         # not window-limited
    assert a.last_direct_contact == AS_OF - timedelta(days=days_before)


def test_it_ignores_interactions_after_as_of():
    log = [meeting(-1, 1), email(-3, 1, reply_after_hours=1), email(2, 1, reply_after_hours=24 * 5)]
    a = activity_from_interactions(1, log, as_of=AS_OF)
    assert (a.meetings, a.outbound, a.answered) == (0, 1, 0)             # the reply comes after as_of
    assert a.last_touch == AS_OF - timedelta(days=2)
    assert a.last_direct_contact is None


def test_it_counts_unanswered_outbound_at_the_cap_and_caps_slow_replies():
    log = [email(100, 1), email(50, 1, reply_after_hours=24 * 20), email(40, 1, reply_after_hours=36)]
    a = activity_from_interactions(1, log, as_of=AS_OF)
    assert (a.outbound, a.answered, a.unanswered) == (3, 2, 1)
    assert a.reply_days_total == pytest.approx(CAP + 1.5)
    # the direct contact is the latest reply (the slow one, 20 days after the e-mail of day 50)
    assert a.last_direct_contact == (at(50) + timedelta(days=20)).date()
    f = responsiveness(a)
    avg = (CAP + 1.5 + CAP) / 3
    assert f.note == f"avg {avg:.1f} days to respond, 1 unanswered"


def test_it_counts_operational_outbound_as_outreach():
    a = activity_from_interactions(1, [email(10, 1, purpose="operational")], as_of=AS_OF)
    assert (a.outbound, a.answered) == (1, 0)
    assert a.last_direct_contact is None


def test_it_aggregates_qbrs_advocacy_and_only_the_contacts_own_interactions():
    log = [
        meeting(10, 1, "qbr"), meeting(200, 1, "business_review"), meeting(30, 2, "qbr"),
        InteractionFact("advocacy", at(5), "outbound", (1, 2)),
        InteractionFact("email", at(3), "inbound", (2,)),
        InteractionFact("other", at(7), "meeting", (1,)),               # not a meeting type
    ]
    a = activity_from_interactions(1, log, as_of=AS_OF)
    assert (a.meetings, a.qbrs_attended, a.advocacy_signals) == (2, 2, 1)
    assert a.last_touch == AS_OF - timedelta(days=5)
    assert a.last_direct_contact == AS_OF - timedelta(days=7)
    assert account_qbr_counts(log, [1], as_of=AS_OF) == (3, 2)
    assert last_exec_touch(log, [1], as_of=AS_OF) == AS_OF - timedelta(days=5)
    assert last_exec_touch(log, [2], as_of=AS_OF) == AS_OF - timedelta(days=3)
    assert last_exec_touch(log, [42], as_of=AS_OF) is None


# --- config -----------------------------------------------------------------------------

def test_it_builds_config_from_settings_and_names_unknown_keys():
    config = ScoringConfig.from_mapping({"WINDOW_DAYS": 180, "meeting_targets": {"smb": 3}, "reply_cap_days": 10})
    assert config.window_days == 180
    assert dict(config.meeting_targets) == {"enterprise": 12, "mid_market": 4, "smb": 3}
    assert config.reply_cap_days == 10
    assert ScoringConfig.from_mapping({}) == CONFIG
    assert hash(ScoringConfig.from_mapping({})) == hash(CONFIG)
    with pytest.raises(TypeError):
        config.meeting_targets["smb"] = 1                                # read-only
    with pytest.raises(ValueError, match="'windw_days'"):
        ScoringConfig.from_mapping({"windw_days": 1})
    with pytest.raises(ValueError, match="'startup'"):
        ScoringConfig.from_mapping({"meeting_targets": {"startup": 1}})
    with pytest.raises(ValueError, match="band"):
        ScoringConfig.from_mapping({"champion_band": 50})


def test_it_pins_the_design_defaults():
    assert (CONFIG.window_days, CONFIG.no_direct_contact_days) == (365, 180)
    assert (CONFIG.champion_band, CONFIG.engaged_band, CONFIG.passive_band) == (80, 60, 30)


# --- properties -------------------------------------------------------------------------

DAY = st.dates(min_value=AS_OF - timedelta(days=800), max_value=AS_OF)


@st.composite
def activities(draw):
    outbound = draw(st.integers(0, 30))
    answered = draw(st.integers(0, outbound))
    touch = draw(st.none() | DAY)
    direct = draw(st.none() | st.dates(min_value=AS_OF - timedelta(days=800), max_value=touch)) if touch else None
    return SponsorActivity(
        meetings=draw(st.integers(0, 40)), outbound=outbound, answered=answered,
        reply_days_total=draw(st.floats(0, CAP)) * answered,
        qbrs_attended=draw(st.integers(0, 8)), advocacy_signals=draw(st.integers(0, 3)),
        last_touch=touch, last_direct_contact=direct,
    )


alignments = st.lists(st.builds(AlignmentFact, st.sampled_from(["A", "B", "C"]),
                                st.sampled_from(["Cost", "Growth", "Risk"]),
                                st.sampled_from(["high", "medium", "low"])), max_size=4)
goal_lists = st.lists(st.builds(GoalFact, st.just("g"),
                                st.sampled_from(["on_track", "at_risk", "off_track", "done", "paused"]),
                                st.none() | st.floats(0, 1)), max_size=4)
contacts = st.builds(
    ContactFact, id=st.integers(1, 6), name=st.just("X"),
    roles=st.sampled_from([("executive_sponsor",), ("c_level",), ("vp",), ("director",)]),
    sponsor=st.sampled_from([None, "primary", "backup"]), status=st.sampled_from(["active", "departed"]),
    priorities=st.lists(st.sampled_from(["Cost", "Growth", "Risk", "Speed"]), max_size=2).map(tuple),
)
tiers = st.sampled_from(["enterprise", "mid_market", "smb"])


@st.composite
def accounts(draw):
    people = draw(st.lists(contacts, max_size=5, unique_by=lambda c: c.id))
    return AccountFacts(
        id=1, name="Acme", tier=draw(tiers), contacts=tuple(people),
        activity={c.id: draw(activities()) for c in people if draw(st.booleans())},
        qbrs_held=draw(st.integers(0, 8)), alignment=tuple(draw(alignments)), goals=tuple(draw(goal_lists)),
        last_exec_touch=draw(st.none() | DAY),
    )


@given(contacts, activities(), accounts())
def test_property_factors_stay_in_range_and_sum_to_the_total(contact, activity, facts):
    b = score_sponsor(contact, activity, facts, as_of=AS_OF)
    expected = [
        meeting_frequency(activity, facts.tier),
        responsiveness(activity),
        qbr_attendance(activity, facts.qbrs_held),
        strategic_alignment(contact, facts.alignment, facts.goals),
    ]
    assert list(b.factors) == expected
    assert all(0 <= f.score <= 25 and isinstance(f.score, int) for f in b.factors)
    assert b.total == sum(f.score for f in expected)
    assert 0 <= b.total <= 100
    assert b.risk == RISK_BY_LEVEL[b.level]


@given(activities(), tiers, st.integers(1, 10))
def test_property_more_meetings_never_lower_meeting_frequency(activity, tier, extra):
    more = SponsorActivity(meetings=activity.meetings + extra)
    assert meeting_frequency(more, tier).score >= meeting_frequency(activity, tier).score


@given(activities(), st.floats(0, 1))
def test_property_a_faster_reply_never_lowers_responsiveness(activity, factor):
    faster = SponsorActivity(outbound=activity.outbound, answered=activity.answered,
                             reply_days_total=activity.reply_days_total * factor)
    assert responsiveness(faster).score >= responsiveness(activity).score


@given(activities(), st.floats(0, CAP))
def test_property_answering_one_more_outreach_never_lowers_responsiveness(activity, delay):
    if activity.unanswered == 0:
        activity = SponsorActivity(outbound=activity.outbound + 1, answered=activity.answered,
                                   reply_days_total=activity.reply_days_total)
    answered = SponsorActivity(outbound=activity.outbound, answered=activity.answered + 1,
                               reply_days_total=activity.reply_days_total + delay)
    assert responsiveness(answered).score >= responsiveness(activity).score


@given(contacts, activities(), accounts())
def test_property_a_departed_contact_is_never_champion(contact, activity, facts):
    gone = ContactFact(id=contact.id, name=contact.name, roles=contact.roles, sponsor=contact.sponsor,
                       status="departed", priorities=contact.priorities)
    assert score_sponsor(gone, activity, facts, as_of=AS_OF).level != "Champion"


@given(accounts())
def test_property_account_score_is_within_0_and_100(facts):
    result = score_account(facts, as_of=AS_OF)
    assert 0 <= result.score <= 100
    assert result.risk == RISK_BY_LEVEL[result.level]
    assert result.method
    if not any(c.is_active and c.is_sponsor for c in facts.contacts):
        assert (result.level, result.risk) == ("Unknown", "Critical")


def _departure_facts(state, today=date(2026, 11, 26)):
    from sponsors.rules.facts import OrgChangeFact

    primary = ContactFact(id="p", name="Pat Primary", roles=("executive_sponsor", "c_level"), sponsor="primary")
    backup = ContactFact(id="b", name="Bo Backup", roles=("vp",), sponsor="backup")
    busy = SponsorActivity(meetings=12, outbound=4, answered=4, reply_days_total=2.0, qbrs_attended=4,
                           advocacy_signals=1, last_touch=today, last_direct_contact=today)
    quiet = SponsorActivity(meetings=1, outbound=2, answered=1, reply_days_total=5.0, last_touch=today,
                            last_direct_contact=today)
    change = OrgChangeFact(id=1, kind="departure", occurred_on=date(2026, 11, 23), source="linkedin",
                           contact_id="p", confidence=0.9, state=state)
    return AccountFacts(id=1, name="Acme", tier="enterprise", contacts=(primary, backup),
                        activity={"p": busy, "b": quiet}, qbrs_held=4, qbrs_with_exec=4, last_exec_touch=today,
                        org_changes=(change,)), today


def test_a_confirmed_departure_counts_before_the_crm_status_catches_up():
    facts, today = _departure_facts("confirmed")
    engagement = score_account(facts, as_of=today)
    primary = next(b for b in engagement.sponsors if b.contact_id == "p")
    backup = next(b for b in engagement.sponsors if b.contact_id == "b")
    assert primary.level == "Disengaged" and "Contact has departed" in primary.reasons
    # The account's score now rests on the backup alone.
    assert engagement.score == backup.total


def test_a_pending_or_later_departure_changes_nothing():
    for state, as_of in (("pending", date(2026, 11, 26)), ("dismissed", date(2026, 11, 26)),
                         ("confirmed", date(2026, 11, 22))):  # the last: as of a day before the departure
        facts, _ = _departure_facts(state, today=as_of)
        primary = next(b for b in score_account(facts, as_of=as_of).sponsors if b.contact_id == "p")
        assert primary.level == "Engaged" and "Contact has departed" not in primary.reasons, state


def test_a_priority_that_is_not_text_still_counts_as_written_and_the_others_still_match():
    # CRM data may hold a list where a word was expected: it cannot key the normalised-priorities cache,
    # and it is matched by its text like any other priority.
    initiatives = [AlignmentFact("Automation", "Cost reduction", "high"), AlignmentFact("Ops", "['odd']", "low")]
    for priorities in ((["odd"], " cost  REDUCTION "), ("Expansion", "cost reduction")):
        contact = ContactFact(id=1, name="X", roles=("c_level",), priorities=priorities)
        matched = 2 if isinstance(priorities[0], list) else 1
        f = strategic_alignment(contact, initiatives, [])
        assert f.note == f"High on 1/2 initiatives; {matched}/2 own priorities addressed"
        initiatives_part = (1.0 + 0.0) / 2
        assert f.score == half_up(25 * (0.5 * initiatives_part + 0.2 * matched / 2) / 0.7)
