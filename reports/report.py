"""The Executive Sponsor Report as plain, frozen data.

One ``SponsorReport`` holds one field per section of the spec's "Response Format", in the
spec's order.  Renderers (``render_markdown``, ``render_json``, ``render_html``,
``render_pdf``) are functions of a ``SponsorReport`` only; the builder that fills it from
the models lives elsewhere.  Nothing here reads the database or the clock.

Two derived values are rules, documented here and nowhere else:

* **Status symbol** of a sponsor row (``status_symbol``): ``✓`` for Champion/Engaged,
  ``⚠`` for Passive, ``✗`` for Disengaged/Unknown -- and ``✗`` for any departed contact,
  whatever its last level.
* **Succession risk** (``succession_risk_level``): ``H`` when there is no active primary
  sponsor or no active backup sponsor; ``M`` when backups exist but none of them is
  Champion/Engaged, or the primary's tenure is unknown or under 12 months (a new sponsor's
  relationship is unproven); ``L`` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from accounts.vocabulary import ENGAGED_LEVELS, FACTOR_KEYS, HORIZONS, INTERACTION_LABELS, TIER_LABELS
from sponsors.rules import alert_codes
from sponsors.rules.config import MAX_FACTOR
from sponsors.rules.facts import FactorScore

# --- report symbols and empty states (the shared words are accounts.vocabulary) ------------

UNKNOWN = "—"

STATUS_OK = "✓"
STATUS_WARN = "⚠"
STATUS_BAD = "✗"
STATUS_BY_LEVEL = {
    "Champion": STATUS_OK,
    "Engaged": STATUS_OK,
    "Passive": STATUS_WARN,
    "Disengaged": STATUS_BAD,
    "Unknown": STATUS_BAD,
}

SUCCESSION_RISK_LEVELS = ("H", "M", "L")
SUCCESSION_RISK_LABELS = {"H": "High", "M": "Medium", "L": "Low"}
FACTOR_MAX = MAX_FACTOR           # the most points one factor earns

ALIGNMENT_LEVELS = ("high", "medium", "low")
ALIGNMENT_LABELS = {"high": "High", "medium": "Medium", "low": "Low"}

# Explicit empty states: every renderer shows these instead of an empty table or list.
EMPTY = {
    "sponsors": "No executive sponsors identified",
    "primary": "No primary sponsor identified",
    "priorities": "No known priorities",
    "communication_preference": "Not recorded",
    "timeline": "No interactions in the last 12 months",
    "breakdown": "No score breakdown (no primary sponsor identified)",
    "strengths": "No strengths identified",
    "concerns": "No concerns",
    "recent_changes": "No organizational changes recorded",
    "backups": "No backup sponsor",
    "alignment": "No strategic alignment mapped",
    "immediate": "No immediate actions",
    "short_term": "No short-term actions",
    "strategic": "No strategic actions",
    "alerts": "No open alerts",
    "calendar": "No touchpoints planned",
}


# --- rules -------------------------------------------------------------------------

def status_symbol(level: str, *, departed: bool = False) -> str:
    """``✓`` Champion/Engaged, ``⚠`` Passive, ``✗`` Disengaged/Unknown or departed."""
    if departed:
        return STATUS_BAD
    return STATUS_BY_LEVEL.get(level, STATUS_BAD)


def succession_risk_level(
    *,
    has_primary: bool,
    primary_tenure_months: int | None,
    backup_levels: Iterable[str],
    new_sponsor_months: int = 12,
) -> str:
    """H/M/L succession risk (see the module docstring for the rule).

    ``backup_levels`` are the engagement levels of the *active* backup sponsors.
    """
    levels = tuple(backup_levels)
    if not has_primary or not levels:
        return "H"
    if not any(lv in ENGAGED_LEVELS for lv in levels):
        return "M"
    if primary_tenure_months is None or primary_tenure_months < new_sponsor_months:
        return "M"
    return "L"


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 if ``end`` is before ``start``)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def tenure_text(months: int | None) -> str:
    """``"7 months"``, ``"2 years"``, ``"2 years 3 months"``; ``"—"`` when unknown."""
    if months is None:
        return UNKNOWN
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if rest or not years:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts)


def backup_label(name: str, title: str = "") -> str:
    """A backup relationship as the spec shows it: ``"Name (Title)"``."""
    return f"{name} ({title})" if title else name


def fmt_date(value: date | None) -> str:
    """ISO date (YYYY-MM-DD), ``"—"`` for unknown."""
    return value.isoformat() if value is not None else UNKNOWN


def ordered_factors(factors: Iterable[FactorScore]) -> tuple[FactorScore, ...]:
    """The four spec factors in the spec's order, then any others in their given order."""
    factors = tuple(factors)
    rank = {k: i for i, k in enumerate(FACTOR_KEYS)}
    return tuple(sorted(factors, key=lambda f: rank.get(f.key, len(FACTOR_KEYS))))


