"""Rule-based recommended actions: findings + a little context in, grouped actions out.

The actions of each alert code are declared with the code in the registry
(``sponsors/rules/alert_codes.py``); the report's own context rules are ``CONTEXT_RULES`` here;
``RULES`` is both, in order.  A rule fires on a *key*: either a guardrail finding code or a
context condition named in ``CONDITIONS``.  Each firing produces one recommendation per *binding* (one per finding of
that code, one per low-alignment row, ...); ``action`` and ``reason`` are ``str.format``
templates over the binding plus the context placeholders listed in ``_placeholders``:

    {account} {tier} {cadence} {sponsor} {channel} {backup} {backups} {lead} (whom to meet: the sponsor, else
    the backup, else the most senior executive left) {risk} {renewal_date} {renewal_in_days}
    {no_contact_days} {min_engaged} {multi_thread_target} (from the rules configuration)
    {message} (the finding's message)  {our_initiative} {their_priority} (alignment rows)

``unless`` suppresses a rule when any of the listed keys fires too (e.g. "book the next
1:1 with the sponsor" makes no sense when there is no sponsor).  ``all_clear`` fires only
when nothing else did.

Order is stable: horizon (immediate, short_term, strategic), then the rule's ``rank``, then
the binding's input order.  Recommendations with the same horizon and the
same action text are merged; their distinct reasons are joined with ". ".

To add a rule for an alert code: an ``Action`` in its registry entry; for a new context
condition: a ``Rule`` in ``CONTEXT_RULES`` and a function in ``CONDITIONS``.  The tests check every
key is known and every template formats.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from accounts.vocabulary import AT_RISK_LEVELS, HORIZONS, TIER_LABELS
from reports.report import Recommendation, Recommendations
from sponsors.rules.alert_codes import ALERT_CODES, IMMEDIATE, SHORT_TERM, STRATEGIC, Action
from sponsors.rules.config import RulesConfig

DEFAULT_RULES = RulesConfig()

ALL_CLEAR = "all_clear"


@dataclass(frozen=True, slots=True)
class Rule:
    """An action the report recommends when ``when`` fires: an alert code, or a context condition."""

    when: str                       # an alert code (sponsors/rules/alert_codes.py), a CONDITIONS key, ALL_CLEAR
    horizon: str                    # immediate | short_term | strategic
    rank: int                       # order within the horizon
    action: str                     # template
    reason: str                     # template
    unless: tuple[str, ...] = ()    # keys that suppress this rule when they fire too

    @classmethod
    def of(cls, when: str, a: Action) -> Rule:
        return cls(when, a.horizon, a.rank, a.action, a.reason, a.unless)


def cadence_word(days: int) -> str:
    """The cadence as people say it: ``monthly`` (about 30 days), ``quarterly`` (about 91),
    ``semi-annual`` (about 182), else ``30-day``-style."""
    for word, low, high in (("monthly", 28, 31), ("quarterly", 89, 92), ("semi-annual", 180, 184)):
        if low <= days <= high:
            return word
    return f"{days}-day"


@dataclass(frozen=True, slots=True)
class RecommendationContext:
    """What the rules may mention besides the findings.  All plain values."""

    account_name: str = ""
    tier: str = ""                                  # vocabulary.TIERS
    primary_name: str | None = None
    communication_preference: str = ""
    backup_names: tuple[str, ...] = ()
    remaining_executives: tuple[str, ...] = ()      # active executives without a sponsor role, most senior first
    alignment: tuple = ()                           # rows with our_initiative/their_priority/alignment
    last_qbr_without_exec: bool = False             # the most recent QBR had no executive present
    risk: str = ""                                  # the account's overall risk (RISK_LEVELS)
    renewal_date: str = ""                          # ISO date of the contract's renewal, or ""
    renewal_in_days: int | None = None              # days from the report date to it (None: no renewal date)


# Rules of the report's own context (not alert codes); every alert code's actions are in the registry.
# fmt: off
CONTEXT_RULES: tuple[Rule, ...] = (
    Rule.of("qbr_without_exec", Action(SHORT_TERM, 30,
         "Invite {sponsor} personally to the next QBR",
         "The last QBR had no executive in the room",
         unless=("no_sponsor",))),
    Rule.of("renewal_at_risk_soon", Action(IMMEDIATE, 5,
         "Meet {lead} before the renewal on {renewal_date}: confirm the renewal and what stands in its way",
         "Renewal in {renewal_in_days} days while executive engagement is at {risk} risk",
         unless=("no_executive_left",))),
    Rule.of("renewal_at_risk", Action(SHORT_TERM, 5,
         "Plan the renewal conversation with {lead} well before {renewal_date}",
         "Renewal in {renewal_in_days} days while executive engagement is at {risk} risk",
         unless=("no_executive_left",))),
    Rule.of("low_alignment", Action(SHORT_TERM, 40,
         "Map their priority \"{their_priority}\" to a concrete initiative with {sponsor}",
         "Alignment between \"{our_initiative}\" and \"{their_priority}\" is Low")),
    Rule.of(ALL_CLEAR, Action(STRATEGIC, 90,
         "Keep the {cadence} executive cadence with {sponsor}",
         "Executive engagement is healthy; a steady cadence keeps it that way")),
)
# fmt: on

# Every rule, in the order recommendations are listed: by horizon, then rank.
RULES: tuple[Rule, ...] = tuple(sorted(
    (*(Rule.of(entry.code, action) for entry in ALERT_CODES.values() for action in entry.actions), *CONTEXT_RULES),
    key=lambda rule: (HORIZONS.index(rule.horizon), rule.rank),
))


def _low_alignment(ctx: RecommendationContext) -> list[dict]:
    return [
        {"our_initiative": row.our_initiative, "their_priority": row.their_priority}
        for row in ctx.alignment
        if str(row.alignment).lower() == "low"
    ]


# Context conditions: name -> bindings (an empty list means "does not fire"); each takes (context, config).
def _no_executive_left(ctx: RecommendationContext) -> list[dict]:
    """Nobody to meet: no active primary, backup or other executive (then "identify a sponsor" is the action)."""
    return [] if (ctx.primary_name or ctx.backup_names or ctx.remaining_executives) else [{}]


AT_RISK = frozenset(AT_RISK_LEVELS)


def _renewal_at_risk(ctx: RecommendationContext, config: RulesConfig, *, soon: bool) -> list[dict]:
    """The renewal is ``renewal_urgent_days`` away or less (``soon``), or up to ``renewal_watch_days`` away,
    while the account is at High or Critical risk."""
    days, urgent, watch = ctx.renewal_in_days, config.report.renewal_urgent_days, config.report.renewal_watch_days
    if days is None or days < 0 or ctx.risk not in AT_RISK:
        return []
    return [{}] if (days <= urgent if soon else urgent < days <= watch) else []


CONDITIONS = {
    "qbr_without_exec": lambda ctx, config: [{}] if ctx.last_qbr_without_exec else [],
    "low_alignment": lambda ctx, config: _low_alignment(ctx),
    "no_executive_left": lambda ctx, config: _no_executive_left(ctx),
    "renewal_at_risk_soon": lambda ctx, config: _renewal_at_risk(ctx, config, soon=True),     # act this week
    "renewal_at_risk": lambda ctx, config: _renewal_at_risk(ctx, config, soon=False),         # this quarter
}


def _placeholders(ctx: RecommendationContext, config: RulesConfig) -> dict[str, str]:
    backups = ctx.backup_names
    backup = backups[0] if backups else (ctx.remaining_executives or ("the account's executives",))[0]
    cadence = config.scoring.cadence_days.get(ctx.tier)
    return {
        "account": ctx.account_name or "the account",
        "tier": TIER_LABELS.get(ctx.tier, ctx.tier or "the account's tier"),
        "cadence": cadence_word(cadence) if cadence else "agreed",
        "no_contact_days": str(config.guardrails.enterprise_no_contact_days),
        "min_engaged": _number_word(config.guardrails.min_engaged_executives),
        "multi_thread_target": f"{config.metrics.targets['multi_thread_score']:g}",
        "sponsor": ctx.primary_name or "the executive sponsor",
        "lead": ctx.primary_name or backup,
        "risk": ctx.risk or "unknown",
        "renewal_date": ctx.renewal_date or "the renewal date",
        "renewal_in_days": "" if ctx.renewal_in_days is None else str(ctx.renewal_in_days),
        "channel": ctx.communication_preference or "their preferred channel",
        "backup": backup,
        "backups": ", ".join(backups) if backups else "no backup sponsor",
        "message": "",
        "our_initiative": "",
        "their_priority": "",
    }


def _bindings(findings, ctx: RecommendationContext, config: RulesConfig) -> dict[str, list[dict[str, Any]]]:
    """Every key that fires, with its bindings in input order."""
    fired: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        fired.setdefault(f.code, []).append({"message": f.message})
    for key, condition in CONDITIONS.items():
        bindings = condition(ctx, config)
        if bindings:
            fired[key] = list(bindings)
    if not fired:
        fired[ALL_CLEAR] = [{}]
    return fired


def _number_word(n: int) -> str:
    return ("no", "one", "two", "three", "four", "five")[n] if 0 <= n <= 5 else str(n)


def recommend(
    findings: Iterable,
    context: RecommendationContext | None = None,
    *,
    rules: tuple[Rule, ...] = RULES,
    config: RulesConfig = DEFAULT_RULES,
) -> Recommendations:
    """Grouped, deduplicated recommendations for ``findings`` (``facts.Finding``) in ``context``."""
    ctx = context or RecommendationContext()
    fired = _bindings(tuple(findings), ctx, config)
    base = _placeholders(ctx, config)
    merged: dict[tuple[str, str], tuple[Recommendation, list[str]]] = {}
    for horizon in HORIZONS:
        for rule in sorted(rules, key=lambda r: r.rank):
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
