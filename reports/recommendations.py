"""Rule-based recommended actions: findings + a little context in, grouped actions out.

All rules live in ``RULES``, one plain-data table.  A rule fires on a *key*: either a
guardrail finding code (DESIGN.md alert codes) or a context condition named in
``CONDITIONS``.  Each firing produces one recommendation per *binding* (one per finding of
that code, one per low-alignment row, ...); ``action`` and ``reason`` are ``str.format``
templates over the binding plus the context placeholders listed in ``_placeholders``:

    {account} {tier} {cadence} {sponsor} {channel} {backup} {backups}
    {message} (the finding's message)  {our_initiative} {their_priority} (alignment rows)

``unless`` suppresses a rule when any of the listed keys fires too (e.g. "book the next
1:1 with the sponsor" makes no sense when there is no sponsor).  ``all_clear`` fires only
when nothing else did.

Order is stable: horizon (immediate, short_term, strategic), then the rule's position in
the table, then the binding's input order.  Recommendations with the same horizon and the
same action text are merged; their distinct reasons are joined with ". ".

To add a rule: append a ``Rule`` to ``RULES`` (and, for a new context condition, a function
to ``CONDITIONS``).  The tests check every key is known and every template formats.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reports.report import HORIZONS, Recommendation, Recommendations
from sponsors.facts import TIER_LABELS

IMMEDIATE, SHORT_TERM, STRATEGIC = HORIZONS

ALERT_CODES = (
    "no_sponsor", "sponsor_departed", "no_exec_contact_90d", "cadence_overdue",
    "no_backup_sponsor", "sponsor_disengaged", "single_threaded",
    "operational_exec_contact", "org_change",
)
ALL_CLEAR = "all_clear"
CADENCE_WORDS = {"enterprise": "monthly", "mid_market": "quarterly", "smb": "semi-annual"}


@dataclass(frozen=True, slots=True)
class Rule:
    when: str                       # a finding code (ALERT_CODES) or a CONDITIONS key / ALL_CLEAR
    horizon: str                    # immediate | short_term | strategic
    action: str                     # template
    reason: str                     # template
    unless: tuple[str, ...] = ()    # keys that suppress this rule when they fire too


@dataclass(frozen=True, slots=True)
class RecommendationContext:
    """What the rules may mention besides the findings.  All plain values."""

    account_name: str = ""
    tier: str = ""                                  # facts.TIERS
    primary_name: str | None = None
    communication_preference: str = ""
    backup_names: tuple[str, ...] = ()
    alignment: tuple = ()                           # rows with our_initiative/their_priority/alignment
    last_qbr_without_exec: bool = False             # the most recent QBR had no executive present


# fmt: off
RULES: tuple[Rule, ...] = (
    # --- immediate (this week) ---
    Rule("no_sponsor", IMMEDIATE,
         "Identify an executive sponsor for {account} this week",
         "No active executive sponsor is identified; without one there is no executive voice "
         "for the partnership (risk Critical)"),
    Rule("sponsor_departed", IMMEDIATE,
         "Meet {backup} this week to secure continuity",
         "Sponsor departure must be escalated at once: {message}"),
    Rule("operational_exec_contact", IMMEDIATE,
         "Route operational issues to the operational contacts, not to executives",
         "Executives are never contacted for operational issues: {message}"),
    Rule("no_exec_contact_90d", IMMEDIATE,
         "Book the next 1:1 with {sponsor} via {channel}",
         "No executive contact in the last 90 days on an Enterprise account",
         unless=("no_sponsor",)),
    Rule("cadence_overdue", IMMEDIATE,
         "Book the next 1:1 with {sponsor} via {channel}",
         "The {cadence} executive cadence is overdue: {message}",
         unless=("no_sponsor",)),
    # --- short-term (this quarter) ---
    Rule("sponsor_departed", SHORT_TERM,
         "Brief the new sponsor on goals, value delivered and open initiatives",
         "A new sponsor needs the partnership's context to champion it"),
    Rule("sponsor_disengaged", SHORT_TERM,
         "Run a re-engagement plan with {sponsor}: a value review tied to their priorities, "
         "then a standing 1:1",
         "Executive engagement is slipping: {message}",
         unless=("no_sponsor",)),
    Rule("qbr_without_exec", SHORT_TERM,
         "Invite {sponsor} personally to the next QBR",
         "The last QBR had no executive in the room",
         unless=("no_sponsor",)),
    Rule("low_alignment", SHORT_TERM,
         "Map their priority \"{their_priority}\" to a concrete initiative with {sponsor}",
         "Alignment between \"{our_initiative}\" and \"{their_priority}\" is Low"),
    Rule("no_backup_sponsor", SHORT_TERM,
         "Name a backup sponsor next to {sponsor}",
         "Every account needs a backup sponsor so one departure cannot leave it without "
         "an executive relationship"),
    Rule("org_change", SHORT_TERM,
         "Review the org change with the account team and update the sponsor map",
         "{message}"),
    # --- strategic (long-term) ---
    Rule("single_threaded", STRATEGIC,
         "Multi-thread: build a relationship with a second executive",
         "Fewer than two engaged executives; the target is more than 1.5 per account"),
    Rule(ALL_CLEAR, STRATEGIC,
         "Keep the {cadence} executive cadence with {sponsor}",
         "Executive engagement is healthy; a steady cadence keeps it that way"),
)
# fmt: on


def _low_alignment(ctx: RecommendationContext) -> list[dict]:
    return [
        {"our_initiative": row.our_initiative, "their_priority": row.their_priority}
        for row in ctx.alignment
        if str(row.alignment).lower() == "low"
    ]


# Context conditions: name -> bindings (an empty list means "does not fire").
CONDITIONS = {
    "qbr_without_exec": lambda ctx: [{}] if ctx.last_qbr_without_exec else [],
    "low_alignment": _low_alignment,
}


def _placeholders(ctx: RecommendationContext) -> dict[str, str]:
    backups = ctx.backup_names
    return {
        "account": ctx.account_name or "the account",
        "tier": TIER_LABELS.get(ctx.tier, ctx.tier or "the account's tier"),
        "cadence": CADENCE_WORDS.get(ctx.tier, "agreed"),
        "sponsor": ctx.primary_name or "the executive sponsor",
        "channel": ctx.communication_preference or "their preferred channel",
        "backup": backups[0] if backups else "the most senior remaining executive",
        "backups": ", ".join(backups) if backups else "no backup sponsor",
        "message": "",
        "our_initiative": "",
        "their_priority": "",
    }


def _bindings(findings, ctx: RecommendationContext) -> dict[str, list[dict[str, Any]]]:
    """Every key that fires, with its bindings in input order."""
    fired: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        fired.setdefault(f.code, []).append({"message": f.message})
    for key, condition in CONDITIONS.items():
        bindings = condition(ctx)
        if bindings:
            fired[key] = list(bindings)
    if not fired:
        fired[ALL_CLEAR] = [{}]
    return fired


def recommend(
    findings: Iterable,
    context: RecommendationContext | None = None,
    *,
    rules: tuple[Rule, ...] = RULES,
) -> Recommendations:
    """Grouped, deduplicated recommendations for ``findings`` (``facts.Finding``) in ``context``."""
    ctx = context or RecommendationContext()
    fired = _bindings(tuple(findings), ctx)
    base = _placeholders(ctx)
    merged: dict[tuple[str, str], tuple[Recommendation, list[str]]] = {}
    for horizon in HORIZONS:
        for rule in rules:
            if rule.horizon != horizon or rule.when not in fired:
                continue
            if any(key in fired for key in rule.unless):
                continue
            for binding in fired[rule.when]:
                values = {**base, **binding}
                action = rule.action.format_map(values)
                reason = rule.reason.format_map(values).rstrip(": ")
                key = (horizon, action)
                if key not in merged:
                    merged[key] = (Recommendation(action=action, reason="", code=rule.when), [])
                reasons = merged[key][1]
                if reason and reason not in reasons:
                    reasons.append(reason)
    grouped: dict[str, list[Recommendation]] = {h: [] for h in HORIZONS}
    for (horizon, _action), (rec, reasons) in merged.items():
        grouped[horizon].append(
            Recommendation(action=rec.action, reason=". ".join(reasons), code=rec.code)
        )
    return Recommendations(**{h: tuple(recs) for h, recs in grouped.items()})
