"""Guardrails: plain rules over plain facts (see DESIGN.md, "Alert codes").

Everything here is a pure function of the records in ``sponsors.facts`` plus an
``as_of`` date and a ``GuardrailConfig``: no Django, no ORM, no clock.  Callers
(selectors, Celery tasks, views) build the facts, call these functions and act on
what they return (alerts, escalation mail, refusals in the UI/API).

The spec's guardrails and where they live:

1. Alert if no executive contact in 90 days for enterprise -> ``no_exec_contact_90d``
2. Require backup sponsor identification for all accounts   -> ``no_backup_sponsor``
3. Track organizational changes via LinkedIn/news           -> ``org_change`` + triage helpers
4. Never contact executives for operational issues          -> ``check_touchpoint``,
                                                               ``operational_exec_contact``
5. Coordinate executive outreach with account team          -> ``outreach_conflicts``
6. Escalate immediately on sponsor departure                -> ``sponsor_departed``
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from types import MappingProxyType

from .facts import (
    DIRECTIONS,
    PURPOSES,
    SEVERITIES,
    TIER_LABELS,
    TIERS,
    AccountEngagement,
    AccountFacts,
    ContactFact,
    Finding,
    OrgChangeFact,
)

# --- configuration -------------------------------------------------------------------

DEFAULT_CADENCE_DAYS = {"enterprise": 30, "mid_market": 91, "smb": 182}


@dataclass(frozen=True)
class GuardrailConfig:
    """Tunable thresholds (settings: ``GuardrailConfig.from_mapping(settings_dict)``)."""

    enterprise_no_contact_days: int = 90     # guardrail 1: alert when MORE days have passed
    cadence_days: Mapping[str, int] = field(  # maximum days between executive touchpoints
        default_factory=lambda: dict(DEFAULT_CADENCE_DAYS), hash=False
    )
    score_drop_points: int = 15              # sponsor_disengaged when the score fell by >= this ...
    score_drop_days: int = 30                # ... compared with the score this many days earlier
    org_change_window_days: int = 90         # how far back a confirmed org change still alerts
    low_confidence_threshold: float = 0.7    # below: needs CSM confirmation, never alerts by itself
    org_change_certain_confidence: float = 0.9  # below: org_change severity one step lower
    outreach_conflict_days: int = 7          # guardrail 5: other planners within +/- this many days
    departure_response_days: int = 2         # guardrail 6: the escalation is due this many days later
    operational_lookback_days: int = 365     # operational_exec_contact looks back this far
    min_engaged_executives: int = 2          # single_threaded below this many Champion/Engaged execs

    def __post_init__(self):
        cadence = dict(self.cadence_days)
        unknown = sorted(set(cadence) - set(TIERS))
        if unknown:
            raise ValueError(f"unknown tier in cadence_days: {unknown[0]!r} (tiers: {', '.join(TIERS)})")
        missing = [t for t in TIERS if t not in cadence]
        if missing:
            raise ValueError(f"cadence_days misses tier {missing[0]!r}")
        numbers = {f"cadence_days[{t!r}]": v for t, v in cadence.items()}
        numbers.update((f.name, getattr(self, f.name)) for f in fields(self) if f.name != "cadence_days")
        for name, value in numbers.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        # Read-only, so a shared default config cannot be changed by accident.
        object.__setattr__(self, "cadence_days", MappingProxyType(cadence))

    @classmethod
    def from_mapping(cls, d: Mapping | None) -> GuardrailConfig:
        """Defaults overridden by a settings dict; ``cadence_days`` may name only some tiers.

        An unknown key raises ``ValueError`` naming it (a typo must not silently keep a default).
        """
        d = dict(d or {})
        names = {f.name for f in fields(cls)}
        for key in d:
            if key not in names:
                raise ValueError(f"unknown guardrail setting {key!r} (known: {', '.join(sorted(names))})")
        if "cadence_days" in d:
            override = dict(d["cadence_days"])
            for tier in override:
                if tier not in TIERS:
                    raise ValueError(f"unknown tier in cadence_days: {tier!r} (tiers: {', '.join(TIERS)})")
            d["cadence_days"] = {**DEFAULT_CADENCE_DAYS, **override}
        return cls(**d)

    def cadence_for(self, tier: str) -> int:
        try:
            return self.cadence_days[tier]
        except KeyError:
            raise ValueError(f"unknown tier {tier!r} (tiers: {', '.join(TIERS)})") from None


DEFAULT_CONFIG = GuardrailConfig()

# --- severities ------------------------------------------------------------------------


def severity_rank(sev: str) -> int:
    """``low`` 0 < ``medium`` 1 < ``high`` 2 < ``critical`` 3; unknown severities raise."""
    try:
        return SEVERITIES.index(sev)
    except ValueError:
        raise ValueError(f"unknown severity {sev!r} (severities: {', '.join(SEVERITIES)})") from None


def lower_severity(sev: str) -> str:
    """One step lower, never below ``low``."""
    return SEVERITIES[max(0, severity_rank(sev) - 1)]


def sort_findings(findings: Iterable) -> list:
    """Most severe first, then by code, then by subject (stable output for reports and tests)."""
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), f.code, f.subject))


# --- org-change triage (guardrail 3) -----------------------------------------------------


def needs_confirmation(change: OrgChangeFact, *, config: GuardrailConfig = DEFAULT_CONFIG) -> bool:
    """A change below the confidence threshold waits for a CSM (state "pending") and never alerts."""
    return change.confidence < config.low_confidence_threshold


# Abbreviations written out, so that rewordings of the same title compare equal.
TITLE_ABBREVIATIONS = {
    "ceo": "chief executive officer",
    "cfo": "chief financial officer",
    "coo": "chief operating officer",
    "cto": "chief technology officer",
    "cio": "chief information officer",
    "ciso": "chief information security officer",
    "cmo": "chief marketing officer",
    "cro": "chief revenue officer",
    "cpo": "chief product officer",
    "cco": "chief customer officer",
    "chro": "chief human resources officer",
    "cdo": "chief data officer",
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "avp": "assistant vice president",
    "gm": "general manager",
    "md": "managing director",
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "exec": "executive",
    "dir": "director",
    "mgr": "manager",
    "asst": "assistant",
    "assoc": "associate",
    "pres": "president",
    "ops": "operations",
    "eng": "engineering",
    "mktg": "marketing",
    "intl": "international",
    "hr": "human resources",
    "it": "information technology",
}
# Words that only glue a title together ("VP of Sales & Marketing").
TITLE_FILLER = frozenset({"and", "of", "the", "for"})

# Legal-form suffixes of company names ("Acme, Inc.", "ACME Corporation").
COMPANY_SUFFIXES = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "llp", "lp",
    "ltd", "limited", "plc", "gmbh", "ag", "sa", "sas", "sarl", "srl", "spa", "bv", "nv",
    "pty", "pte", "kk", "oy", "ab", "as",
})


def _tokens(text: str) -> list[str]:
    """Lower-case words; "&" reads "and"; dots vanish ("S.A." -> "sa"); other punctuation splits."""
    text = (text or "").casefold().replace("&", " and ").replace(".", "")
    return re.findall(r"[^\W_]+", text)


def normalize_title(title: str) -> str:
    """``"Sr. VP, Sales & Marketing"`` -> ``"senior vice president sales marketing"``."""
    words: list[str] = []
    for token in _tokens(title):
        words.extend(TITLE_ABBREVIATIONS.get(token, token).split())
    return " ".join(w for w in words if w not in TITLE_FILLER)


def normalize_company(name: str) -> str:
    """``"The ACME Corporation"`` -> ``"acme"``: case, punctuation and legal suffixes dropped."""
    words = _tokens(name)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    # Drop trailing legal forms ("Acme Holdings Co., Ltd."), but never the whole name.
    while len(words) > 1 and (words[-1] in COMPANY_SUFFIXES or words[-1] == "and"):
        words = words[:-1]
    return " ".join(words)


def is_trivial_title_change(old: str, new: str) -> bool:
    """True when ``new`` only rewords ``old`` ("VP Sales" -> "Vice President, Sales").

    Word order matters ("Sales VP" vs "VP Sales" is *not* trivial): a wrongly dismissed
    change hides a real promotion, while a needless review costs a CSM one click.
    """
    return normalize_title(old) == normalize_title(new)


def is_trivial_company_rename(old: str, new: str) -> bool:
    """True when only case, punctuation or the legal form changed ("Acme" -> "Acme Inc.")."""
    return normalize_company(old) == normalize_company(new)


# Kinds whose old/new values are company names; every other kind carries titles.
COMPANY_VALUE_KINDS = frozenset({"acquisition", "company_rename"})


def change_fingerprint(kind: str, contact_id, old: str, new: str) -> str:
    """Stable key of a change with both sides normalised (so a dismissed trivial change stays dismissed).

    ``"role_change", 7, "VP Sales", "Vice President, Sales"`` and the same change reported as
    ``"vp sales" -> "VP of Sales"`` share one fingerprint.  Direction matters (old -> new).
    """
    normalize = normalize_company if kind in COMPANY_VALUE_KINDS else normalize_title
    contact = "" if contact_id is None else str(contact_id)
    key = "\x1f".join((kind, contact, normalize(old), normalize(new)))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


# --- helpers -------------------------------------------------------------------------------


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _days_between(earlier, as_of: date) -> int:
    return (as_of - _as_date(earlier)).days


def _name(contact: ContactFact | None, contact_id) -> str:
    return contact.name if contact is not None else f"contact {contact_id}"


def _names(contacts: Iterable[ContactFact]) -> list[str]:
    return [c.name for c in contacts]


# --- evaluate_account ------------------------------------------------------------------------

ENGAGED_LEVELS = frozenset({"Champion", "Engaged"})

# Org changes that concern the whole account even without a named contact.
ACCOUNT_WIDE_KINDS = frozenset({"reorg", "acquisition", "layoffs"})

# Severity of an ``org_change`` finding by kind; one step lower when the source's confidence is
# below ``org_change_certain_confidence`` (0.9).  Departures of primary/backup sponsors are
# ``sponsor_departed`` (critical) instead and never appear here.
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


def evaluate_account(
    facts: AccountFacts,
    engagement: AccountEngagement | None,
    *,
    as_of: date,
    config: GuardrailConfig = DEFAULT_CONFIG,
) -> list[Finding]:
    """All guardrail findings for one account as of a date, most severe first.

    ``engagement`` is the account's score (``sponsors.scoring.score_account``); without it the
    score-based codes (``sponsor_disengaged``, ``single_threaded``) are skipped.

    A contact counts as gone when its status is "departed" or a confirmed ``departure`` org
    change dated on or before ``as_of`` names it; gone contacts count for no sponsor, backup
    or engaged executive, even before the CRM catches up.
    """
    cadence = config.cadence_for(facts.tier)  # fails early on an unknown tier
    departures = _confirmed_departures(facts, as_of)
    gone = {c.id for c in facts.contacts if not c.is_active} | set(departures)
    present = [c for c in facts.contacts if c.id not in gone]

    findings: list[Finding] = []
    findings += _sponsor_departed(facts, present, departures, as_of=as_of, config=config)
    findings += _no_sponsor(facts, present)
    findings += _no_backup_sponsor(facts, present)
    findings += _no_exec_contact(facts, as_of=as_of, config=config)
    findings += _cadence_overdue(facts, cadence, as_of=as_of)
    if engagement is not None:
        findings += _sponsor_disengaged(facts, engagement, present, config=config)
        findings += _single_threaded(facts, engagement, present, config=config)
    findings += _operational_exec_contacts(facts, as_of=as_of, config=config)
    findings += _org_changes(facts, as_of=as_of, config=config)
    return sort_findings(findings)


def _confirmed_departures(facts: AccountFacts, as_of: date) -> dict:
    """Contact id -> latest confirmed ``departure`` change on or before ``as_of``."""
    return facts.confirmed_departures(as_of)


def _sponsor_departed(facts, present, departures, *, as_of, config) -> list[Finding]:
    due_on = as_of + timedelta(days=config.departure_response_days)
    present_ids = {c.id for c in present}
    out = []
    for c in facts.contacts:
        if c.sponsor not in ("primary", "backup"):
            continue
        change = departures.get(c.id)
        if c.status != "departed" and change is None:
            continue
        evidence = []
        if c.status == "departed":
            evidence.append("status departed")
        if change is not None:
            evidence.append(f"departure confirmed on {_as_date(change.occurred_on).isoformat()} via {change.source}")
        backups = [b for b in facts.contacts if b.sponsor == "backup" and b.id in present_ids and b.id != c.id]
        primaries = [p for p in facts.contacts if p.sponsor == "primary" and p.id in present_ids and p.id != c.id]
        backup_names = _names(backups)
        role = c.sponsor
        if role == "primary":
            cover = f"backup sponsor: {', '.join(backup_names)}" if backups else "no backup sponsor"
        else:
            cover = f"primary sponsor: {', '.join(_names(primaries))}" if primaries else "no primary sponsor"
        out.append(Finding(
            code="sponsor_departed",
            severity="critical",
            message=(
                f"{role.capitalize()} sponsor {c.name} has left {facts.name} ({' and '.join(evidence)}); "
                f"respond by {due_on.isoformat()}; {cover}"
            ),
            subject=f"contact:{c.id}",
            contact_id=c.id,
            escalate=True,
            details={
                "sponsor_role": role,
                "contact_name": c.name,
                "title": c.title,
                "status": c.status,
                "org_change_id": change.id if change is not None else None,
                "departed_on": _as_date(change.occurred_on).isoformat() if change is not None else None,
                "due_on": due_on.isoformat(),
                "response_days": config.departure_response_days,
                "backup_sponsors": backup_names,
                "primary_sponsors": _names(primaries),
                "succession_steps": _succession_steps(
                    facts, c, backups=backups, primaries=primaries, as_of=as_of, due_on=due_on, config=config
                ),
            },
        ))
    return out


def _succession_steps(facts, departed, *, backups, primaries, as_of, due_on, config) -> list[str]:
    """The first steps of a succession plan, in order (the escalation e-mail lists them)."""
    cadence = config.cadence_for(facts.tier)
    touch_by = (as_of + timedelta(days=cadence)).isoformat()
    steps = [f"Confirm {departed.name}'s departure (last day, successor) with the account team by {due_on.isoformat()}"]
    if departed.sponsor == "primary":
        if backups:
            backup = backups[0].name
            steps += [
                f"Brief backup sponsor {backup} and meet them by {due_on.isoformat()}",
                f"Propose {backup} as the new primary sponsor",
                "Identify a new backup sponsor with the account team",
            ]
        else:
            steps.append("Identify a new executive sponsor with the account team (no backup sponsor on record)")
    else:
        if primaries:
            steps.append(f"Tell primary sponsor {primaries[0].name} and ask whom they suggest as backup")
        steps.append("Identify a new backup sponsor with the account team")
    steps += [
        f"Plan outreach to {departed.name}'s successor",
        (f"Schedule an executive touchpoint within the {TIER_LABELS[facts.tier]} cadence "
         f"({cadence} days, by {touch_by})"),
    ]
    return steps


def _no_sponsor(facts, present) -> list[Finding]:
    if any(c.is_sponsor for c in present):
        return []
    present_ids = {c.id for c in present}
    departed = [c for c in facts.contacts if c.is_sponsor and c.id not in present_ids]
    return [Finding(
        code="no_sponsor",
        severity="critical",
        message=f"No active executive sponsor identified for {facts.name}",
        details={
            "active_contacts": len(present),
            "active_executives": sum(1 for c in present if c.is_executive),
            "departed_sponsors": _names(departed),
        },
    )]


def _no_backup_sponsor(facts, present) -> list[Finding]:
    if any(c.sponsor == "backup" for c in present):
        return []
    primaries = [c for c in present if c.sponsor == "primary"]
    present_ids = {c.id for c in present}
    departed = [c for c in facts.contacts if c.sponsor == "backup" and c.id not in present_ids]
    suffix = f" (primary: {', '.join(_names(primaries))})" if primaries else ""
    return [Finding(
        code="no_backup_sponsor",
        severity="medium",
        message=f"No active backup sponsor at {facts.name}{suffix}",
        details={"active_backup_sponsors": 0, "departed_backup_sponsors": _names(departed)},
    )]


def _no_exec_contact(facts, *, as_of, config) -> list[Finding]:
    if facts.tier != "enterprise":
        return []
    limit = config.enterprise_no_contact_days
    last = facts.last_exec_touch
    days = None if last is None else _days_between(last, as_of)
    if days is not None and days <= limit:
        return []
    if days is None:
        message = f"No executive contact at {facts.name} on record (enterprise limit {limit} days)"
    else:
        message = f"No executive contact at {facts.name} for {days} days (enterprise limit {limit})"
    return [Finding(
        code="no_exec_contact_90d",
        severity="high",
        message=message,
        details={
            "days_since": days,
            "limit_days": limit,
            "last_exec_touch": _as_date(last).isoformat() if last is not None else None,
        },
    )]


def _cadence_overdue(facts, cadence, *, as_of) -> list[Finding]:
    last = facts.last_exec_touch
    days = None if last is None else _days_between(last, as_of)
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
    return [Finding(
        code="cadence_overdue",
        severity=severity,
        message=message,
        details={
            "days_since": days,
            "cadence_days": cadence,
            "last_exec_touch": _as_date(last).isoformat() if last is not None else None,
            "was_due_on": (_as_date(last) + timedelta(days=cadence)).isoformat() if last is not None else None,
        },
    )]


def _sponsor_disengaged(facts, engagement, present, *, config) -> list[Finding]:
    scores = {b.contact_id: b for b in engagement.sponsors}
    out = []
    for c in present:
        breakdown = scores.get(c.id)
        if c.sponsor != "primary" or breakdown is None:
            continue
        score = breakdown.total
        previous = facts.previous_scores.get(c.id)
        drop = None if previous is None else previous - score
        reasons = []
        if breakdown.level == "Disengaged":
            reasons.append(f"level Disengaged (score {score})")
        if drop is not None and drop >= config.score_drop_points:
            reasons.append(f"score fell {drop} points in {config.score_drop_days} days ({previous} -> {score})")
        if not reasons:
            continue
        out.append(Finding(
            code="sponsor_disengaged",
            severity="high",
            message=f"Primary sponsor {c.name} at {facts.name} is disengaging: {'; '.join(reasons)}",
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


def _single_threaded(facts, engagement, present, *, config) -> list[Finding]:
    levels = {b.contact_id: b.level for b in engagement.sponsors}
    executives = [c for c in present if c.is_executive or c.is_sponsor]
    engaged = [c for c in executives if levels.get(c.id) in ENGAGED_LEVELS]
    minimum = config.min_engaged_executives
    if len(engaged) >= minimum:
        return []
    who = f" ({', '.join(_names(engaged))})" if engaged else ""
    plural = "" if len(engaged) == 1 else "s"
    return [Finding(
        code="single_threaded",
        severity="low",
        message=(f"{facts.name} is single-threaded: {len(engaged)} engaged executive{plural}{who}, "
                 f"at least {minimum} wanted"),
        details={
            "engaged_executives": len(engaged),
            "engaged_names": _names(engaged),
            "active_executives": len(executives),
            "minimum": minimum,
        },
    )]


def _operational_exec_contacts(facts, *, as_of, config) -> list[Finding]:
    out = []
    for interaction_id, contact_id, when in facts.operational_exec_contacts:
        days = _days_between(when, as_of)
        if not 0 <= days <= config.operational_lookback_days:
            continue
        name = _name(facts.contact(contact_id), contact_id)
        on = _as_date(when).isoformat()
        out.append(Finding(
            code="operational_exec_contact",
            severity="medium",
            message=(f"Operational outreach to executive {name} at {facts.name} on {on} "
                     f"(interaction {interaction_id}); route operational issues to the operational "
                     f"contact or support"),
            subject=f"interaction:{interaction_id}",
            contact_id=contact_id,
            details={"interaction_id": interaction_id, "occurred_on": on, "days_ago": days,
                     "lookback_days": config.operational_lookback_days},
        ))
    return out


def _org_changes(facts, *, as_of, config) -> list[Finding]:
    out = []
    for ch in facts.org_changes:
        if ch.state != "confirmed":
            continue
        days = _days_between(ch.occurred_on, as_of)
        if not 0 <= days <= config.org_change_window_days:
            continue
        contact = facts.contact(ch.contact_id) if ch.contact_id is not None else None
        if ch.kind == "departure" and contact is not None and contact.sponsor in ("primary", "backup"):
            continue  # sponsor_departed covers it
        names_executive = contact is not None and (contact.is_executive or contact.is_sponsor)
        if ch.kind not in ACCOUNT_WIDE_KINDS and not names_executive:
            continue
        base = ORG_CHANGE_SEVERITY.get(ch.kind, UNKNOWN_KIND_SEVERITY)
        uncertain = ch.confidence < config.org_change_certain_confidence
        severity = lower_severity(base) if uncertain else base
        on = _as_date(ch.occurred_on).isoformat()
        what = ch.kind.replace("_", " ")
        if contact is not None:
            what += f" of {contact.name}" + (f" ({contact.title})" if contact.title else "")
        headline = f": {ch.headline}" if ch.headline else ""
        out.append(Finding(
            code="org_change",
            severity=severity,
            message=(f"Org change at {facts.name}: {what}{headline} on {on} via {ch.source} "
                     f"(confidence {ch.confidence:.0%})"),
            subject=f"org_change:{ch.id}",
            contact_id=ch.contact_id,
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
                "headline": ch.headline,
            },
        ))
    return out


# --- guardrail 4: never contact executives for operational issues ------------------------------

OUTREACH_DIRECTIONS = frozenset({"outbound", "meeting"})


def check_touchpoint(
    *,
    contact: ContactFact,
    direction: str,
    purpose: str,
    operational_contact: str | None = None,
) -> str | None:
    """A refusal message when a planned/logged touchpoint would take an operational issue to an
    executive (outbound or meeting, purpose "operational"); ``None`` when it is fine.

    Inbound contacts are never refused: an executive may raise an operational issue with us.
    ``operational_contact`` (a name) makes the suggested route concrete.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r} (directions: {', '.join(DIRECTIONS)})")
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r} (purposes: {', '.join(PURPOSES)})")
    if purpose != "operational" or direction not in OUTREACH_DIRECTIONS:
        return None
    if not (contact.is_executive or contact.is_sponsor):
        return None
    who = f"{contact.name} ({contact.title})" if contact.title else contact.name
    route = operational_contact or "the account's operational contact"
    return (f"Executives are not contacted for operational issues: {who} is an executive. "
            f"Route this issue to {route} or to support instead.")


