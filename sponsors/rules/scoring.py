# Long module: the one scoring rule of the README's "Scoring" (factors, levels, account roll-up), top to bottom.
"""Engagement scoring: plain functions of plain facts plus an ``as_of`` date.

No Django, no ORM, no clock.  Everything tunable lives in :class:`ScoringConfig`
(``settings.EXEC_SPONSOR_SCORING`` is passed to :meth:`ScoringConfig.from_mapping`).

The score of one executive is the sum of four factors, each an integer 0..25
(rounded half up, clamped), computed over the trailing scoring window
(``window_days``, default 365, ending at ``as_of`` inclusive):

* **Meeting Frequency** = 25 x min(meetings / tier target, 1).
  Note ``Target 12: Actual 9``.
* **Responsiveness** - ``avg`` = mean days from our outbound to their reply, each
  reply capped at ``reply_cap_days`` (14) and each unanswered outbound counted as the
  cap; score = 25 x (cap - avg) / (cap - ``reply_grace_days``) clamped to 0..25, so
  replying within a day on average earns all 25 points and averaging the cap earns 0.
  No outreach in the window earns ``no_outreach_points`` (12: neutral, just below
  half; absence of evidence is not credit).  Note ``avg 2.4 days to respond, 1 unanswered``.
* **QBR Attendance** = 25 x attended / held (business reviews count as QBRs, see
  ``review_types``).  No QBR held earns 0, note ``0/0 QBRs (none held)``.
* **Strategic Alignment** = 25 x the weighted mean of (initiatives 0.5, goals 0.3,
  own priorities 0.2) over the parts that have data; see :func:`strategic_alignment`.

Levels (bands tunable): Unknown when no interaction was ever recorded; Disengaged
when departed, no direct contact for more than ``no_direct_contact_days`` (180), or
total < passive band (30); Champion when total >= 80 with an advocacy signal in the
window; Engaged >= 60; Passive >= 30.  Risk follows ``facts.RISK_BY_LEVEL``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from accounts.vocabulary import FACTOR_LABELS, RISK_BY_LEVEL, TIERS

from .cadence import cadence_status
from .config import MAX_FACTOR, ScoringConfig
from .facts import (
    AccountEngagement,
    AccountFacts,
    AlignmentFact,
    ContactFact,
    FactorScore,
    GoalFact,
    ScoreBreakdown,
    SponsorActivity,
)
from .records import fast_init

DEFAULT_CONFIG = ScoringConfig()


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves away from zero for x >= 0 (12.5 -> 13)."""
    return math.floor(x + 0.5 + 1e-9)


def _clamp_factor(x: float) -> int:
    return max(0, min(MAX_FACTOR, round_half_up(x)))


def _check_tier(tier: str, config: ScoringConfig) -> None:
    if tier not in config.meeting_targets:
        raise ValueError(f"unknown tier {tier!r} (expected one of {', '.join(TIERS)})")


# --- factors ------------------------------------------------------------------

def meeting_frequency(activity: SponsorActivity, tier: str, *, config: ScoringConfig = DEFAULT_CONFIG
                      ) -> FactorScore:
    """25 x min(meetings / target, 1), target = ``meeting_targets[tier]`` per window.

    Note ``Target 12: Actual 9`` (actual is the plain count, even above target).
    """
    _check_tier(tier, config)
    return _meeting_frequency(config.meeting_targets[tier], max(0, activity.meetings))


@lru_cache(maxsize=4096, typed=True)
def _meeting_frequency(target: int, meetings: int) -> FactorScore:
    # Cached (a FactorScore is immutable): a portfolio's executives share a handful of (target, count) pairs.
    score = _clamp_factor(MAX_FACTOR * min(meetings / target, 1.0))
    return FactorScore("meeting_frequency", FACTOR_LABELS["meeting_frequency"], score,
                       f"Target {target}: Actual {meetings}")


def average_reply_days(activity: SponsorActivity, config: ScoringConfig = DEFAULT_CONFIG) -> float | None:
    """Mean days to respond over the window's outbound: (reply_days_total + unanswered x
    cap) / outbound, clamped to 0..cap; ``None`` when there was no outbound."""
    if activity.outbound <= 0:
        return None
    cap = config.reply_cap_days
    unanswered = max(0, activity.unanswered)
    avg = (activity.reply_days_total + unanswered * cap) / activity.outbound
    return min(max(avg, 0.0), cap)


