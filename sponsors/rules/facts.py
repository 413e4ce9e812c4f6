"""Plain data the rules work on: facts in, breakdowns and findings out.

Nothing here touches the ORM or the clock; the words they use are ``accounts.vocabulary``.
The database side (selectors, bulk aggregates) builds these records; the rules in ``scoring``, ``cadence`` and
``guardrails`` are pure functions of them plus an ``as_of`` date; reports and
alerts consume what the rules return.  Tests build these by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from accounts.vocabulary import SPONSOR_ROLES, as_date, is_executive

from .records import fast_init

# --- facts (input) -------------------------------------------------------------

@fast_init
@dataclass(frozen=True, slots=True)
class ContactFact:
    """One contact of an account, as the rules see it."""

    id: int | str
    name: str
    title: str = ""
    roles: tuple[str, ...] = ()
    sponsor: str | None = None          # "primary" | "backup" | None
    status: str = "active"              # "active" | "departed"
    in_role_since: date | None = None
    priorities: tuple[str, ...] = ()

    @property
    def is_executive(self) -> bool:
        return is_executive(self.roles)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_sponsor(self) -> bool:
        """Named as primary/backup sponsor, or carrying the executive_sponsor role."""
        return self.sponsor in SPONSOR_ROLES or "executive_sponsor" in self.roles


@fast_init
@dataclass(frozen=True, slots=True)
class InteractionFact:
    """One logged interaction (raw form; the aggregates below are derived from these)."""

    type: str
    occurred_at: datetime
    direction: str                      # "meeting" | "outbound" | "inbound"
    contact_ids: tuple[int | str, ...] = ()
    purpose: str = "strategic"
    responded_at: datetime | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class SponsorActivity:
    """Aggregates of one contact's interactions over the scoring window (trailing 12 months).

    The bulk recompute fills these with set-based SQL aggregates; ``activity_from_interactions``
    in ``sponsors.scoring`` computes the same from a list of ``InteractionFact`` (tests, one account).
    """

    meetings: int = 0                   # executive meetings (MEETING_TYPES with direction "meeting")
    outbound: int = 0                   # our outbound reach-outs to the contact
    answered: int = 0                   # ... of which the contact replied to
    reply_days_total: float = 0.0       # sum of reply delays in days, each capped at the config cap
    qbrs_attended: int = 0              # account QBRs the contact attended
    advocacy_signals: int = 0           # referral / advocacy interactions
    last_touch: date | None = None      # last interaction of any kind (not limited to the window)
    last_direct_contact: date | None = None  # last meeting/inbound/answered outbound (not limited)

    @property
    def unanswered(self) -> int:
        return self.outbound - self.answered

    @property
    def has_data(self) -> bool:
        return self.last_touch is not None


@fast_init
@dataclass(frozen=True, slots=True)
class AlignmentFact:
    our_initiative: str
    their_priority: str
    alignment: str                      # "high" | "medium" | "low"


@fast_init
@dataclass(frozen=True, slots=True)
class GoalFact:
    name: str
    status: str                         # "on_track" | "at_risk" | "off_track" | "done"
    progress: float | None = None       # 0..1


@fast_init
@dataclass(frozen=True, slots=True)
class OrgChangeFact:
    id: int | str
    kind: str
    occurred_on: date
    source: str
    contact_id: int | str | None = None
    headline: str = ""
    confidence: float = 1.0
    state: str = "confirmed"            # "confirmed" | "pending" (awaiting a CSM) | "dismissed"
    sponsor_escalated: bool = False     # a sponsor-departure alert was raised on it (the contact was a sponsor then)
    reviewed: bool = False              # a person confirmed (or dismissed) it: its source's confidence no longer counts


@fast_init
@dataclass(frozen=True, slots=True)
class AccountFacts:
    """Everything the rules need to know about one account as of a date."""

    id: int | str
    name: str
    tier: str
    contacts: tuple[ContactFact, ...] = ()
    activity: dict = field(default_factory=dict)      # contact id -> SponsorActivity
    qbrs_held: int = 0                  # account QBRs in the scoring window
    qbrs_with_exec: int = 0             # ... of which at least one executive attended
    last_exec_touch: date | None = None # last interaction with any executive of the account
    alignment: tuple[AlignmentFact, ...] = ()
    goals: tuple[GoalFact, ...] = ()
    org_changes: tuple[OrgChangeFact, ...] = ()
    # (interaction id, contact id, date) of outbound operational contacts to executives
    operational_exec_contacts: tuple = ()
    previous_scores: dict = field(default_factory=dict)  # contact id -> score 30 days before as_of (if known)

    def contact(self, contact_id):
        for c in self.contacts:
            if c.id == contact_id:
                return c
        return None

    def confirmed_departures(self, as_of: date) -> dict:
        """Contact id -> the latest confirmed ``departure`` org change on or before ``as_of``."""
        latest: dict = {}
        for change in self.org_changes:
            if change.kind != "departure" or change.state != "confirmed" or change.contact_id is None:
                continue
            day = as_date(change.occurred_on)
            if day > as_of:
                continue
            known = latest.get(change.contact_id)
            if known is None or day > as_date(known.occurred_on):
                latest[change.contact_id] = change
        return latest

    def departures(self, as_of: date) -> dict:
        """THE rule of who has left by ``as_of``: contact id -> the day they left, or None when only the
        CRM's status says so.  A contact has left when its status is ``departed`` or a confirmed
        ``departure`` org change dated on or before ``as_of`` names it (the news or a CSM may know before
        the CRM).  Scoring, guardrails, metrics and the report all ask this."""
        gone: dict = {c.id: None for c in self.contacts if not c.is_active}
        for contact_id, change in self.confirmed_departures(as_of).items():
            gone[contact_id] = as_date(change.occurred_on)
        return gone

    def departed_ids(self, as_of: date) -> set:
        """The ids of :meth:`departures`."""
        return set(self.departures(as_of))

    def with_confirmed_departures(self, as_of: date) -> AccountFacts:
        """These facts with every contact who has left by ``as_of`` (:meth:`departures`) marked departed."""
        if not self.org_changes:        # the CRM's status alone: already as it says (most accounts, every night)
            return self
        gone = self.departures(as_of)
        if not any(c.id in gone and c.is_active for c in self.contacts):
            return self
        return replace(self, contacts=tuple(
            replace(c, status="departed") if c.id in gone else c for c in self.contacts))

    @property
    def executives(self) -> tuple[ContactFact, ...]:
        return tuple(c for c in self.contacts if c.is_executive)

    @property
    def primary_sponsor(self) -> ContactFact | None:
        return next((c for c in self.contacts if c.sponsor == "primary"), None)

    @property
    def backup_sponsors(self) -> tuple[ContactFact, ...]:
        return tuple(c for c in self.contacts if c.sponsor == "backup")


# --- results (output) ------------------------------------------------------------

@fast_init
@dataclass(frozen=True, slots=True)
class FactorScore:
    # "meeting_frequency" | "responsiveness" | "qbr_attendance" | "strategic_alignment"
    key: str
    label: str                          # "Meeting Frequency", ...
    score: int                          # 0..25
    note: str                           # the spec-style note: "Target 12: Actual 9", "3/4 QBRs", ...


@fast_init
@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    """One contact's engagement score, explained."""

    contact_id: int | str
    factors: tuple[FactorScore, ...]
    level: str                          # ENGAGEMENT_LEVELS
    risk: str                           # RISK_BY_LEVEL[level]
    reasons: tuple[str, ...] = ()       # why the level is what it is (human readable)

    @property
    def total(self) -> int:
        return sum([f.score for f in self.factors])     # (a list: cheaper than a generator for four)

    def factor(self, key: str) -> FactorScore:
        return next(f for f in self.factors if f.key == key)


