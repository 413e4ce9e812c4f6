"""The product's vocabulary, once: tiers, roles, interaction types, engagement levels, severities,
their human labels, and the plain date helpers the rules share.

It sits on the ground floor (``accounts/``) so that the models, the pure rules in
``sponsors/rules/`` and the reports all say the same words.  Pure Python: no Django, no clock.
"""

from __future__ import annotations

from datetime import date, datetime

# --- accounts ----------------------------------------------------------------------------------

TIERS = ("enterprise", "mid_market", "smb")
TIER_LABELS = {"enterprise": "Enterprise", "mid_market": "Mid-Market", "smb": "SMB"}

# Account team roles, in the order people are listed and addressed (CSM first).
TEAM_ROLE_ORDER = {"csm": 0, "manager": 1, "account_executive": 2, "executive_sponsor_internal": 3, "other": 4}

# --- contacts ----------------------------------------------------------------------------------

CONTACT_ROLES = ("executive_sponsor", "c_level", "vp", "director", "other")
CONTACT_ROLE_LABELS = {"executive_sponsor": "Executive sponsor", "c_level": "C-level", "vp": "VP",
                       "director": "Director", "other": "Other"}
EXECUTIVE_ROLES = frozenset({"executive_sponsor", "c_level", "vp"})
SPONSOR_ROLES = ("primary", "backup")
CONTACT_STATUSES = ("active", "departed")

# --- interactions ------------------------------------------------------------------------------

INTERACTION_TYPES = (
    "one_on_one", "qbr", "exec_dinner", "strategic_checkin", "business_review",
    "call", "email", "event", "referral", "advocacy", "other",
)
INTERACTION_LABELS = {
    "one_on_one": "1:1",
    "qbr": "QBR",
    "exec_dinner": "Exec Dinner",
    "strategic_checkin": "Strategic Check-in",
    "business_review": "Business Review",
    "call": "Call",
    "email": "Email",
    "event": "Event",
    "referral": "Referral",
    "advocacy": "Advocacy",
    "other": "Other",
}
# Types that count as an executive meeting when direction == "meeting".
MEETING_TYPES = frozenset(
    {"one_on_one", "qbr", "exec_dinner", "strategic_checkin", "business_review", "call", "event"}
)
ADVOCACY_TYPES = frozenset({"referral", "advocacy"})
DIRECTIONS = ("meeting", "outbound", "inbound")
PURPOSES = ("strategic", "operational")

# --- org changes -------------------------------------------------------------------------------

ORG_CHANGE_KINDS = (
    "departure", "promotion", "role_change", "new_executive", "reorg", "acquisition", "layoffs",
)
ORG_CHANGE_SOURCES = ("linkedin", "news", "crm", "manual", "webhook")
# How the source of an org change reads in a sentence ("(LinkedIn, 2026-11-23)").
ORG_CHANGE_SOURCE_LABELS = {"linkedin": "LinkedIn", "news": "news", "crm": "CRM", "manual": "manual entry",
                            "webhook": "job-change webhook"}

# --- the audit trail: where a change came from ------------------------------------------------------

CHANGE_SOURCES = ("app", "admin", "api", "crm", "webhook", "news", "rule")
CHANGE_SOURCE_LABELS = {"app": "in the app", "admin": "in the admin", "api": "through the API", "crm": "the CRM",
                        "webhook": "a job-change webhook", "news": "the news", "rule": "a rule"}

# --- engagement --------------------------------------------------------------------------------

ENGAGEMENT_LEVELS = ("Champion", "Engaged", "Passive", "Disengaged", "Unknown")
# The levels that count as "an engaged executive" (metrics, single-threaded, strengths).
ENGAGED_LEVELS = frozenset({"Champion", "Engaged"})
RISK_LEVELS = ("Low", "Medium", "High", "Critical")
# The risks that count as "at risk" (ARR at risk, renewals at risk, risk crossings).
AT_RISK_LEVELS = ("High", "Critical")
RISK_BY_LEVEL = {
    "Champion": "Low", "Engaged": "Low", "Passive": "Medium",
    "Disengaged": "High", "Unknown": "Critical",
}

FACTOR_KEYS = ("meeting_frequency", "responsiveness", "qbr_attendance", "strategic_alignment")
FACTOR_LABELS = {
    "meeting_frequency": "Meeting Frequency",
    "responsiveness": "Responsiveness",
    "qbr_attendance": "QBR Attendance",
    "strategic_alignment": "Strategic Alignment",
}

# --- alerts ------------------------------------------------------------------------------------

SEVERITIES = ("low", "medium", "high", "critical")   # least to most severe
SEVERITIES_MOST_FIRST = tuple(reversed(SEVERITIES))


def severity_rank(severity: str) -> int:
    """``low`` 0 < ``medium`` 1 < ``high`` 2 < ``critical`` 3; unknown severities raise."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ValueError(f"unknown severity {severity!r} (severities: {', '.join(SEVERITIES)})") from None


def lower_severity(severity: str) -> str:
    """One step lower, never below ``low``."""
    return SEVERITIES[max(0, severity_rank(severity) - 1)]


# --- the report's recommended actions -----------------------------------------------------------

HORIZONS = ("immediate", "short_term", "strategic")
HORIZON_LABELS = {
    "immediate": "Immediate (This Week)",
    "short_term": "Short-Term (This Quarter)",
    "strategic": "Strategic (Long-Term)",
}

# --- helpers -----------------------------------------------------------------------------------

def is_executive(roles) -> bool:
    """An executive is a contact with ``executive_sponsor``, ``c_level`` or ``vp``."""
    return bool(EXECUTIVE_ROLES.intersection(roles or ()))


def factor_label(key: str) -> str:
    """A factor's label from its key: a stored breakdown keeps the key only (older ones carry both, the same)."""
    return FACTOR_LABELS.get(key) or label(key)


def label(value: str) -> str:
    """A code as words: ``"mid_market"`` → ``"Mid market"`` (for codes without a label of their own)."""
    return value.replace("_", " ").capitalize()


def choices(values, labels=None) -> list[tuple[str, str]]:
    """Django ``choices`` for ``values``, labelled from ``labels`` or by :func:`label`."""
    labels = labels or {}
    return [(v, labels.get(v, label(v))) for v in values]


def as_date(value: date | datetime) -> date:
    """The calendar date of a date or datetime (callers convert aware datetimes to local time first)."""
    return value.date() if isinstance(value, datetime) else value


def days_between(earlier: date | datetime, as_of: date) -> int:
    """Whole days from ``earlier`` to ``as_of`` (negative when ``earlier`` is later)."""
    return (as_of - as_date(earlier)).days
