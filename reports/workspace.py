"""The account workspace's reads: the header (contract, owner and team, overall engagement with its 12-week
trend), a card per executive (score, the four factor bars with their notes, a 12-week sparkline, level and
risk, last touch, next touch due, sponsor role), the planned touchpoints and the interaction timeline.

Everything comes from the stored score snapshots (no scoring per request) in a fixed number of queries,
whatever the account's history: one for the 12 weeks of scores, one for the latest day's breakdowns, one
for the executives, two for the planned touchpoints, three for a page of the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q

from accounts.models import User
from accounts.selectors import account_team
from accounts.vocabulary import INTERACTION_LABELS, TIER_LABELS, factor_label
from reports.charts import Bar, Sparkline, score_scale, sparkline, weekly_days, weekly_values
from reports.health import renewal_urgent
from sponsors.models import Contact, Interaction, PlannedTouchpoint, ScoreSnapshot
from sponsors.rules.config import MAX_FACTOR

TREND_WEEKS = 12
TIMELINE_PAGE_SIZE = 10
SPONSOR_ORDER = {"primary": 0, "backup": 1, "": 2}


@dataclass(frozen=True, slots=True)
class Point:
    as_of: date
    score: int


@dataclass(frozen=True)
class Scores:
    """An account's stored scores: 12 weeks of points per contact (None: the account) and the latest
    day's snapshot rows (score, level, risk, breakdown) on or before ``as_of``."""

    as_of: date
    latest_day: date | None
    points: dict                # contact id | None -> [Point, oldest first]
    latest: dict                # contact id | None -> {"score", "level", "risk", "breakdown"}

    def trend(self, contact_id=None, *, label: str) -> Sparkline:
        values = weekly_values(self.points.get(contact_id, ()), weekly_days(self.as_of, TREND_WEEKS))
        low, high = score_scale(values)
        return sparkline(values, low=low, high=high, label=label)


def load_scores(account, *, as_of: date) -> Scores:
    """Two queries: the 12 weeks of points, and the breakdowns of the latest day on or before ``as_of``."""
    start = as_of - timedelta(days=7 * TREND_WEEKS)
    points: dict = {}
    for contact_id, day, score in (ScoreSnapshot.objects.filter(account=account, as_of__gt=start, as_of__lte=as_of)
                                   .order_by("as_of", "pk").values_list("contact_id", "as_of", "score")):
        points.setdefault(contact_id, []).append(Point(day, score))
    account_days = [p.as_of for p in points.get(None, ())]
    latest_day = account_days[-1] if account_days else (
        ScoreSnapshot.objects.filter(account=account, contact__isnull=True, as_of__lte=as_of)
        .order_by("-as_of").values_list("as_of", flat=True).first())
    latest = {}
    if latest_day is not None:
        for contact_id, score, level, risk, breakdown in (
                ScoreSnapshot.objects.filter(account=account, as_of=latest_day)
                .values_list("contact_id", "score", "level", "risk", "breakdown")):
            latest[contact_id] = {"score": score, "level": level, "risk": risk, "breakdown": breakdown or {}}
    return Scores(as_of=as_of, latest_day=latest_day, points=points, latest=latest)


# --- the header -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Header:
    account: object
    tier_label: str
    renewal_in_days: int | None
    team: tuple                 # ((name, role label), …), CSM first
    score: int | None
    level: str | None
    risk: str | None
    method: str
    cadence: dict               # days_since, cadence_days, next_due (ISO), overdue
    scored_on: date | None
    trend: Sparkline
    renewal_urgent: bool = False    # within renewal_urgent_days at High or Critical risk (health.renewal_urgent)


def header(account, scores: Scores, *, as_of: date, urgent_days: int, members=None) -> Header:
    """The head of the workspace; ``members``: the account team, when already read (``account_team``)."""
    own = scores.latest.get(None) or {}
    breakdown = own.get("breakdown", {})
    renewal_in_days = (account.renewal_date - as_of).days if account.renewal_date else None
    return Header(
        account=account, tier_label=TIER_LABELS.get(account.tier, account.tier),
        renewal_in_days=renewal_in_days,
        renewal_urgent=renewal_urgent(renewal_in_days, own.get("risk"), urgent_days=urgent_days),
        team=tuple((str(m.user), m.get_role_display()) for m in (account_team(account) if members is None
                                                                    else members)),
        score=own.get("score"), level=own.get("level"), risk=own.get("risk"), method=breakdown.get("method", ""),
        cadence=breakdown.get("cadence") or {}, scored_on=scores.latest_day,
        trend=scores.trend(None, label=f"Overall engagement of {account.name}, last {TREND_WEEKS} weeks"),
    )