@fast_init
@dataclass(frozen=True, slots=True)
class CadenceStatus:
    tier: str
    cadence_days: int                   # maximum days between executive touchpoints for the tier
    last_touch: date | None
    days_since: int | None              # None when there was never an executive touchpoint
    next_due: date | None

    @property
    def overdue(self) -> bool:
        return self.days_since is None or self.days_since > self.cadence_days


@fast_init
@dataclass(frozen=True, slots=True)
class AccountEngagement:
    account_id: int | str
    score: int                          # 0..100
    level: str                          # the overall status, ENGAGEMENT_LEVELS
    risk: str
    sponsors: tuple[ScoreBreakdown, ...]
    cadence: CadenceStatus
    method: str = ""                    # how the overall score was derived, one line


@fast_init
@dataclass(frozen=True, slots=True)
class Finding:
    """One guardrail finding; becomes (or keeps open) one Alert."""

    code: str                           # a code of the registry (sponsors/rules/alert_codes.py)
    severity: str                       # vocabulary.SEVERITIES
    message: str                        # one line for humans
    subject: str = ""                   # dedupe subject within (account, code): e.g. "contact:12"
    contact_id: int | str | None = None
    escalate: bool = False              # send the escalation e-mail at once
    details: dict = field(default_factory=dict)
    due_on: date | None = None          # when a response is due (escalations); fixed when the alert opens
    org_change_id: int | str | None = None     # the org change it is about, if any
    interaction_id: int | str | None = None    # the interaction it is about, if any