def responsiveness(activity: SponsorActivity, *, config: ScoringConfig = DEFAULT_CONFIG) -> FactorScore:
    """25 x (cap - avg) / (cap - grace), clamped 0..25, avg from :func:`average_reply_days`.

    With the defaults (cap 14, grace 1): avg <= 1 day -> 25, 2.4 days -> 22,
    7 days -> 13, 14 days (or nothing answered) -> 0.  No outbound in the window ->
    ``no_outreach_points`` (12), note ``no outreach to answer``.
    Note ``avg 2.4 days to respond`` plus ``, N unanswered`` when any.
    """
    avg = average_reply_days(activity, config)
    key, label = "responsiveness", FACTOR_LABELS["responsiveness"]
    if avg is None:
        return FactorScore(key, label, config.no_outreach_points, "no outreach to answer")
    cap, grace = config.reply_cap_days, config.reply_grace_days
    score = _clamp_factor(MAX_FACTOR * (cap - avg) / (cap - grace))
    note = f"avg {avg:.1f} days to respond"
    if activity.unanswered > 0:
        note += f", {activity.unanswered} unanswered"
    return FactorScore(key, label, score, note)


def qbr_attendance(activity: SponsorActivity, qbrs_held: int, *, config: ScoringConfig = DEFAULT_CONFIG
                   ) -> FactorScore:
    """25 x attended / held (attended capped at held).  No QBR held -> 0 points,
    note ``0/0 QBRs (none held)``; otherwise note ``3/4 QBRs``."""
    held = max(0, qbrs_held)
    return _qbr_attendance(min(max(0, activity.qbrs_attended), held), held)


@lru_cache(maxsize=4096, typed=True)
def _qbr_attendance(attended: int, held: int) -> FactorScore:
    # Cached like _meeting_frequency: few (attended, held) pairs occur.
    key, label = "qbr_attendance", FACTOR_LABELS["qbr_attendance"]
    if held == 0:
        return FactorScore(key, label, 0, "0/0 QBRs (none held)")
    return FactorScore(key, label, _clamp_factor(MAX_FACTOR * attended / held), f"{attended}/{held} QBRs")


@lru_cache(maxsize=4096)
def _norm_str(text: str) -> str:
    return " ".join(text.casefold().split())


def _norm(text: str) -> str:
    # Cached: the same few priority and status strings come back for every executive of an account.
    return _norm_str(str(text))


def _own_priorities(priorities) -> frozenset[str]:
    """A contact's priorities, normalised, without the empty ones (cached: executives pick theirs from a
    short list; the bench's 25,000 have 56 different ones)."""
    try:
        return _own_priorities_of(tuple(priorities))
    except TypeError:           # an unhashable priority (odd CRM data): worked out uncached
        return frozenset(p for p in map(_norm, priorities) if p)


@lru_cache(maxsize=4096)
def _own_priorities_of(priorities: tuple) -> frozenset[str]:
    return frozenset(p for p in map(_norm, priorities) if p)


@fast_init
@dataclass(frozen=True, slots=True)
class AccountAlignment:
    """The account's share of the alignment factor, the same for each of its contacts: the initiative
    and goal parts (0..1) with their notes, the account's priorities (normalised), and the sums of part x
    weight and of the weights over those parts, in their order (each contact adds its priorities part)."""

    parts: tuple[tuple[str, float], ...]
    notes: tuple[str, ...]
    their_priorities: frozenset[str]
    weighted: float = 0.0
    weight: float = 0.0


def account_alignment(alignment: Iterable[AlignmentFact], goals: Iterable[GoalFact], *,
                      config: ScoringConfig = DEFAULT_CONFIG) -> AccountAlignment:
    """The initiatives and goals parts of :func:`strategic_alignment` for one account (worked out
    once per account; each contact adds its own priorities)."""
    alignment = tuple(alignment)
    parts: list[tuple[str, float]] = []
    notes: list[str] = []

    if alignment:
        credits = []
        for a in alignment:
            rating = _norm(a.alignment)
            if rating not in config.alignment_values:
                raise ValueError(f"unknown alignment rating {a.alignment!r} for {a.our_initiative!r}")
            credits.append(config.alignment_values[rating])
        parts.append(("initiatives", sum(credits) / len(credits)))
        high = sum(1 for a in alignment if _norm(a.alignment) == "high")
        notes.append(f"High on {high}/{len(alignment)} initiatives")

    goal_credits = []
    for g in goals:
        credit = config.goal_status_values.get(_norm(g.status))
        if credit is None and g.progress is not None:
            credit = min(max(g.progress, 0.0), 1.0)
        if credit is not None:
            goal_credits.append(credit)
    if goal_credits:
        value = sum(goal_credits) / len(goal_credits)
        parts.append(("goals", value))
        notes.append(f"goals {round_half_up(100 * value)}% on track")
    weights = [config.alignment_weights.get(k, 0.0) for k, _ in parts]
    return AccountAlignment(tuple(parts), tuple(notes), frozenset(_norm(a.their_priority) for a in alignment),
                            sum(v * w for (_, v), w in zip(parts, weights)), sum(weights))


