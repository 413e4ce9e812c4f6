"""Reads of the score history: trends (``score_history``) and "what changed since last week"
(``score_changes``: per contact, the score then and now, with the factors that moved and their notes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Max, Q
from django.utils import timezone

from accounts.vocabulary import factor_label

from ..models import ScoreSnapshot


def _account_id(account) -> int:
    return getattr(account, "pk", account)


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    as_of: date
    score: int
    level: str
    risk: str


@dataclass(frozen=True)
class ScoreHistory:
    """An account's snapshots over a period, oldest first: the account's own and each contact's."""

    account_id: int
    start: date                         # first day of the period (inclusive)
    end: date                           # last day (inclusive)
    account: tuple[HistoryPoint, ...]
    contacts: dict                      # contact id -> tuple[HistoryPoint, ...]
    names: dict                         # contact id -> name (as of its latest snapshot)

    def points(self, contact_id=None) -> tuple[HistoryPoint, ...]:
        return self.account if contact_id is None else self.contacts.get(contact_id, ())

    def change(self, contact_id=None, *, days: int = 30) -> int | None:
        """Latest score minus the score ``days`` before it (the latest snapshot on or before that
        day); None when the history does not reach that far back."""
        points = self.points(contact_id)
        if not points:
            return None
        latest = points[-1]
        then = latest.as_of - timedelta(days=days)
        earlier = [p for p in points if p.as_of <= then]
        return latest.score - earlier[-1].score if earlier else None


def score_history(*, account, days: int = 90, as_of: date | None = None) -> ScoreHistory:
    """The snapshots of ``account`` in the ``days`` days ending at ``as_of`` (default today)."""
    end = as_of or timezone.localdate()
    start = end - timedelta(days=days - 1)
    account_id = _account_id(account)
    own, contacts, names = [], {}, {}
    for contact_id, day, score, level, risk, name in (
            ScoreSnapshot.objects.filter(account_id=account_id, as_of__gte=start, as_of__lte=end)
            .order_by("as_of", "pk")
            .values_list("contact_id", "as_of", "score", "level", "risk", "breakdown__contact__name")):
        point = HistoryPoint(day, score, level, risk)
        if contact_id is None:
            own.append(point)
        else:
            contacts.setdefault(contact_id, []).append(point)
            names[contact_id] = name
    return ScoreHistory(account_id=account_id, start=start, end=end, account=tuple(own),
                        contacts={k: tuple(v) for k, v in contacts.items()}, names=names)


@dataclass(frozen=True, slots=True)
class FactorChange:
    key: str
    label: str
    score_then: int | None
    score_now: int | None
    note_then: str
    note_now: str

    @property
    def delta(self) -> int | None:
        if self.score_then is None or self.score_now is None:
            return None
        return self.score_now - self.score_then


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """One contact's (or, ``contact_id`` None, the account's) score then and now."""

    contact_id: int | None
    name: str
    score_then: int | None              # None: not scored then (new executive, or no snapshot)
    score_now: int | None               # None: no longer scored
    level_then: str | None
    level_now: str | None
    factors: tuple[FactorChange, ...] = ()   # only the factors whose score or note changed
    note: str = ""                      # account: the method now; contact: the level reasons now

    @property
    def delta(self) -> int | None:
        if self.score_then is None or self.score_now is None:
            return None
        return self.score_now - self.score_then

    @property
    def changed(self) -> bool:
        return self.score_then != self.score_now or self.level_then != self.level_now or bool(self.factors)


@dataclass(frozen=True)
class ScoreChanges:
    """What changed in an account's scores between two days."""

    account_id: int
    as_of: date                         # asked for: now
    since: date                         # asked for: then (as_of - days)
    now_as_of: date | None              # the snapshot day used for "now" (latest on or before as_of)
    then_as_of: date | None             # the snapshot day used for "then" (latest on or before since)
    account: ScoreChange | None
    contacts: tuple[ScoreChange, ...]

    @property
    def changed(self) -> tuple[ScoreChange, ...]:
        return tuple(c for c in self.contacts if c.changed)


def _factor_changes(then: dict | None, now: dict | None) -> tuple[FactorChange, ...]:
    before = {x["key"]: x for x in (then or {}).get("factors", ())}
    after = {x["key"]: x for x in (now or {}).get("factors", ())}
    out = []
    for key in [*after, *(k for k in before if k not in after)]:
        a, b = before.get(key), after.get(key)
        if a and b and a["score"] == b["score"] and a["note"] == b["note"]:
            continue
        out.append(FactorChange(
            key=key, label=factor_label(key), score_then=a["score"] if a else None,
            score_now=b["score"] if b else None, note_then=a["note"] if a else "", note_now=b["note"] if b else ""))
    return tuple(out)


def score_changes(*, account, as_of: date, days: int = 7) -> ScoreChanges:
    """Scores of ``account`` at ``as_of`` against ``days`` before ("what changed since last week").

    "Now" is the account's latest snapshot day on or before ``as_of``; "then" its latest on or
    before ``as_of - days``.  Two queries.  Per contact scored at either day: score, level and the
    factors whose points or note changed, with both notes."""
    account_id = _account_id(account)
    since = as_of - timedelta(days=days)
    days_used = ScoreSnapshot.objects.filter(account_id=account_id, contact__isnull=True).aggregate(
        now=Max("as_of", filter=Q(as_of__lte=as_of)), then=Max("as_of", filter=Q(as_of__lte=since)))
    now_day, then_day = days_used["now"], days_used["then"]
    rows = {"now": {}, "then": {}}
    wanted = [d for d in (now_day, then_day) if d is not None]
    for contact_id, day, score, level, breakdown in (
            ScoreSnapshot.objects.filter(account_id=account_id, as_of__in=wanted).order_by("pk")
            .values_list("contact_id", "as_of", "score", "level", "breakdown")):
        if day == now_day:
            rows["now"][contact_id] = (score, level, breakdown)
        if day == then_day:
            rows["then"][contact_id] = (score, level, breakdown)

    def change(contact_id) -> ScoreChange:
        now, then = rows["now"].get(contact_id), rows["then"].get(contact_id)
        latest = now or then
        if contact_id is None:
            name, note = "Overall executive engagement", (now[2].get("method", "") if now else "")
        else:
            name = latest[2].get("contact", {}).get("name", "")
            note = "; ".join(now[2].get("reasons", ())) if now else "no longer scored"
        return ScoreChange(
            contact_id=contact_id, name=name,
            score_then=then[0] if then else None, score_now=now[0] if now else None,
            level_then=then[1] if then else None, level_now=now[1] if now else None,
            factors=_factor_changes(then and then[2], now and now[2]) if contact_id is not None else (),
            note=note,
        )

    ids = [c for c in rows["now"] if c is not None] + [c for c in rows["then"] if c is not None and
                                                       c not in rows["now"]]
    has_account = None in rows["now"] or None in rows["then"]
    return ScoreChanges(
        account_id=account_id, as_of=as_of, since=since, now_as_of=now_day, then_as_of=then_day,
        account=change(None) if has_account else None,
        contacts=tuple(change(c) for c in ids),
    )
