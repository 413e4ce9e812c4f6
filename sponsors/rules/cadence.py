"""Tier cadence: how long since the last executive touchpoint, and what is due next.

Plain functions of plain data plus ``as_of``; days come from ``ScoringConfig``:
cadence (maximum days between executive touchpoints) enterprise 30, mid-market 91,
SMB 182; business-review rhythm enterprise / mid-market 91 (quarterly QBR), SMB 182
(semi-annual business review).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from accounts.vocabulary import TIER_LABELS, TIERS

from .config import ScoringConfig
from .facts import CadenceStatus
from .records import fast_init

DEFAULT_CONFIG = ScoringConfig()

# The executive touchpoint the cadence calls for between reviews, per tier.
CHECKIN_EVENT = {"enterprise": "one_on_one", "mid_market": "strategic_checkin", "smb": "strategic_checkin"}
# The account's business review, per tier.
REVIEW_EVENT = {"enterprise": "qbr", "mid_market": "qbr", "smb": "business_review"}
EVENT_LABELS = {
    "one_on_one": "Executive 1:1",
    "strategic_checkin": "Strategic check-in",
    "qbr": "QBR",
    "business_review": "Business review",
}


def _check(tier: str, last: date | None, as_of: date, what: str) -> None:
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r} (expected one of {', '.join(TIERS)})")
    if last is not None and last > as_of:
        raise ValueError(f"{what} {last} is after as_of {as_of}")


def cadence_status(
    tier: str,
    last_exec_touch: date | None,
    *,
    as_of: date,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> CadenceStatus:
    """Days since the last executive touchpoint against the tier cadence.

    ``days_since = as_of - last_exec_touch`` (days); ``next_due = last_exec_touch +
    cadence_days[tier]``; overdue when ``days_since > cadence`` (enterprise: 30 days is
    on time, 31 is overdue).  Never touched: ``days_since`` None, ``next_due = as_of``
    (due now, and overdue).  ``last_exec_touch`` after ``as_of`` raises ``ValueError``.
    """
    _check(tier, last_exec_touch, as_of, "last_exec_touch")
    cadence = config.cadence_days[tier]
    if last_exec_touch is None:
        return CadenceStatus(tier=tier, cadence_days=cadence, last_touch=None, days_since=None, next_due=as_of)
    return CadenceStatus(
        tier=tier, cadence_days=cadence, last_touch=last_exec_touch,
        days_since=(as_of - last_exec_touch).days,
        next_due=last_exec_touch + timedelta(days=cadence),
    )


@fast_init
@dataclass(frozen=True, slots=True)
class Touchpoint:
    """One touchpoint the cadence calls for."""

    event: str                          # interaction type: "one_on_one" | "strategic_checkin" | "qbr" | ...
    due: date                           # may be before as_of: then it is overdue
    reason: str                         # one line for humans

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.event, self.event)

    def overdue(self, as_of: date) -> bool:
        return self.due < as_of


def _reason(what: str, every: int, last: date | None, due: date, as_of: date) -> str:
    base = f"{what} every {every} days; " + (f"last {last.isoformat()}" if last else "none on record")
    if due < as_of:
        base += f"; overdue by {(as_of - due).days} days"
    return base


def next_touchpoints(
    tier: str,
    last_exec_touch: date | None,
    last_qbr: date | None,
    *,
    as_of: date,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> tuple[Touchpoint, ...]:
    """The next touchpoints the tier calls for, earliest first.

    * Review: ``qbr`` (enterprise, mid-market) or ``business_review`` (SMB), due
      ``last_qbr + review_days[tier]`` (91 / 91 / 182); never held -> due ``as_of``.
    * Executive check-in: ``one_on_one`` (enterprise) or ``strategic_checkin``
      (mid-market, SMB), due ``last_exec_touch + cadence_days[tier]`` (30 / 91 / 182);
      never touched -> due ``as_of``.  Listed only when due strictly before the review:
      a review on or before that date is itself the executive touchpoint.  So SMB and
      mid-market accounts whose review is on schedule see just the review, as the spec's
      cadence table lists.

    Due dates are not moved forward: a date before ``as_of`` means overdue.
    """
    _check(tier, last_exec_touch, as_of, "last_exec_touch")
    _check(tier, last_qbr, as_of, "last_qbr")
    tier_label = TIER_LABELS[tier]
    review_every = config.review_days[tier]
    review_due = last_qbr + timedelta(days=review_every) if last_qbr else as_of
    review = Touchpoint(
        REVIEW_EVENT[tier], review_due,
        _reason(f"{tier_label}: {EVENT_LABELS[REVIEW_EVENT[tier]]}", review_every, last_qbr, review_due, as_of),
    )
    status = cadence_status(tier, last_exec_touch, as_of=as_of, config=config)
    if status.next_due < review_due:
        checkin = Touchpoint(
            CHECKIN_EVENT[tier], status.next_due,
            _reason(f"{tier_label} cadence: executive touchpoint", status.cadence_days,
                    last_exec_touch, status.next_due, as_of),
        )
        return (checkin, review)
    return (review,)
