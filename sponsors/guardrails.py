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
from datetime import date, datetime
from types import MappingProxyType

from .facts import SEVERITIES, TIERS, OrgChangeFact

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
