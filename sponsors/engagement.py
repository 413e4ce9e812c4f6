"""Engagement scores over time: recompute them (service) and read their history (selectors).

``recompute_scores(account_ids=None, as_of=...)`` is the only writer of ``ScoreSnapshot``:

1. ``selectors.load_account_facts`` reads the facts of every account in scope with a fixed, small
   number of set-based queries (aggregates over interactions in the database);
2. ``scoring.score_account`` scores each account (pure Python, no I/O);
3. the snapshots of that day for the accounts in scope are replaced: one ``DELETE`` and one
   ``COPY`` that the scoring streams into as it goes (``bulk_create`` for a handful of accounts,
   and on SQLite).  A transaction-level advisory lock per day serialises concurrent writers (the
   nightly portfolio run and the per-account runs queued by signals), so two of them never collide
   on the one-snapshot-per-day constraints.

All of it is one transaction: about a dozen queries whatever the size of the portfolio.

One snapshot per executive contact (and named sponsor) and one per account (contact empty) per
day.  The breakdown is stored with the total, so the history answers "why" and "what changed":
``score_history`` (trend, change over N days) and ``score_changes`` (score now against N days ago,
per contact, with the factors that moved and their notes then and now).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import orjson
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from . import facts as f
from .models import ScoreSnapshot
from .scoring import ScoringConfig, score_account
from .selectors import load_account_facts, scoring_config

# Key space of the advisory lock taken while a day's snapshots are replaced (with the day's ordinal).
SNAPSHOT_LOCK_NAMESPACE = 0x5C0E
# Above this many accounts the snapshots are streamed through COPY; up to it, bulk_create.
STREAM_THRESHOLD = 20
BULK_BATCH_SIZE = 2000


@dataclass
class RecomputeResult:
    """What one recompute did."""

    as_of: date
    accounts: int = 0
    contacts: int = 0
    snapshots: int = 0
    account_levels: Counter = field(default_factory=Counter)
    contact_levels: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    timings: dict = field(default_factory=dict)   # seconds per phase: load, score_and_write

    def summary(self) -> dict:
        """JSON-friendly (the Celery tasks return this)."""
        return {
            "as_of": self.as_of.isoformat(), "accounts": self.accounts, "contacts": self.contacts,
            "snapshots": self.snapshots, "account_levels": dict(self.account_levels),
            "contact_levels": dict(self.contact_levels), "elapsed": round(self.elapsed, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def contact_breakdown(b: f.ScoreBreakdown, total: int, contact: f.ContactFact, activity: f.SponsorActivity, *,
                      as_of: date) -> dict:
    """The stored breakdown of one contact's score (``ScoreSnapshot.breakdown``), ready for
    ``orjson``: the factors as ``FactorScore`` (stored as {key, label, score, note}), dates as dates."""
    last_touch = activity.last_touch
    return {
        "total": total,
        "factors": b.factors,
        "level": b.level,
        "risk": b.risk,
        "reasons": b.reasons,
        "contact": {"name": contact.name, "title": contact.title, "sponsor": contact.sponsor or "",
                    "status": contact.status},
        "last_touch": last_touch,
        "days_since_touch": (as_of - last_touch).days if last_touch else None,
        "last_direct_contact": activity.last_direct_contact,
        "advocacy_signals": activity.advocacy_signals,
    }


def account_breakdown(engagement: f.AccountEngagement, account: f.AccountFacts, contributors: list) -> dict:
    """The stored breakdown of an account's overall score: how it was derived, the cadence, and
    each scored contact's part in it (``counted``: active with data, so part of the overall)."""
    c = engagement.cadence
    return {
        "total": engagement.score,
        "level": engagement.level,
        "risk": engagement.risk,
        "method": engagement.method,
        "reasons": [engagement.method],
        "cadence": {"tier": c.tier, "cadence_days": c.cadence_days, "last_touch": c.last_touch,
                    "days_since": c.days_since, "next_due": c.next_due, "overdue": c.overdue},
        "qbrs": {"held": account.qbrs_held, "with_exec": account.qbrs_with_exec},
        "contacts": contributors,
    }


