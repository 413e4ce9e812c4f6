"""One contact's (and one account's) activity aggregates from raw interactions: the pure reference of
what the bulk SQL in ``sponsors/selectors/facts.py`` computes for the whole portfolio.

Pure functions of plain facts plus ``as_of``: no Django, no clock.  Dates are calendar dates; callers
convert aware datetimes to the configured time zone first (as the SQL path does with AT TIME ZONE).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from accounts.vocabulary import ADVOCACY_TYPES, MEETING_TYPES, as_date

from .config import ScoringConfig
from .facts import InteractionFact, SponsorActivity

DEFAULT_CONFIG = ScoringConfig()


def window_start(as_of: date, config: ScoringConfig = DEFAULT_CONFIG) -> date:
    """First day of the scoring window: the window holds ``window_days`` calendar days,
    ``as_of`` and the ``window_days - 1`` days before it.  With 365: an interaction
    364 days before as_of is in, 365 days before is out.  SQL:
    ``occurred_at::date BETWEEN :as_of - (window_days - 1) AND :as_of``."""
    return as_of - timedelta(days=config.window_days - 1)


def _reply_day(i: InteractionFact, as_of: date) -> date | None:
    """Date of the contact's reply to an outbound, if it happened on or before as_of."""
    if i.direction != "outbound" or i.responded_at is None:
        return None
    day = as_date(i.responded_at)
    return day if day <= as_of else None


def _reply_days(i: InteractionFact, cap: float) -> float:
    delay = (i.responded_at - i.occurred_at).total_seconds() / 86400
    return min(max(delay, 0.0), cap)


def _is_review(i: InteractionFact, config: ScoringConfig) -> bool:
    return i.direction == "meeting" and i.type in config.review_types


def activity_from_interactions(
    contact_id,
    interactions: Iterable[InteractionFact],
    *,
    as_of: date,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> SponsorActivity:
    """One contact's ``SponsorActivity`` from raw interactions (the bulk SQL mirrors this).

    Only interactions listing ``contact_id`` in ``contact_ids`` and occurring on or before
    ``as_of`` are considered.  "In window" means occurred date within
    ``[window_start(as_of), as_of]``.

    * ``meetings``: in-window interactions with direction ``meeting`` and type in
      ``MEETING_TYPES`` (purpose does not matter).
    * ``outbound``: in-window interactions with direction ``outbound``, any type and any
      purpose (an operational e-mail is still outreach the contact may answer).
    * ``answered``: those outbound whose ``responded_at`` date is on or before as_of.
    * ``reply_days_total``: sum over answered of (responded_at - occurred_at) in days,
      each clamped to 0..``reply_cap_days``.
    * ``qbrs_attended``: in-window meetings whose type is in ``config.review_types``
      (``qbr``, ``business_review``).
    * ``advocacy_signals``: in-window interactions of type ``referral`` or ``advocacy``.
    * ``last_touch`` (not window-limited): latest of every occurred date and every reply
      date, all on or before as_of.
    * ``last_direct_contact`` (not window-limited): latest occurred date of a ``meeting``
      or ``inbound`` interaction, or reply date of an answered outbound, on or before as_of.
    """
    start = window_start(as_of, config)
    cap = config.reply_cap_days
    meetings = outbound = answered = qbrs = advocacy = 0
    reply_total = 0.0
    last_touch: date | None = None
    last_direct: date | None = None
    for i in interactions:
        if contact_id not in i.contact_ids:
            continue
        day = as_date(i.occurred_at)
        if day > as_of:
            continue
        reply_day = _reply_day(i, as_of)
        touch = max(day, reply_day) if reply_day else day
        last_touch = max(last_touch, touch) if last_touch else touch
        direct = day if i.direction in ("meeting", "inbound") else reply_day
        if direct is not None:
            last_direct = max(last_direct, direct) if last_direct else direct
        if day < start:
            continue
        if i.direction == "meeting" and i.type in MEETING_TYPES:
            meetings += 1
        if _is_review(i, config):
            qbrs += 1
        if i.type in ADVOCACY_TYPES:
            advocacy += 1
        if i.direction == "outbound":
            outbound += 1
            if reply_day:
                answered += 1
                reply_total += _reply_days(i, cap)
    return SponsorActivity(
        meetings=meetings, outbound=outbound, answered=answered, reply_days_total=reply_total,
        qbrs_attended=qbrs, advocacy_signals=advocacy,
        last_touch=last_touch, last_direct_contact=last_direct,
    )


def account_qbr_counts(
    interactions: Iterable[InteractionFact],
    executive_ids,
    *,
    as_of: date,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> tuple[int, int]:
    """``(held, held_with_exec)`` for one account's interactions.

    ``held``: in-window meetings whose type is in ``config.review_types`` (each logged
    review is one held QBR).  ``held_with_exec``: those listing at least one of
    ``executive_ids`` among their contacts.
    """
    start = window_start(as_of, config)
    execs = set(executive_ids)
    held = with_exec = 0
    for i in interactions:
        if _is_review(i, config) and start <= as_date(i.occurred_at) <= as_of:
            held += 1
            if execs.intersection(i.contact_ids):
                with_exec += 1
    return held, with_exec


def last_exec_touch(interactions: Iterable[InteractionFact], executive_ids, *, as_of: date) -> date | None:
    """Latest executive touch of the account on or before ``as_of`` (not window-limited).

    Same touch dates as ``SponsorActivity.last_touch``: the occurred date of any
    interaction listing one of ``executive_ids`` (any type, direction, purpose), and the
    reply date of such an outbound when replied to on or before as_of.
    """
    execs = set(executive_ids)
    latest: date | None = None
    for i in interactions:
        if not execs.intersection(i.contact_ids):
            continue
        day = as_date(i.occurred_at)
        if day > as_of:
            continue
        reply_day = _reply_day(i, as_of)
        for d in (day, reply_day):
            if d is not None and (latest is None or d > latest):
                latest = d
    return latest
