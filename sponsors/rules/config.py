# Long module: THE one rules configuration; every EXEC_SPONSOR_* section lives here, one place to read.
"""THE rules configuration: every threshold of scoring, cadence, guardrails, org-change triage,
portfolio metrics, the report's wording rules and the outbox, in one frozen object.

``RulesConfig.from_settings(settings)`` (``sponsors.config.rules_config()`` caches it) builds it
once from the ``EXEC_SPONSOR_*`` settings; callers pass it (or one of its sections) to the loaders
and the pure rules explicitly.  Nothing else reads those settings or hard-codes a documented number.

Each section is built by :meth:`_Section.from_mapping`: keys are the field names (case-insensitive),
a mapping-valued field merges into its default (``{"meeting_targets": {"smb": 3}}`` changes only
SMB), and an unknown key is an error naming it and the setting it came from.

Pure Python: no Django, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType

from accounts.vocabulary import TIERS

MAX_FACTOR = 25


class ConfigError(ValueError):
    """A setting the rules cannot work with; the message names the setting and the key."""


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


def _hash(self) -> int:
    # Hashable (usable as a cache key) although some fields are read-only mappings.
    return hash(tuple(
        tuple(sorted(v.items())) if isinstance(v, Mapping) else v
        for v in (getattr(self, f.name) for f in fields(self))
    ))


class _Section:
    """What every section shares: building from a settings mapping with clear errors."""

    SETTING = ""                        # the settings name it is built from, for error messages
    OPEN_MAPPINGS: frozenset = frozenset()   # mapping fields that accept keys beyond their defaults

    @classmethod
    def from_mapping(cls, d: Mapping | None):
        """Defaults overridden by ``d``; an unknown key or a wrong type raises ``ConfigError`` naming it."""
        name = cls.SETTING or cls.__name__
        if d is not None and not isinstance(d, Mapping):
            raise ConfigError(f"{name} must be a mapping (a dict), got {type(d).__name__}")
        defaults = cls()
        known = {f.name for f in fields(cls)}
        changes = {}
        for raw_key, value in (d or {}).items():
            key = str(raw_key).lower()
            if key not in known:
                raise ConfigError(f"{name}: unknown key {raw_key!r} (known: {', '.join(sorted(known))})")
            current = getattr(defaults, key)
            if isinstance(current, Mapping):
                if not isinstance(value, Mapping):
                    raise ConfigError(f"{name}: {raw_key!r} must be a mapping")
                unknown = [k for k in value if k not in current and key not in cls.OPEN_MAPPINGS]
                if unknown:
                    raise ConfigError(f"{name}: unknown key {unknown[0]!r} in {raw_key!r} "
                                      f"(known: {', '.join(current)})")
                value = {**current, **value}
            elif isinstance(current, frozenset):
                value = frozenset(value)
            elif isinstance(current, bool) != isinstance(value, bool) or (
                    isinstance(current, int | float) and not isinstance(value, int | float)):
                raise ConfigError(f"{name}: {raw_key!r} must be a {type(current).__name__}, got {value!r}")
            changes[key] = value
        try:
            return replace(defaults, **changes)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None


def _non_negative(section, names) -> None:
    for name in names:
        value = getattr(section, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")


# --- scoring and cadence ------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoringConfig(_Section):
    """Every threshold, target and weight of the scoring and cadence rules.

    Defaults are those of the README ("Scoring").  Mapping-valued fields are read-only;
    ``from_mapping`` merges partial overrides into them.  ``cadence_days`` is the one tier cadence:
    scoring, the calendar, the portfolio and the guardrails all read it from here.
    """

    SETTING = "EXEC_SPONSOR_SCORING"
    OPEN_MAPPINGS = frozenset({"goal_status_values"})

    # Scoring window: the trailing ``window_days`` calendar days ending at as_of (inclusive).
    window_days: int = 365
    # Executive meetings per window that earn the full 25 Meeting Frequency points.
    meeting_targets: Mapping[str, int] = field(
        default_factory=lambda: _frozen({"enterprise": 12, "mid_market": 4, "smb": 2}))
    # A reply delay counts at most this many days; an unanswered outbound counts as exactly this.
    reply_cap_days: float = 14.0
    # Averaging this many days or less earns the full 25 Responsiveness points.
    reply_grace_days: float = 1.0
    # Responsiveness points when we sent no outreach in the window (nothing to answer).
    no_outreach_points: int = 12
    champion_band: int = 80    # Champion from this total on (0..100), with an advocacy signal
    engaged_band: int = 60     # Engaged from this total on
    passive_band: int = 30     # Passive from this total on; below it, Disengaged
    # More than this many days without direct contact (meeting, inbound, reply) -> Disengaged.
    no_direct_contact_days: int = 180
    # Tier cadence: maximum days between executive touchpoints.
    cadence_days: Mapping[str, int] = field(
        default_factory=lambda: _frozen({"enterprise": 30, "mid_market": 91, "smb": 182}))
    # Business-review rhythm: QBR quarterly for enterprise / mid-market, semi-annual review for SMB.
    review_days: Mapping[str, int] = field(
        default_factory=lambda: _frozen({"enterprise": 91, "mid_market": 91, "smb": 182}))
    # Meeting types that count as an account's QBR (SMB holds semi-annual business reviews).
    review_types: frozenset[str] = frozenset({"qbr", "business_review"})
    # Strategic alignment: credit per initiative<->priority alignment rating ...
    alignment_values: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"high": 1.0, "medium": 0.5, "low": 0.0}))
    # ... credit per goal status (unknown status -> the goal's progress, if any) ...
    goal_status_values: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"done": 1.0, "on_track": 1.0, "at_risk": 0.5, "off_track": 0.0}))
    # ... and the weight of each part (renormalised over the parts that have data).
    alignment_weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"initiatives": 0.5, "goals": 0.3, "priorities": 0.2}))
    # Account overall: weight of the active primary sponsor against the mean of the other
    # active executives (used only when both exist).
    primary_weight: float = 0.5

    def __post_init__(self):
        for name in ("meeting_targets", "cadence_days", "review_days", "alignment_values",
                     "goal_status_values", "alignment_weights"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "review_types", frozenset(self.review_types))
        for name in ("meeting_targets", "cadence_days", "review_days"):
            mapping = getattr(self, name)
            missing = [t for t in TIERS if t not in mapping]
            if missing:
                raise ValueError(f"{name}: missing tier(s) {', '.join(missing)}")
            if any(v <= 0 for v in mapping.values()):
                raise ValueError(f"{name}: values must be positive")
        if self.window_days <= 0:
            raise ValueError("window_days must be positive")
        if not 0 <= self.reply_grace_days < self.reply_cap_days:
            raise ValueError("need 0 <= reply_grace_days < reply_cap_days")
        if not 0 <= self.no_outreach_points <= MAX_FACTOR:
            raise ValueError(f"no_outreach_points must be within 0..{MAX_FACTOR}")
        if not 0 <= self.passive_band <= self.engaged_band <= self.champion_band <= 100:
            raise ValueError("need 0 <= passive_band <= engaged_band <= champion_band <= 100")
        if self.no_direct_contact_days <= 0:
            raise ValueError("no_direct_contact_days must be positive")
        if not 0 <= self.primary_weight <= 1:
            raise ValueError("primary_weight must be within 0..1")
        for key in self.alignment_weights:
            if key not in ("initiatives", "goals", "priorities"):
                raise ValueError(f"alignment_weights: unknown key {key!r}")
        if any(v < 0 for v in self.alignment_weights.values()):
            raise ValueError("alignment_weights must not be negative")

    __hash__ = _hash


# --- guardrails -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GuardrailConfig(_Section):
    """The guardrails' thresholds.  The tier cadence is not here: it is the scoring section's
    ``cadence_days``, the one cadence every part of the product reads."""

    SETTING = "EXEC_SPONSOR_GUARDRAILS"

    enterprise_no_contact_days: int = 90     # guardrail 1: alert when MORE days have passed
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
        _non_negative(self, [f.name for f in fields(self)])
        for name in ("low_confidence_threshold", "org_change_certain_confidence"):
            if getattr(self, name) > 1:
                raise ValueError(f"{name} must be within 0..1")


# --- org-change triage -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TriageConfig(_Section):
    """How much the org-change sources are believed: a change below the guardrails'
    ``low_confidence_threshold`` waits for a CSM."""

    SETTING = "EXEC_SPONSOR_TRIAGE"

    news_confidence: float = 0.5             # a news-feed match (below the threshold: a CSM confirms)
    webhook_confidence: float = 0.9          # a job-change webhook that sends no confidence of its own
    webhook_tolerance_seconds: int = 300     # allowed clock skew of a signed webhook (replay window)

    def __post_init__(self):
        _non_negative(self, [f.name for f in fields(self)])
        for name in ("news_confidence", "webhook_confidence"):
            if getattr(self, name) > 1:
                raise ValueError(f"{name} must be within 0..1")


# --- portfolio metrics -----------------------------------------------------------------------------

METRIC_KEYS = ("exec_engagement_rate", "exec_touchpoint_cadence", "qbr_exec_attendance", "sponsor_retention",
               "multi_thread_score")


@dataclass(frozen=True)
class MetricsConfig(_Section):
    """The spec's portfolio metric targets; the window is the scoring window."""

    SETTING = "EXEC_SPONSOR_METRICS"

    # Targets per metric (> target is met, except the cadence: < target days).
    targets: Mapping[str, float] = field(default_factory=lambda: _frozen({
        "exec_engagement_rate": 80, "exec_touchpoint_cadence": 45, "qbr_exec_attendance": 70,
        "sponsor_retention": 85, "multi_thread_score": 1.5}))
    retention_days: int = 365                # Sponsor Retention looks at sponsors in place this long ago

    __hash__ = _hash

    def __post_init__(self):
        object.__setattr__(self, "targets", _frozen(self.targets))
        missing = [k for k in METRIC_KEYS if k not in self.targets]
        if missing:
            raise ValueError(f"targets: missing {', '.join(missing)}")
        _non_negative(self, ["retention_days"])