# --- the executive cards ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExecutiveCard:
    contact: Contact
    score: int | None
    level: str | None
    risk: str | None
    bars: tuple[Bar, ...]
    reasons: tuple[str, ...]
    trend: Sparkline
    last_touch: str             # ISO date, '' never
    days_since_touch: int | None
    next_due: date | None       # last touch + the tier cadence (today when never touched)
    next_planned: date | None   # the next planned touchpoint with them
    departed: bool
    as_of: date

    @property
    def overdue(self) -> bool:
        """Past the cadence with nothing planned."""
        return self.next_due is not None and self.next_planned is None and self.next_due < self.as_of


def executives(account):
    """The account's executives and named sponsors, primary first, active before departed (one query)."""
    people = Contact.objects.filter(account=account).filter(Q(is_executive=True) | ~Q(sponsor=""))
    return sorted(people, key=lambda c: (SPONSOR_ORDER.get(c.sponsor, 3), c.status != "active", c.name.casefold()))


def _card(contact, scores: Scores, *, cadence_days: int, next_planned, as_of: date, departed: bool) -> ExecutiveCard:
    row = scores.latest.get(contact.pk) or {}
    b = row.get("breakdown", {})
    bars = tuple(Bar(factor_label(f["key"]), f["score"], MAX_FACTOR, f.get("note", "")) for f in b.get("factors", ()))
    last_touch = b.get("last_touch") or ""
    touched = date.fromisoformat(last_touch) if last_touch else None
    days_since_touch = (scores.latest_day - touched).days if touched else None
    next_due = touched + timedelta(days=cadence_days) if touched else as_of
    return ExecutiveCard(
        contact=contact, score=row.get("score"), level=row.get("level"), risk=row.get("risk"), bars=bars,
        reasons=tuple(b.get("reasons", ())), last_touch=last_touch, days_since_touch=days_since_touch,
        trend=scores.trend(contact.pk, label=f"Engagement of {contact.name}, last {TREND_WEEKS} weeks"),
        next_due=next_due, next_planned=next_planned, departed=departed,
        as_of=as_of)


def executive_cards(account, people, scores: Scores, planned, *, cadence_days: int, as_of: date,
                    left=frozenset()) -> tuple:
    """A card per executive and named sponsor; ``left``: the contacts a confirmed departure names
    (``departure_days``: departed before the CRM's status says so)."""
    first_planned = {}
    for tp in planned:
        for c in tp.contacts.all():
            first_planned.setdefault(c.pk, tp.planned_on)
    return tuple(_card(c, scores, cadence_days=cadence_days, next_planned=first_planned.get(c.pk), as_of=as_of,
                       departed=c.status == Contact.Status.DEPARTED or c.pk in left)
                 for c in people if c.is_executive or c.sponsor)


# --- planned touchpoints and the timeline ------------------------------------------------------------------

def by_name(relation: str) -> Prefetch:
    """Prefetch ``relation`` (users: who of our side) in the order people read names."""
    return Prefetch(relation, queryset=User.objects.order_by("first_name", "last_name", "email"))


def upcoming_touchpoints(account, *, as_of: date, unlogged_days: int = 0, limit: int = 20) -> list:
    """Planned touchpoints from ``as_of`` on, soonest first, with their contacts and team attendees (three
    queries); and, first, those of the ``unlogged_days`` before it still planned: neither logged nor
    cancelled yet."""
    return list(PlannedTouchpoint.objects.filter(account=account, status=PlannedTouchpoint.Status.PLANNED,
                                                 planned_on__gte=as_of - timedelta(days=unlogged_days))
                .select_related("planned_by").prefetch_related("contacts", by_name("team_attendees"))
                .order_by("planned_on", "pk")[:limit])


@dataclass(frozen=True)
class Timeline:
    page: object                # django Paginator page of Interaction (participants prefetched)
    contact: int | None
    type: str

    @property
    def items(self):
        return self.page.object_list


def timeline(account, *, contact: int | None = None, type: str = "", page: int = 1,
             size: int = TIMELINE_PAGE_SIZE) -> Timeline:
    """A page of the account's interactions, newest first, of one person and/or one type, with who took
    part on both sides (four queries)."""
    qs = Interaction.objects.filter(account=account)
    if contact:
        qs = qs.filter(participant_links__contact_id=contact)
    if type:
        qs = qs.filter(type=type)
    qs = qs.order_by("-occurred_at", "-pk").prefetch_related(
        Prefetch("participants", queryset=Contact.objects.order_by("name")), by_name("team_attendees"))
    return Timeline(page=Paginator(qs, size).get_page(page), contact=contact, type=type)


def names_by_email(users) -> dict:
    """``{e-mail, case-folded: the name people read}`` of ``users`` (a record's "logged by" is an address)."""
    return {user.email.casefold(): user.get_full_name() or user.email for user in users if user.email}


def type_label(value: str) -> str:
    return INTERACTION_LABELS.get(value, value)