def _rows(facts: dict, *, as_of: date, config: ScoringConfig, result: RecomputeResult):
    """Yield (account_id, contact_id, score, level, risk, breakdown) for every scored contact and
    account, counting levels into ``result`` as it goes.  Breakdowns are for ``orjson``."""
    empty = f.SponsorActivity()
    contact_levels = result.contact_levels
    for account_id, account in facts.items():
        engagement = score_account(account, as_of=as_of, config=config)
        contacts = {c.id: c for c in account.contacts}
        contributors = []
        for b in engagement.sponsors:
            contact = contacts[b.contact_id]
            activity = account.activity.get(b.contact_id) or empty
            total = b.total
            yield (account_id, b.contact_id, total, b.level, b.risk,
                   contact_breakdown(b, total, contact, activity, as_of=as_of))
            contributors.append({"contact_id": b.contact_id, "name": contact.name, "sponsor": contact.sponsor or "",
                                 "score": total, "level": b.level,
                                 "counted": contact.is_active and activity.has_data})
            contact_levels[b.level] += 1
        result.contacts += len(contributors)
        yield (account_id, None, engagement.score, engagement.level, engagement.risk,
               account_breakdown(engagement, account, contributors))
        result.account_levels[engagement.level] += 1
        result.accounts += 1


def _tune_session():
    """PostgreSQL settings for this transaction: no JIT (compiling the aggregates costs more than it
    saves), and no wait for the WAL flush at commit (snapshots can always be recomputed)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off; SET LOCAL synchronous_commit = off")


def _replace_day(*, as_of: date, account_ids) -> None:
    """Take the day's write lock and delete the day's snapshots of the accounts in scope."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SNAPSHOT_LOCK_NAMESPACE, as_of.toordinal()])
    stale = ScoreSnapshot.objects.filter(as_of=as_of)
    if account_ids is not None:
        stale = stale.filter(account_id__in=account_ids)
    stale.delete()   # no dependents, no signals: one DELETE statement


def _insert(rows, *, as_of: date, now, stream: bool) -> int:
    """Insert the rows: streamed through one COPY (scoring here and parsing on the server overlap),
    or with bulk_create for a handful of accounts and on other databases."""
    if stream and connection.vendor == "postgresql":
        n = 0
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY sponsors_scoresnapshot (account_id, contact_id, as_of, score, level, risk, breakdown, "
                "computed_at) FROM STDIN"
            ) as copy:
                for account_id, contact_id, score, level, risk, breakdown in rows:
                    breakdown = orjson.dumps(breakdown).decode()
                    copy.write_row((account_id, contact_id, as_of, score, level, risk, breakdown, now))
                    n += 1
        return n
    objs = [ScoreSnapshot(account_id=a, contact_id=c, as_of=as_of, score=sc, level=lv, risk=r,
                          breakdown=orjson.loads(orjson.dumps(b)), computed_at=now) for a, c, sc, lv, r, b in rows]
    ScoreSnapshot.objects.bulk_create(objs, batch_size=BULK_BATCH_SIZE)
    return len(objs)


def recompute_scores(*, account_ids=None, as_of: date, config: ScoringConfig | None = None) -> RecomputeResult:
    """Score every executive and account in scope as of ``as_of`` and store the day's snapshots.

    ``account_ids=None`` means the whole portfolio.  Idempotent: running it again the same day
    replaces that day's snapshots of those accounts (a contact no longer scored loses its row).
    One transaction of about a dozen queries, whatever the portfolio size."""
    started = time.perf_counter()
    config = config or scoring_config()
    account_ids = None if account_ids is None else list(account_ids)
    result = RecomputeResult(as_of=as_of)
    with transaction.atomic():
        _tune_session()
        facts = load_account_facts(account_ids, as_of=as_of, config=config, scoring_only=True)
        loaded = time.perf_counter()
        _replace_day(as_of=as_of, account_ids=account_ids)
        rows = _rows(facts, as_of=as_of, config=config, result=result)
        result.snapshots = _insert(rows, as_of=as_of, now=timezone.now(), stream=len(facts) > STREAM_THRESHOLD)
    done = time.perf_counter()
    result.timings = {"load": loaded - started, "score_and_write": done - loaded}
    result.elapsed = done - started
    return result


# --- selectors: history and "what changed" ---------------------------------------------------------

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
            key=key, label=(b or a)["label"], score_then=a["score"] if a else None,
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