# --- sections ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ReportHeader:
    account_id: int | str
    account_name: str
    tier: str                                   # facts.TIERS
    as_of: date
    overall_score: int                          # 0..100
    overall_status: str                         # facts.ENGAGEMENT_LEVELS
    overall_risk: str                           # Low | Medium | High | Critical
    overall_note: str = ""                      # why, when the status is not the score's band (Unknown)
    account_external_id: str | None = None      # the account's id in its CRM source
    account_source: str | None = None           # that source (snapshot, hubspot, salesforce…)

    @property
    def tier_label(self) -> str:
        return TIER_LABELS.get(self.tier, self.tier)


@dataclass(frozen=True, slots=True)
class SponsorRow:
    """One executive in the "Executive Sponsors" table."""

    id: int | str
    name: str
    title: str
    score: int                                  # 0..100
    engagement_level: str                       # facts.ENGAGEMENT_LEVELS
    risk: str
    last_touch: date | None = None
    primary: bool = False
    backup: bool = False
    departed: bool = False
    breakdown: tuple[FactorScore, ...] = ()
    external_id: str | None = None              # the contact's id in the CRM (None: added in the tracker)
    roles: tuple[str, ...] = ()                 # vocabulary.CONTACT_ROLES

    @property
    def sponsor_role(self) -> str | None:
        return "primary" if self.primary else "backup" if self.backup else None

    @property
    def status(self) -> str:
        return status_symbol(self.engagement_level, departed=self.departed)

    @property
    def role_label(self) -> str:
        return "Primary" if self.primary else "Backup" if self.backup else ""


@dataclass(frozen=True, slots=True)
class SponsorProfile:
    """The primary sponsor's profile."""

    id: int | str
    name: str
    title: str = ""
    tenure_months: int | None = None            # months in role as of the report date
    priorities: tuple[str, ...] = ()
    communication_preference: str = ""

    @property
    def tenure(self) -> str:
        return tenure_text(self.tenure_months)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    date: date
    interaction_type: str                       # facts.INTERACTION_TYPES
    topics: tuple[str, ...] = ()
    outcome: str = ""

    @property
    def interaction_label(self) -> str:
        return INTERACTION_LABELS.get(self.interaction_type, self.interaction_type)


@dataclass(frozen=True, slots=True)
class Concern:
    title: str
    details: str = ""


@dataclass(frozen=True, slots=True)
class EngagementHealth:
    strengths: tuple[str, ...] = ()
    concerns: tuple[Concern, ...] = ()


@dataclass(frozen=True, slots=True)
class OrgChangeNote:
    change: str                                 # "CFO Jane Roe departed (LinkedIn, 2025-05-02)"
    impact: str = ""                            # the impact assessment


@dataclass(frozen=True, slots=True)
class Succession:
    primary_tenure_months: int | None = None
    backups: tuple[str, ...] = ()               # "Name (Title)", see backup_label()
    risk_level: str = "H"                       # H | M | L, see succession_risk_level()

    @property
    def risk_label(self) -> str:
        return SUCCESSION_RISK_LABELS.get(self.risk_level, self.risk_level)


@dataclass(frozen=True, slots=True)
class OrgIntelligence:
    recent_changes: tuple[OrgChangeNote, ...] = ()
    succession: Succession = field(default_factory=Succession)


@dataclass(frozen=True, slots=True)
class AlignmentRow:
    our_initiative: str
    their_priority: str
    alignment: str                              # high | medium | low

    @property
    def alignment_label(self) -> str:
        return ALIGNMENT_LABELS.get(self.alignment, self.alignment)


@dataclass(frozen=True, slots=True)
class Recommendation:
    action: str
    reason: str
    code: str = ""                              # the rule key that produced it


@dataclass(frozen=True, slots=True)
class Recommendations:
    immediate: tuple[Recommendation, ...] = ()
    short_term: tuple[Recommendation, ...] = ()
    strategic: tuple[Recommendation, ...] = ()

    def by_horizon(self) -> tuple[tuple[str, tuple[Recommendation, ...]], ...]:
        return tuple((h, getattr(self, h)) for h in HORIZONS)

    def __len__(self) -> int:
        return len(self.immediate) + len(self.short_term) + len(self.strategic)


@dataclass(frozen=True, slots=True)
class ReportAlert:
    code: str                                   # a code of sponsors/rules/alert_codes.py
    severity: str                               # facts.SEVERITIES
    message: str

    @property
    def title(self) -> str:
        return alert_codes.title(self.code)

    @classmethod
    def from_finding(cls, finding) -> ReportAlert:
        return cls(code=finding.code, severity=finding.severity, message=finding.message)


@dataclass(frozen=True, slots=True)
class CalendarRow:
    date: date
    event: str
    attendees: tuple[str, ...] = ()
    objective: str = ""


@dataclass(frozen=True, slots=True)
class SponsorReport:
    """The whole report; fields follow the spec's sections in order."""

    header: ReportHeader
    sponsors: tuple[SponsorRow, ...] = ()
    primary: SponsorProfile | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    breakdown: tuple[FactorScore, ...] = ()     # the primary sponsor's score breakdown
    health: EngagementHealth = field(default_factory=EngagementHealth)
    org: OrgIntelligence = field(default_factory=OrgIntelligence)
    alignment: tuple[AlignmentRow, ...] = ()
    recommendations: Recommendations = field(default_factory=Recommendations)
    alerts: tuple[ReportAlert, ...] = ()
    calendar: tuple[CalendarRow, ...] = ()