# --- the report's wording rules --------------------------------------------------------------------

@dataclass(frozen=True)
class ReportConfig(_Section):
    """Thresholds of the report's strengths, succession risk, timeline and panels."""

    SETTING = "EXEC_SPONSOR_REPORT"

    qbr_strength_share: float = 0.75         # "Attended a/b QBRs" is a strength from this share on
    fast_reply_days: float = 3.0             # "Replies within X days" is a strength up to this average
    new_sponsor_months: int = 12             # a primary in role for less is new: succession risk M
    recent_change_days: int = 90             # org changes shown under "Recent Changes"
    timeline_limit: int = 10                 # interactions in the primary sponsor's timeline
    change_days: int = 7                     # "what changed since" compares with this many days before
    renewal_urgent_days: int = 30            # a renewal this close at High/Critical risk: act this week; in the digest
    renewal_watch_days: int = 90             # ... this close: an action this quarter, and on the report's calendar

    def __post_init__(self):
        _non_negative(self, [f.name for f in fields(self)])
        if self.renewal_watch_days < self.renewal_urgent_days:
            raise ValueError(f"renewal_watch_days ({self.renewal_watch_days}) must be at least renewal_urgent_days "
                             f"({self.renewal_urgent_days})")


# --- the outbox -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutboxConfig(_Section):
    """Delivery of e-mails through the outbox."""

    SETTING = "EXEC_SPONSOR_EMAIL"

    lease_seconds: int = 600                 # a claim older than this belongs to a dead worker
    max_attempts: int = 5                    # claims before a message is given up as failed
    retry_backoff_seconds: int = 2           # first retry after this; doubles each time (jittered)
    retry_backoff_max_seconds: int = 600     # ... up to this
    domain: str = ""                         # Message-ID domain; empty: the sender address's domain

    def __post_init__(self):
        _non_negative(self, [f.name for f in fields(self) if f.name != "domain"])
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