def strategic_alignment(
    contact: ContactFact,
    alignment: Iterable[AlignmentFact],
    goals: Iterable[GoalFact],
    *,
    config: ScoringConfig = DEFAULT_CONFIG,
    account: AccountAlignment | None = None,
) -> FactorScore:
    """25 x weighted mean of three parts, each 0..1, over the parts that have data:

    * initiatives (weight 0.5): mean credit of the account's initiative<->priority rows,
      high 1, medium 0.5, low 0;
    * goals (weight 0.3): mean credit of the account's goals by status, done/on_track 1,
      at_risk 0.5, off_track 0 (a goal with another status counts its progress 0..1, and
      is skipped when it has none);
    * priorities (weight 0.2): share of the contact's own ``priorities`` that appear among
      the account's ``their_priority`` values (case- and whitespace-insensitive match).

    Weights are renormalised over the parts present; no part present -> 0 points, note
    ``no initiatives, goals or priorities recorded``.  Note e.g.
    ``High on 2/3 initiatives; goals 55% on track; 1/2 own priorities addressed``.
    ``account``: the account's parts already worked out (:func:`account_alignment` of the same
    ``alignment``, ``goals`` and ``config``), so a portfolio works them out once per account.
    """
    key, label = "strategic_alignment", FACTOR_LABELS["strategic_alignment"]
    if account is None:
        account = account_alignment(alignment, goals, config=config)
    notes, weighted, total_weight = account.notes, account.weighted, account.weight

    own = _own_priorities(contact.priorities)
    if own:
        matched = len(own & account.their_priorities)
        w = config.alignment_weights.get("priorities", 0.0)
        weighted += matched / len(own) * w
        total_weight += w
        notes = (*notes, f"{matched}/{len(own)} own priorities addressed")

    if not (account.parts or own) or total_weight <= 0:
        note = "; ".join(notes) if notes else "no initiatives, goals or priorities recorded"
        return FactorScore(key, label, 0, note)
    return FactorScore(key, label, _clamp_factor(MAX_FACTOR * (weighted / total_weight)), "; ".join(notes))


# --- one sponsor -----------------------------------------------------------------

def _band_level(total: int, config: ScoringConfig) -> str:
    if total >= config.champion_band:
        return "Champion"
    if total >= config.engaged_band:
        return "Engaged"
    if total >= config.passive_band:
        return "Passive"
    return "Disengaged"


def score_sponsor(
    contact: ContactFact,
    activity: SponsorActivity,
    account: AccountFacts,
    *,
    as_of: date,
    config: ScoringConfig = DEFAULT_CONFIG,
    alignment: AccountAlignment | None = None,
) -> ScoreBreakdown:
    """The four factors, the level and its reasons for one contact (``alignment``: the account's
    share of the alignment factor when already worked out, see :func:`account_alignment`).

    Level, first rule that applies:
    1. Unknown - no interaction ever recorded (``activity.has_data`` is false).
    2. Disengaged - any of: the contact has departed; no direct contact for more than
       ``no_direct_contact_days`` (180; exactly 180 days is still fine) or none on record;
       total < ``passive_band`` (all that apply are listed in ``reasons``).
    3. Champion - total >= ``champion_band`` and an advocacy signal in the window
       (``advocacy_signals`` > 0 or ``qbrs_attended`` > 0); without one, Engaged.
    4. Engaged - total >= ``engaged_band``; 5. Passive - total >= ``passive_band``.
    """
    meetings = meeting_frequency(activity, account.tier, config=config)
    replies = responsiveness(activity, config=config)
    qbrs = qbr_attendance(activity, account.qbrs_held, config=config)
    aligned = strategic_alignment(contact, account.alignment, account.goals, config=config, account=alignment)
    factors = (meetings, replies, qbrs, aligned)
    total = meetings.score + replies.score + qbrs.score + aligned.score
    reasons: list[str] = []

    if not activity.has_data:
        level = "Unknown"
        reasons.append("No interactions recorded with this contact")
    else:
        if not contact.is_active:
            reasons.append("Contact has departed")
        limit = config.no_direct_contact_days
        if activity.last_direct_contact is None:
            reasons.append("No direct contact on record (meeting, inbound or reply)")
        else:
            days = (as_of - activity.last_direct_contact).days
            if days > limit:
                reasons.append(f"No direct contact for {days} days (limit {limit})")
        if total < config.passive_band:
            reasons.append(f"Score {total} is below the Passive band ({config.passive_band})")
        if reasons:
            level = "Disengaged"
        else:
            level = _band_level(total, config)
            if level == "Champion":
                window = f"the last {config.window_days} days"
                signals = []
                if activity.advocacy_signals > 0:
                    signals.append(f"{activity.advocacy_signals} referral/advocacy")
                if activity.qbrs_attended > 0:
                    signals.append(f"{activity.qbrs_attended} QBR(s) attended")
                if signals:
                    reasons.append(f"Score {total} >= {config.champion_band} with advocacy in {window} "
                                   f"({', '.join(signals)})")
                else:
                    level = "Engaged"
                    reasons.append(f"Score {total} >= {config.champion_band} but no advocacy signal "
                                   f"(referral, advocacy or QBR) in {window}")
            elif level == "Engaged":
                reasons.append(f"Score {total} is in the Engaged band ({config.engaged_band}+)")
            else:
                reasons.append(f"Score {total} is in the Passive band "
                               f"({config.passive_band}-{config.engaged_band - 1})")
    return ScoreBreakdown(contact_id=contact.id, factors=factors, level=level,
                          risk=RISK_BY_LEVEL[level], reasons=tuple(reasons))


