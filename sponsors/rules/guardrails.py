"""Guardrails: plain rules over plain facts (alert codes: ``sponsors/rules/alert_codes.py``).

Everything here is a pure function of the records in ``sponsors.rules.facts`` plus an ``as_of`` date
and the ``RulesConfig``: no Django, no ORM, no clock.  Callers (services, Celery tasks, views) build
the facts, call these functions and act on what they return (alerts, escalation mail).

Each rule is one function registered with ``@guardrail(code)`` for a code of the registry; it takes
an :class:`Evaluation` and returns its findings.  ``evaluate_account`` runs every registered rule.

The spec's guardrails and where they live:

1. Alert if no executive contact in 90 days for enterprise -> ``no_exec_contact_90d``
2. Require backup sponsor identification for all accounts   -> ``no_backup_sponsor``
3. Track organizational changes via LinkedIn/news           -> ``org_change`` (+ ``rules.triage``)
4. Never contact executives for operational issues          -> ``operational_exec_contact``
                                                               (+ ``rules.outreach.check_touchpoint``)
5. Coordinate executive outreach with account team          -> ``rules.outreach.outreach_conflicts``
6. Escalate immediately on sponsor departure                -> ``sponsor_departed``
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from accounts.vocabulary import ENGAGED_LEVELS, TIER_LABELS, as_date, days_between, lower_severity, severity_rank

from .alert_codes import ALERT_CODES, alert_code
from .config import RulesConfig
from .facts import AccountEngagement, AccountFacts, ContactFact, Finding
from .succession import with_due_on

DEFAULT_RULES = RulesConfig()


def sort_findings(findings: Iterable) -> list:
    """Most severe first, then by code, then by subject (stable output for reports and tests)."""
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), f.code, f.subject))


# --- the rule registry ------------------------------------------------------------------------

@dataclass(frozen=True)
class Evaluation:
    """What every rule sees: the facts, the score (None: score-based rules skip), the date, the config,
    and who has left by ``as_of`` (``AccountFacts.departures``, the one rule of it)."""

    facts: AccountFacts
    engagement: AccountEngagement | None
    as_of: date
    config: RulesConfig
    departures: dict                    # contact id -> confirmed departure change (AccountFacts.confirmed_departures)
    present: tuple[ContactFact, ...]    # contacts who have not left

    @property
    def cadence_days(self) -> int:
        return self.config.cadence_days(self.facts.tier)


RULES: list[tuple[str, Callable[[Evaluation], list[Finding]]]] = []


def guardrail(code: str):
    """Register a rule function for ``code`` (which must be in the alert-code registry)."""
    alert_code(code)

    def register(rule):
        RULES.append((code, rule))
        return rule

    return register


def evaluate_account(
    facts: AccountFacts,
    engagement: AccountEngagement | None,
    *,
    as_of: date,
    config: RulesConfig = DEFAULT_RULES,
) -> list[Finding]:
    """All guardrail findings for one account as of a date, most severe first.

    ``engagement`` is the account's score (``sponsors.rules.scoring.score_account``); without it the
    score-based codes (``sponsor_disengaged``, ``single_threaded``) are skipped.  A contact who has
    left by ``as_of`` (``AccountFacts.departures``) counts for no sponsor, backup or engaged executive,
    even before the CRM catches up.
    """
    config.cadence_days(facts.tier)  # fails early on an unknown tier
    gone = facts.departures(as_of)
    evaluation = Evaluation(
        facts=facts, engagement=engagement, as_of=as_of, config=config,
        departures=facts.confirmed_departures(as_of),
        present=tuple(c for c in facts.contacts if c.id not in gone),
    )
    findings: list[Finding] = []
    for _code, rule in RULES:
        findings += rule(evaluation)
    return sort_findings(findings)


def _name(contact: ContactFact | None, contact_id) -> str:
    return contact.name if contact is not None else f"contact {contact_id}"


def _names(contacts: Iterable[ContactFact]) -> list[str]:
    return [c.name for c in contacts]


# --- the rules, one per code -------------------------------------------------------------------

# Org changes that concern the whole account even without a named contact.
ACCOUNT_WIDE_KINDS = frozenset({"reorg", "acquisition", "layoffs"})

# Severity of an ``org_change`` finding by kind; one step lower when the source's confidence is
# below ``org_change_certain_confidence`` (0.9) and no person has confirmed it.  Departures of primary/backup
# sponsors are ``sponsor_departed`` (critical) instead and never appear here.
ORG_CHANGE_SEVERITY = {
    "departure": "high",        # an executive (not a sponsor) left: one thread less
    "reorg": "high",            # reporting lines and budgets move
    "acquisition": "high",      # new owners re-decide vendors
    "promotion": "medium",      # more influence: re-brief, maybe a sponsor candidate
    "role_change": "medium",    # priorities move with the role
    "layoffs": "medium",        # budget pressure, renewal risk
    "new_executive": "low",     # an opportunity: introduce ourselves
}
UNKNOWN_KIND_SEVERITY = "medium"


def _finding(code: str, **kw) -> Finding:
    """A finding of ``code``; escalation comes from the registry."""
    return Finding(code=code, escalate=ALERT_CODES[code].escalates, **kw)


@guardrail("sponsor_departed")
def sponsor_departed(ev: Evaluation) -> list[Finding]:
    facts, response_days = ev.facts, ev.config.guardrails.departure_response_days
    due_on = ev.as_of + timedelta(days=response_days)
    present_ids = {c.id for c in ev.present}
    out = []
    for c in facts.contacts:
        if c.sponsor not in ("primary", "backup"):
            continue
        change = ev.departures.get(c.id)
        if c.status != "departed" and change is None:
            continue
        evidence = []
        if c.status == "departed":
            evidence.append("status departed")
        if change is not None:
            evidence.append(f"departure confirmed on {as_date(change.occurred_on).isoformat()} via {change.source}")
        backups = [b for b in facts.contacts if b.sponsor == "backup" and b.id in present_ids and b.id != c.id]
        primaries = [p for p in facts.contacts if p.sponsor == "primary" and p.id in present_ids and p.id != c.id]
        details = {
            "sponsor_role": c.sponsor,
            "contact_name": c.name,
            "title": c.title,
            "status": c.status,
            "evidence": " and ".join(evidence),
            "org_change_id": change.id if change is not None else None,
            "departed_on": as_date(change.occurred_on).isoformat() if change is not None else None,
            "response_days": response_days,
            "backup_sponsors": _names(backups),
            "primary_sponsors": _names(primaries),
            # The backup proposed as the new primary (by id): the first active backup of a departed primary.
            "proposed_primary_id": backups[0].id if c.sponsor == "primary" and backups else None,
            "proposed_primary_name": backups[0].name if c.sponsor == "primary" and backups else None,
            "tier": facts.tier,
            "cadence_days": ev.cadence_days,
        }
        out.append(with_due_on(_finding(
            "sponsor_departed", severity="critical", message="", subject=f"contact:{c.id}", contact_id=c.id,
            org_change_id=details["org_change_id"], details=details), due_on, account_name=facts.name))
    return out


@guardrail("no_sponsor")
def no_sponsor(ev: Evaluation) -> list[Finding]:
    if any(c.is_sponsor for c in ev.present):
        return []
    present_ids = {c.id for c in ev.present}
    departed = [c for c in ev.facts.contacts if c.is_sponsor and c.id not in present_ids]
    return [_finding(
        "no_sponsor", severity="critical",
        message=f"No active executive sponsor identified for {ev.facts.name}",
        details={
            "active_contacts": len(ev.present),
            "active_executives": sum(1 for c in ev.present if c.is_executive),
            "departed_sponsors": _names(departed),
        },
    )]


@guardrail("no_backup_sponsor")
def no_backup_sponsor(ev: Evaluation) -> list[Finding]:
    """No active backup sponsor.  An account with no sponsor at all has ``no_sponsor`` (critical), which says
    it already: this rule stays quiet then, rather than raise a second alert about the same gap."""
    if any(c.sponsor == "backup" for c in ev.present) or not any(c.is_sponsor for c in ev.present):
        return []
    primaries = [c for c in ev.present if c.sponsor == "primary"]
    present_ids = {c.id for c in ev.present}
    departed = [c for c in ev.facts.contacts if c.sponsor == "backup" and c.id not in present_ids]
    suffix = f" (primary: {', '.join(_names(primaries))})" if primaries else ""
    return [_finding(
        "no_backup_sponsor", severity="medium",
        message=f"No active backup sponsor at {ev.facts.name}{suffix}",
        details={"active_backup_sponsors": 0, "departed_backup_sponsors": _names(departed)},
    )]


@guardrail("no_exec_contact_90d")
def no_exec_contact(ev: Evaluation) -> list[Finding]:
    facts = ev.facts
    if facts.tier != "enterprise":
        return []
    limit = ev.config.guardrails.enterprise_no_contact_days
    last = facts.last_exec_touch
    days = None if last is None else days_between(last, ev.as_of)
    if days is not None and days <= limit:
        return []
    if days is None:
        message = f"No executive contact at {facts.name} on record (enterprise limit {limit} days)"
    else:
        message = f"No executive contact at {facts.name} for {days} days (enterprise limit {limit})"
    return [_finding(
        "no_exec_contact_90d", severity="high", message=message,
        details={
            "days_since": days,
            "limit_days": limit,
            "last_exec_touch": as_date(last).isoformat() if last is not None else None,
        },
    )]


@guardrail("cadence_overdue")
def cadence_overdue(ev: Evaluation) -> list[Finding]:
    facts, cadence = ev.facts, ev.cadence_days
    last = facts.last_exec_touch
    days = None if last is None else days_between(last, ev.as_of)
    label = TIER_LABELS[facts.tier]
    if days is None:
        severity = "high"
        message = f"No executive touchpoint on record at {facts.name} ({label} cadence {cadence} days)"
    elif days > 2 * cadence:
        severity = "high"
        message = (f"Executive touchpoint overdue at {facts.name}: {days} days since the last one "
                   f"({label} cadence {cadence} days, more than twice the cadence)")
    elif days > cadence:
        severity = "medium"
        message = (f"Executive touchpoint overdue at {facts.name}: {days} days since the last one "
                   f"({label} cadence {cadence} days)")
    else:
        return []
    return [_finding(
        "cadence_overdue", severity=severity, message=message,
        details={
            "days_since": days,
            "cadence_days": cadence,
            "last_exec_touch": as_date(last).isoformat() if last is not None else None,
            "was_due_on": (as_date(last) + timedelta(days=cadence)).isoformat() if last is not None else None,
        },
    )]


@guardrail("sponsor_disengaged")
def sponsor_disengaged(ev: Evaluation) -> list[Finding]:
    if ev.engagement is None:
        return []
    config = ev.config.guardrails
    scores = {b.contact_id: b for b in ev.engagement.sponsors}
    out = []
    for c in ev.present:
        breakdown = scores.get(c.id)
        if c.sponsor != "primary" or breakdown is None:
            continue
        score = breakdown.total
        previous = ev.facts.previous_scores.get(c.id)
        drop = None if previous is None else previous - score
        reasons = []
        if breakdown.level == "Disengaged":
            reasons.append(f"level Disengaged (score {score})")
        if drop is not None and drop >= config.score_drop_points:
            reasons.append(f"score fell {drop} points in {config.score_drop_days} days ({previous} -> {score})")
        if not reasons:
            continue
        out.append(_finding(
            "sponsor_disengaged", severity="high",
            message=f"Primary sponsor {c.name} at {ev.facts.name} is disengaging: {'; '.join(reasons)}",
            subject=f"contact:{c.id}",
            contact_id=c.id,
            details={
                "level": breakdown.level,
                "score": score,
                "previous_score": previous,
                "drop": drop,
                "drop_points": config.score_drop_points,
                "drop_days": config.score_drop_days,
            },
        ))
    return out


@guardrail("single_threaded")
def single_threaded(ev: Evaluation) -> list[Finding]:
    if ev.engagement is None:
        return []
    levels = {b.contact_id: b.level for b in ev.engagement.sponsors}
    executives = [c for c in ev.present if c.is_executive or c.is_sponsor]
    engaged = [c for c in executives if levels.get(c.id) in ENGAGED_LEVELS]
    minimum = ev.config.guardrails.min_engaged_executives
    if len(engaged) >= minimum:
        return []
    who = f" ({', '.join(_names(engaged))})" if engaged else ""
    plural = "" if len(engaged) == 1 else "s"
    return [_finding(
        "single_threaded", severity="low",
        message=(f"{ev.facts.name} is single-threaded: {len(engaged)} engaged executive{plural}{who}, "
                 f"at least {minimum} wanted"),
        details={
            "engaged_executives": len(engaged),
            "engaged_names": _names(engaged),
            "active_executives": len(executives),
            "minimum": minimum,
        },
    )]


@guardrail("operational_exec_contact")
def operational_exec_contacts(ev: Evaluation) -> list[Finding]:
    lookback = ev.config.guardrails.operational_lookback_days
    out = []
    for interaction_id, contact_id, when in ev.facts.operational_exec_contacts:
        days = days_between(when, ev.as_of)
        if not 0 <= days <= lookback:
            continue
        name = _name(ev.facts.contact(contact_id), contact_id)
        on = as_date(when).isoformat()
        out.append(_finding(
            "operational_exec_contact", severity="medium",
            message=(f"Operational outreach to executive {name} at {ev.facts.name} on {on} "
                     f"(interaction {interaction_id}); route operational issues to the operational "
                     f"contact or support"),
            subject=f"interaction:{interaction_id}",
            contact_id=contact_id,
            interaction_id=interaction_id,
            details={"interaction_id": interaction_id, "occurred_on": on, "days_ago": days,
                     "lookback_days": lookback},
        ))
    return out


@guardrail("org_change")
def org_changes(ev: Evaluation) -> list[Finding]:
    config, facts = ev.config.guardrails, ev.facts
    out = []
    for ch in facts.org_changes:
        if ch.state != "confirmed":
            continue
        days = days_between(ch.occurred_on, ev.as_of)
        if not 0 <= days <= config.org_change_window_days:
            continue
        contact = facts.contact(ch.contact_id) if ch.contact_id is not None else None
        if ch.kind == "departure" and (ch.sponsor_escalated or (contact is not None and contact.sponsor in (
                "primary", "backup"))):
            continue  # sponsor_departed covers it — or did, before the departed sponsor's role went to a successor
        names_executive = contact is not None and (contact.is_executive or contact.is_sponsor)
        if ch.kind not in ACCOUNT_WIDE_KINDS and not names_executive:
            continue
        base = ORG_CHANGE_SEVERITY.get(ch.kind, UNKNOWN_KIND_SEVERITY)
        uncertain = ch.confidence < config.org_change_certain_confidence and not ch.reviewed
        severity = lower_severity(base) if uncertain else base
        on = as_date(ch.occurred_on).isoformat()
        what = ch.kind.replace("_", " ")
        if contact is not None:
            what += f" of {contact.name}" + (f" ({contact.title})" if contact.title else "")
        headline = f": {ch.headline}" if ch.headline else ""
        out.append(_finding(
            "org_change", severity=severity,
            message=(f"Org change at {facts.name}: {what}{headline} on {on} via {ch.source} "
                     + ("(confirmed on review)" if ch.reviewed else f"(confidence {ch.confidence:.0%})")),
            subject=f"org_change:{ch.id}",
            contact_id=ch.contact_id,
            org_change_id=ch.id,
            details={
                "org_change_id": ch.id,
                "kind": ch.kind,
                "occurred_on": on,
                "days_ago": days,
                "window_days": config.org_change_window_days,
                "source": ch.source,
                "confidence": ch.confidence,
                "base_severity": base,
                "lowered_for_confidence": uncertain,
                "confirmed_on_review": ch.reviewed,
                "headline": ch.headline,
            },
        ))
    return out