# --- the weekly digest -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DigestConfig(_Section):
    """The weekly digest: when it arrives (in each recipient's own time zone) and how much it lists."""

    SETTING = "EXEC_SPONSOR_DIGEST"

    send_weekday: int = 0                    # day it arrives, local: 0 Monday ... 6 Sunday
    send_hour: int = 8                       # from this local hour on (0..23) that day
    trend_weeks: int = 12                    # weeks in each metric's trend chart
    movers: int = 5                          # biggest score drops (and as many rises) listed
    mover_min_points: int = 5                # a smaller weekly move of an executive's score is not listed
    group_limit: int = 10                    # items listed per exception group; the rest as "and N more"

    def __post_init__(self):
        _non_negative(self, [f.name for f in fields(self)])
        if self.send_weekday > 6:
            raise ValueError("send_weekday must be within 0 (Monday)..6 (Sunday)")
        if self.send_hour > 23:
            raise ValueError("send_hour must be within 0..23")
        for name in ("trend_weeks", "group_limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


# --- Slack -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SlackConfig(_Section):
    """Delivery to Slack incoming webhooks (through the same outbox as e-mail: lease, attempts, backoff)."""

    SETTING = "EXEC_SPONSOR_SLACK"

    timeout_seconds: float = 10.0            # one POST to a webhook gives up after this
    max_retry_after_seconds: int = 3600      # a 429's Retry-After is honoured up to this

    def __post_init__(self):
        _non_negative(self, [f.name for f in fields(self)])
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
# --- operations: is the tracker itself working? ------------------------------------------------------

@dataclass(frozen=True)
class OperationsConfig(_Section):
    """When the processes behind the product count as stalled (``manage.py status``, the admin's status
    page, and the e-mail to admins)."""

    SETTING = "EXEC_SPONSOR_OPERATIONS"

    # Beat is stalled when it has not ticked for longer than this; admins get an e-mail.
    beat_stall_minutes: int = 15
    # An escalation e-mail unsent for longer than this has waited too long; admins get an e-mail.
    escalation_wait_minutes: int = 5
    # A worker queue is stalled when no worker consuming it has checked in for this long, or when
    # tasks wait in it and none was done for this long.
    queue_stall_minutes: int = 5

    def __post_init__(self):
        _non_negative(self, [f.name for f in fields(self)])


# --- CRM sync -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CrmConfig(_Section):
    """The CRM connectors' schedule, incremental windows and manners with the API (HubSpot, Salesforce, analytics)."""

    SETTING = "EXEC_SPONSOR_CRM"

    sync_interval_minutes: int = 15          # each enabled connection is synced incrementally this often
    overlap_minutes: int = 5                 # an incremental run re-reads this far before the last watermark
    page_size: int = 200                     # records per search request (HubSpot allows up to 200)
    window_limit: int = 10000                # the search API's result limit: windows re-anchor before it
    max_retries: int = 5                     # retries of a 429, a 5xx or a dropped connection, then the run stops
    backoff_seconds: float = 1.0             # first retry of a 5xx after this; doubles each time
    max_retry_after_seconds: int = 300       # a longer Retry-After stops the run (the next one goes on)

    def __post_init__(self):
        _non_negative(self, [f.name for f in fields(self)])
        for name in ("sync_interval_minutes", "page_size", "window_limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.page_size > self.window_limit:
            raise ValueError("page_size must not exceed window_limit")


# --- all of it -------------------------------------------------------------------------------------

SECTIONS = {
    "scoring": ScoringConfig, "guardrails": GuardrailConfig, "triage": TriageConfig,
    "metrics": MetricsConfig, "report": ReportConfig, "outbox": OutboxConfig,
    "digest": DigestConfig, "slack": SlackConfig, "operations": OperationsConfig, "crm": CrmConfig,
}


@dataclass(frozen=True)
class RulesConfig:
    """Every section, built once.  ``RulesConfig()`` is the documented defaults."""

    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    guardrails: GuardrailConfig = field(default_factory=GuardrailConfig)
    triage: TriageConfig = field(default_factory=TriageConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    operations: OperationsConfig = field(default_factory=OperationsConfig)
    crm: CrmConfig = field(default_factory=CrmConfig)

    @classmethod
    def build(cls, **sections: Mapping | None) -> RulesConfig:
        """From one mapping per section: ``RulesConfig.build(guardrails={"score_drop_points": 10})``."""
        unknown = sorted(set(sections) - set(SECTIONS))
        if unknown:
            raise ConfigError(f"unknown rules section {unknown[0]!r} (sections: {', '.join(SECTIONS)})")
        return cls(**{name: SECTIONS[name].from_mapping(value) for name, value in sections.items()})

    @classmethod
    def from_settings(cls, settings) -> RulesConfig:
        """From the ``EXEC_SPONSOR_*`` settings, each section from its own (see ``SECTIONS``)."""
        return cls.build(**{name: getattr(settings, section.SETTING, None) or {}
                            for name, section in SECTIONS.items()})

    def cadence_days(self, tier: str) -> int:
        """The tier cadence: maximum days between executive touchpoints."""
        try:
            return self.scoring.cadence_days[tier]
        except KeyError:
            raise ValueError(f"unknown tier {tier!r} (tiers: {', '.join(TIERS)})") from None


DEFAULT_RULES = RulesConfig()
SETTING_NAMES = frozenset(section.SETTING for section in SECTIONS.values())