# --- one account ------------------------------------------------------------------

def _fmt(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def score_account(
    facts: AccountFacts,
    *,
    as_of: date,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> AccountEngagement:
    """Score every executive (and every named sponsor), active or departed, and the account.

    Scored contacts: ``is_executive`` or ``is_sponsor``, listed primary first, then
    backups, then the rest in input order; missing activity counts as an empty
    ``SponsorActivity``.

    Overall score, over the *active* scored contacts that have data (a contact never
    interacted with carries no evidence and is left out; it shows as Unknown):
    * active primary with data and others: ``primary_weight`` (0.5) x primary +
      (1 - 0.5) x mean(others);
    * only the primary: the primary's score;
    * no active primary with data: mean of the active contacts with data;
    * nobody with data: 0.
    Rounded half up.

    A contact named by a confirmed ``departure`` org change on or before ``as_of`` counts as
    departed, whatever its CRM status says.

    Overall level: Unknown (Critical) when no active contact ``is_sponsor`` or no active
    scored contact has data; otherwise the score bands, where Champion additionally
    requires the primary sponsor's own level to be Champion (else Engaged).
    """
    # A confirmed departure (LinkedIn, news, a webhook) counts before the CRM's status catches up.
    facts = facts.with_confirmed_departures(as_of)
    rank = {"primary": 0, "backup": 1}
    scored = sorted((c for c in facts.contacts if c.is_executive or c.is_sponsor),
                    key=lambda c: rank.get(c.sponsor, 2))
    # The account's share of the alignment factor, once for all its contacts.
    alignment = account_alignment(facts.alignment, facts.goals, config=config) if scored else None
    breakdowns = []
    by_id = {}
    for c in scored:
        activity = facts.activity.get(c.id) or SponsorActivity()
        b = score_sponsor(c, activity, facts, as_of=as_of, config=config, alignment=alignment)
        breakdowns.append(b)
        by_id[c.id] = (c, activity, b)

    with_data = [(c, b) for c, a, b in by_id.values() if c.is_active and a.has_data]
    primary = next(((c, b) for c, b in with_data if c.sponsor == "primary"), None)
    others = [(c, b) for c, b in with_data if primary is None or c.id != primary[0].id]

    if not with_data:
        score, method = 0, "No interaction data for any active executive"
    elif primary and others:
        w = config.primary_weight
        mean_others = sum(b.total for _, b in others) / len(others)
        score = round_half_up(w * primary[1].total + (1 - w) * mean_others)
        method = (f"{_fmt(100 * w)}% primary sponsor {primary[0].name} ({primary[1].total}) + "
                  f"{_fmt(100 * (1 - w))}% mean of {len(others)} other active executive(s) "
                  f"({_fmt(mean_others)}) = {score}")
    elif primary:
        score = primary[1].total
        method = f"Primary sponsor {primary[0].name} only ({score})"
    else:
        score = round_half_up(sum(b.total for _, b in with_data) / len(with_data))
        method = f"No active primary sponsor with data: mean of {len(with_data)} active executive(s) = {score}"
    score = max(0, min(100, score))

    has_sponsor = any(c.is_active and c.is_sponsor for c in scored)
    if not has_sponsor:
        level = "Unknown"
        method += "; no active executive sponsor identified"
    elif not with_data:
        level = "Unknown"
    else:
        level = _band_level(score, config)
        if level == "Champion" and not (primary and primary[1].level == "Champion"):
            level = "Engaged"
            method += "; Champion needs the primary sponsor to be Champion"

    return AccountEngagement(
        account_id=facts.id, score=score, level=level, risk=RISK_BY_LEVEL[level],
        sponsors=tuple(breakdowns),
        cadence=cadence_status(facts.tier, facts.last_exec_touch, as_of=as_of, config=config),
        method=method,
    )
