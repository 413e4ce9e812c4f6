"""The engagement calendar: planned touchpoints + next due touchpoints, and its .ics export.

Inputs are plain rows (dataclasses below, or mappings with the same keys).  When the next
touchpoints are due is decided by the cadence rules elsewhere; this module only merges,
sorts and exports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from icalendar import Calendar, Event

from accounts.vocabulary import INTERACTION_LABELS
from reports.report import CalendarRow

PRODID = "-//Executive Sponsor Tracker//Reports//EN"
UID_DOMAIN = "executive-sponsor-tracker"


@dataclass(frozen=True, slots=True)
class PlannedTouchpoint:
    date: date
    event: str                          # an interaction type key ("qbr") or free text
    attendees: tuple[str, ...] = ()
    objective: str = ""


@dataclass(frozen=True, slots=True)
class DueTouchpoint:
    due: date
    event_type: str                     # an interaction type key ("one_on_one") or free text
    reason: str = ""


def _get(row, name, default=None):
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def event_label(event: str) -> str:
    """``"one_on_one"`` -> ``"1:1"``; free text stays as it is."""
    return INTERACTION_LABELS.get(event, event)


def build_calendar(
    planned: Iterable = (),
    due: Iterable = (),
    *,
    default_attendees: Iterable[str] = (),
    as_of: date | None = None,
) -> tuple[CalendarRow, ...]:
    """Calendar rows sorted by date (then event), planned first on ties.

    * planned rows keep their attendees and objective;
    * due rows get ``default_attendees`` (typically the primary sponsor and the account
      owner) and their reason as objective;
    * with ``as_of``: planned rows before it are dropped (they are history, not plans) and an
      overdue due row is moved to ``as_of`` with "Overdue since <date>" in its objective;
    * a due row identical in date and event to a planned row is dropped.
    """
    default_attendees = tuple(default_attendees)
    rows: list[tuple[int, CalendarRow]] = []
    for p in planned:
        day = _get(p, "date")
        if as_of is not None and day < as_of:
            continue
        rows.append((0, CalendarRow(
            date=day,
            event=event_label(_get(p, "event", "")),
            attendees=tuple(_get(p, "attendees", ()) or ()),
            objective=_get(p, "objective", "") or "",
        )))
    taken = {(r.date, r.event) for _, r in rows}
    for d in due:
        day = _get(d, "due")
        objective = _get(d, "reason", "") or ""
        if as_of is not None and day < as_of:
            objective = f"Overdue since {day.isoformat()}" + (f" — {objective}" if objective else "")
            day = as_of
        row = CalendarRow(
            date=day,
            event=event_label(_get(d, "event_type", "")),
            attendees=default_attendees,
            objective=objective,
        )
        if (row.date, row.event) in taken:
            continue
        taken.add((row.date, row.event))
        rows.append((1, row))
    rows.sort(key=lambda item: (item[1].date, item[0], item[1].event))
    return tuple(row for _, row in rows)


def event_uid(account_name: str, row: CalendarRow) -> str:
    """Stable across exports: the same account, date and event always get the same UID."""
    digest = hashlib.sha256(
        f"{account_name}\x1f{row.date.isoformat()}\x1f{row.event}".encode()
    ).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def to_ics(rows: Iterable[CalendarRow], *, account_name: str, as_of: date) -> bytes:
    """An iCalendar file with one all-day VEVENT per row.

    DTSTAMP is ``as_of`` at midnight UTC (deterministic; no clock).  DESCRIPTION carries the
    objective and the attendees (names only: CRM contacts have no calendar addresses here).
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Executive engagement — {account_name}")
    stamp = datetime.combine(as_of, time(0, 0), tzinfo=UTC)
    seen: dict[str, int] = {}
    for row in rows:
        uid = event_uid(account_name, row)
        n = seen.get(uid, 0)
        seen[uid] = n + 1
        if n:                                   # same date and event twice: keep UIDs unique
            uid = f"{n}-{uid}"
        ev = Event()
        ev.add("uid", uid)
        ev.add("dtstamp", stamp)
        ev.add("dtstart", row.date)
        ev.add("dtend", row.date + timedelta(days=1))
        ev.add("summary", f"{row.event} — {account_name}")
        attendees = ", ".join(row.attendees) if row.attendees else "—"
        ev.add("description", f"Objective: {row.objective or '—'}\nAttendees: {attendees}")
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
