"""A user's personal calendar: planned touchpoints, the touchpoints the tier cadence calls for and the contract
renewals, across the accounts they may see; and the revocable secret of its iCalendar subscription URL.

Reads use the stored account snapshots (their cadence: the next executive touch due), never the rules.
The secret's writes are here, the one door for ``CalendarFeedToken``: ``feed_issue`` (a new secret, the old
one ends), ``feed_revoke``, ``feed_user`` (whose secret is this, or None).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone
from icalendar import Calendar, Event

from accounts.selectors import accounts_visible_to
from accounts.vocabulary import INTERACTION_LABELS
from reports.health import money_text
from reports.models import CalendarFeedToken
from reports.workspace import by_name
from sponsors.models import Contact, PlannedTouchpoint, ScoreSnapshot
from sponsors.selectors.departures import confirmed_departures

PRODID = "-//Executive Sponsor Tracker//My calendar//EN"
UID_DOMAIN = "executive-sponsor-tracker"
SECRET_BYTES = 32
FEED_DAYS_BACK = 30          # the feed keeps a month of past plans, so a calendar does not drop them at once
FEED_DAYS_AHEAD = 365


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def feed_issue(*, user) -> str:
    """A new subscription secret for ``user`` (any earlier one stops working); returned once, stored hashed."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    CalendarFeedToken.objects.filter(user=user).delete()
    CalendarFeedToken.objects.create(user=user, digest=_digest(secret))
    return secret


@transaction.atomic
def feed_revoke(*, user) -> bool:
    """End the user's subscription URL; True when there was one."""
    deleted, _ = CalendarFeedToken.objects.filter(user=user).delete()
    return bool(deleted)


def feed_user(secret: str):
    """The active user whose secret this is, or None (and the use is noted)."""
    if not secret or len(secret) > 100:
        return None
    token = CalendarFeedToken.objects.select_related("user").filter(digest=_digest(secret)).first()
    if token is None or not token.user.is_active:
        return None
    CalendarFeedToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


@dataclass(frozen=True, slots=True)
class Entry:
    day: date
    kind: str                   # "planned" | "due" | "renewal"
    account_id: int
    account: str
    event: str                  # "1:1", "Executive touchpoint due"
    who: str                    # the executives (planned) or ''
    note: str                   # objective, or why it is due
    overdue: bool = False
    uid: str = ""
    touchpoint_id: int | None = None    # a planned entry's touchpoint (to log it once it has happened)


def planned_entries(user, *, start: date, end: date) -> list[Entry]:
    qs = (PlannedTouchpoint.objects.filter(account__in=accounts_visible_to(user).values("pk"),
                                           status=PlannedTouchpoint.Status.PLANNED, planned_on__range=(start, end))
          .select_related("account").prefetch_related("contacts", by_name("team_attendees"))
          .order_by("planned_on", "pk"))
    return [Entry(tp.planned_on, "planned", tp.account_id, tp.account.name, INTERACTION_LABELS.get(tp.type, tp.type),
                  _who(tp), tp.objective, uid=f"touchpoint-{tp.pk}@{UID_DOMAIN}", touchpoint_id=tp.pk)
            for tp in qs]


def _who(touchpoint) -> str:
    """The executives, then who of our side comes along."""
    who = ", ".join(c.name for c in touchpoint.contacts.all())
    ours = [str(u) for u in touchpoint.team_attendees.all()]
    return f"{who}; our side: {', '.join(ours)}" if ours else who


def _primary_name(today: date) -> Subquery:
    """The name of the account's (``OuterRef("pk")``) primary sponsor who has not left, or NULL."""
    return Subquery(Contact.objects.filter(account=OuterRef("pk"), sponsor=Contact.Sponsor.PRIMARY,
                                           status=Contact.Status.ACTIVE)
                    .exclude(Exists(confirmed_departures(as_of=today, contact=OuterRef("pk"))))  # left, CRM unaware yet
                    .order_by().values("name")[:1])


def _with(primary_name: str | None) -> str:
    return f"{primary_name} (primary sponsor)" if primary_name else "no primary sponsor named"


def due_entries(user, *, today: date, end: date) -> list[Entry]:
    """The next executive touch each account's cadence calls for (from its latest stored snapshot), up to
    ``end``; an overdue one is shown today.  Accounts with a touchpoint planned from today on are left out.
    Whom to meet: the primary sponsor, as the spec report's engagement calendar names them (reports/builder.py);
    an account without one says so, since naming one comes first."""
    latest = ScoreSnapshot.objects.filter(account=OuterRef("pk"), contact__isnull=True, as_of__lte=today).order_by(
        "-as_of")
    primary = _primary_name(today)
    planned = PlannedTouchpoint.objects.filter(status=PlannedTouchpoint.Status.PLANNED, planned_on__gte=today)
    rows = (accounts_visible_to(user).exclude(pk__in=planned.values("account_id"))
            .annotate(due=Subquery(latest.annotate(d=KT("breakdown__cadence__next_due")).values("d")[:1]),
                      cadence=Subquery(latest.annotate(c=KT("breakdown__cadence__cadence_days")).values("c")[:1]),
                      primary=primary)
            .filter(due__isnull=False).order_by("due", "name").values_list("pk", "name", "due", "cadence", "primary"))
    out = []
    for pk, name, due, cadence, primary_name in rows:
        day = date.fromisoformat(due)
        if day > end:
            break
        overdue = day < today
        who = _with(primary_name)
        note = f"{cadence}-day cadence" + (f"; overdue since {day.isoformat()}" if overdue else "")
        out.append(Entry(max(day, today), "due", pk, name, "Executive touchpoint due", who, note, overdue,
                         uid=f"due-{pk}-{day.isoformat()}@{UID_DOMAIN}"))
    return out


def renewal_entries(user, *, start: date, end: date, today: date) -> list[Entry]:
    """The contract renewals between ``start`` and ``end``: the date the executive relationship is put to the
    test, with the ARR at stake and today's engagement risk, and whom to have met by then."""
    rows = (accounts_visible_to(user).filter(renewal_date__range=(start, end))
            .annotate(primary=_primary_name(today))
            .order_by("renewal_date", "name")
            .values_list("pk", "name", "renewal_date", "arr", "currency", "current_score__risk", "primary"))
    out = []
    for pk, name, day, arr, currency, risk, primary_name in rows:
        stake = f"ARR {money_text(arr, currency)}" if arr is not None else "ARR not on record"
        note = f"{stake}; executive engagement at {risk} risk" if risk else f"{stake}; not scored yet"
        out.append(Entry(day, "renewal", pk, name, "Contract renewal", _with(primary_name), note,
                         uid=f"renewal-{pk}-{day.isoformat()}@{UID_DOMAIN}"))
    return out


def entries(user, *, today: date, days_back: int = 0, days_ahead: int = 60) -> list[Entry]:
    start, end = today - timedelta(days=days_back), today + timedelta(days=days_ahead)
    both = (planned_entries(user, start=start, end=end) + due_entries(user, today=today, end=end)
            + renewal_entries(user, start=start, end=end, today=today))
    return sorted(both, key=lambda e: (e.day, e.kind != "due" or not e.overdue, e.kind, e.account.casefold()))


def to_ics(rows, *, user, site_url: str, now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Executive touchpoints")
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for e in rows:
        ev = Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e.day)
        ev.add("dtend", e.day + timedelta(days=1))
        ev.add("summary", f"{e.event} — {e.account}")
        lines = [f"With: {e.who}" if e.who else "", e.note, f"{site_url.rstrip('/')}/accounts/{e.account_id}/"]
        ev.add("description", "\n".join(x for x in lines if x))
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
