"""Executive outreach rules: guardrail 4 (never contact executives for operational issues) and
guardrail 5 (coordinate executive outreach with the account team).

Pure functions of plain facts: no Django, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from accounts.vocabulary import DIRECTIONS, PURPOSES, as_date

from .config import GuardrailConfig
from .facts import ContactFact

DEFAULT_GUARDRAILS = GuardrailConfig()

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
    config: GuardrailConfig = DEFAULT_GUARDRAILS,
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
        and abs((as_date(e.planned_on) - as_date(new.planned_on)).days) <= window
    ]
    return sorted(found, key=lambda e: (as_date(e.planned_on), e.planner.casefold(), str(e.id)))


def conflict_message(
    new: PlannedOutreach,
    conflicts: Iterable[PlannedOutreach],
    *,
    contact_name: str | None = None,
    config: GuardrailConfig = DEFAULT_GUARDRAILS,
) -> str:
    """One line for the planner (and the coordination e-mail); ``""`` when nothing conflicts."""
    conflicts = list(conflicts)
    if not conflicts:
        return ""
    who = contact_name or f"contact {new.contact_id}"
    others = ", ".join(f"{c.planner} on {as_date(c.planned_on).isoformat()}" for c in conflicts)
    return (f"Outreach to {who} on {as_date(new.planned_on).isoformat()} is within "
            f"{config.outreach_conflict_days} days of outreach planned by {others}; "
            f"coordinate with the account team before reaching out")