# --- guardrail 5: coordinate executive outreach with the account team -----------------------------


@dataclass(frozen=True, slots=True)
class PlannedOutreach:
    """One planned reach-out to an executive (a Touchpoint plan row, as the rules see it)."""

    id: int | str | None
    contact_id: int | str
    planner: str                        # the planner's e-mail address
    planned_on: date


def _same_planner(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def outreach_conflicts(
    new: PlannedOutreach,
    existing: Iterable[PlannedOutreach],
    *,
    config: GuardrailConfig = DEFAULT_CONFIG,
) -> list[PlannedOutreach]:
    """Existing outreach to the same executive by a *different* planner within
    +/- ``outreach_conflict_days`` of ``new`` (inclusive), earliest first.

    A planner never conflicts with themself (e-mails compare case-insensitively), and a plan
    never conflicts with its own stored version (same ``id``).
    """
    window = config.outreach_conflict_days
    found = [
        e for e in existing
        if e.contact_id == new.contact_id
        and not (new.id is not None and e.id == new.id)
        and not _same_planner(e.planner, new.planner)
        and abs((_as_date(e.planned_on) - _as_date(new.planned_on)).days) <= window
    ]
    return sorted(found, key=lambda e: (_as_date(e.planned_on), e.planner.casefold(), str(e.id)))


def conflict_message(
    new: PlannedOutreach,
    conflicts: Iterable[PlannedOutreach],
    *,
    contact_name: str | None = None,
    config: GuardrailConfig = DEFAULT_CONFIG,
) -> str:
    """One line for the planner (and the coordination e-mail); ``""`` when nothing conflicts."""
    conflicts = list(conflicts)
    if not conflicts:
        return ""
    who = contact_name or f"contact {new.contact_id}"
    others = ", ".join(f"{c.planner} on {_as_date(c.planned_on).isoformat()}" for c in conflicts)
    return (f"Outreach to {who} on {_as_date(new.planned_on).isoformat()} is within "
            f"{config.outreach_conflict_days} days of outreach planned by {others}; "
            f"coordinate with the account team before reaching out")
