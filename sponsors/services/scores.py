"""Recompute engagement scores (the service; their history is read by ``sponsors.selectors.history``).

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
day.  The breakdown is stored beside the score, level and risk (not repeating them), so the history
answers "why" and "what changed": ``sponsors.selectors.history``.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import orjson
from django.db import connection, transaction
from django.utils import timezone

from ..bulk import copy_from_stdin, gc_paused
from ..config import rules_config
from ..models import ScoreSnapshot
from ..rules import facts as f
from ..rules.config import RulesConfig, ScoringConfig
from ..rules.scoring import score_account
from ..selectors.facts import load_account_facts
from .current_scores import copy_day_to_current

# Key space of the advisory lock taken while a day's snapshots are replaced (with the day's ordinal).
SNAPSHOT_LOCK_NAMESPACE = 0x5C0E
# Above this many accounts the snapshots are streamed through COPY; up to it, bulk_create.
STREAM_THRESHOLD = 20
BULK_BATCH_SIZE = 2000
COPY_BLOCK_BYTES = 1 << 20        # COPY data sent a megabyte at a time


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


def contact_breakdown(b: f.ScoreBreakdown, contact: f.ContactFact, activity: f.SponsorActivity) -> dict:
    """The stored breakdown of one contact's score (``ScoreSnapshot.breakdown``), ready for ``orjson``: what the
    row's columns (score, level, risk, as_of) and the vocabulary do not already say.  Each factor as {key, score,
    note} (its label is ``vocabulary.factor_label(key)``); the days since the last touch are the snapshot's day
    less ``last_touch``.  Dates as dates."""
    return {
        "factors": [{"key": x.key, "score": x.score, "note": x.note} for x in b.factors],
        "reasons": b.reasons,
        "contact": {"name": contact.name, "title": contact.title, "sponsor": contact.sponsor or "",
                    "status": contact.status},
        "last_touch": activity.last_touch,
        "last_direct_contact": activity.last_direct_contact,
        "advocacy_signals": activity.advocacy_signals,
    }


def account_breakdown(engagement: f.AccountEngagement, account: f.AccountFacts) -> dict:
    """The stored breakdown of an account's overall score: how it was derived, the cadence and the QBRs (each
    scored contact's score and level are its own row of the same day)."""
    c = engagement.cadence
    return {
        "method": engagement.method,
        "cadence": {"tier": c.tier, "cadence_days": c.cadence_days, "last_touch": c.last_touch,
                    "days_since": c.days_since, "next_due": c.next_due, "overdue": c.overdue},
        "qbrs": {"held": account.qbrs_held, "with_exec": account.qbrs_with_exec},
    }


def _rows(facts: dict, *, as_of: date, config: ScoringConfig, result: RecomputeResult):
    """Yield (account_id, contact_id, score, level, risk, breakdown) for every scored contact and
    account, counting levels into ``result`` as it goes.  Breakdowns are for ``orjson``."""
    empty = f.SponsorActivity()
    contact_levels = result.contact_levels
    for account_id, account in facts.items():
        engagement = score_account(account, as_of=as_of, config=config)
        # stored as scoring saw them: departed once a confirmed departure names them (AccountFacts.departures)
        contacts = {c.id: c for c in account.with_confirmed_departures(as_of).contacts}
        for b in engagement.sponsors:
            yield (account_id, b.contact_id, b.total, b.level, b.risk,
                   contact_breakdown(b, contacts[b.contact_id], account.activity.get(b.contact_id) or empty))
            contact_levels[b.level] += 1
        result.contacts += len(engagement.sponsors)
        yield (account_id, None, engagement.score, engagement.level, engagement.risk,
               account_breakdown(engagement, account))
        result.account_levels[engagement.level] += 1
        result.accounts += 1


def _tune_session():
    """PostgreSQL settings for this transaction: no JIT (compiling the aggregates costs more than it
    saves), and no wait for the WAL flush at commit (snapshots can always be recomputed).  A larger
    work_mem (no spill of the activity aggregate) was measured slower at 5,000 accounts: the load
    took 2.35 s instead of 2.06 s (median of 6, alternated, 32MB against the default 4MB); measured
    again once the aggregate read only the scored contacts' participants (its hash join then fits in
    one batch from 48MB on), still slower: 2.40 s at 4MB against 2.82-3.01 s at 16, 48 and 96MB
    (median of 8, alternated, loaded machine)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off; SET LOCAL synchronous_commit = off")


def _replace_day(*, as_of: date, account_ids) -> None:
    """Take the day's write lock and delete the day's snapshots of the accounts in scope (on PostgreSQL one
    round trip for both: the parameters are bound on the client, so one execute may hold two statements)."""
    if connection.vendor == "postgresql":
        scope = "" if account_ids is None else " AND account_id = ANY(%s)"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_xact_lock(%s, %s); "
                           f"DELETE FROM {ScoreSnapshot._meta.db_table} WHERE as_of = %s{scope}",
                           [SNAPSHOT_LOCK_NAMESPACE, as_of.toordinal(), as_of,
                            *([] if account_ids is None else [list(account_ids)])])
        return
    stale = ScoreSnapshot.objects.filter(as_of=as_of)
    if account_ids is not None:
        stale = stale.filter(account_id__in=account_ids)
    stale.delete()   # no dependents, no signals: one DELETE statement


def _insert(rows, *, as_of: date, now, stream: bool) -> int:
    """Insert the rows: streamed through one COPY (scoring here and parsing on the server overlap),
    or with bulk_create for a handful of accounts and on other databases."""
    if stream and connection.vendor == "postgresql":
        return _copy_rows(rows, as_of=as_of, now=now)
    objs = [ScoreSnapshot(account_id=a, contact_id=c, as_of=as_of, score=sc, level=lv, risk=r,
                          breakdown=orjson.loads(orjson.dumps(b)), computed_at=now) for a, c, sc, lv, r, b in rows]
    ScoreSnapshot.objects.bulk_create(objs, batch_size=BULK_BATCH_SIZE)
    return len(objs)


def _copy_rows(rows, *, as_of: date, now) -> int:
    """Stream the rows through one COPY in its text format (see :func:`_write_copy_lines`)."""
    with copy_from_stdin("COPY sponsors_scoresnapshot (account_id, contact_id, as_of, score, level, risk, "
                         "breakdown, computed_at) FROM STDIN") as copy:
        return _write_copy_lines(rows, copy, as_of=as_of, now=now)


def _write_copy_lines(rows, copy, *, as_of: date, now) -> int:
    """Write the rows to ``copy`` as lines of COPY's text format, in blocks of ``COPY_BLOCK_BYTES``.

    Each line is formatted here rather than by ``write_row``: the columns are ids, a score, two words
    of the vocabulary and the breakdown, which ``orjson`` writes with every control character escaped
    (no raw tab or newline), so the one thing left to escape for COPY is the backslash.  The lines are
    bytes, as ``orjson`` writes them and the connection sends them (no decoding and encoding again)."""
    n, block, size = 0, [], 0
    tail = f"\t{now.isoformat()}\n".encode()
    day = as_of.isoformat()
    dumps = orjson.dumps
    for account_id, contact_id, score, level, risk, breakdown in rows:
        head = (f"{account_id}\t{'\\N' if contact_id is None else contact_id}\t{day}\t{score}\t{level}\t{risk}\t"
                .encode())
        text = dumps(breakdown)
        if b"\\" in text:
            text = text.replace(b"\\", b"\\\\")
        block += (head, text, tail)
        size += len(text)
        n += 1
        if size >= COPY_BLOCK_BYTES:
            copy.write(b"".join(block))
            block, size = [], 0
    if block:
        copy.write(b"".join(block))
    return n


def recompute_scores(*, account_ids=None, as_of: date, config: RulesConfig | None = None) -> RecomputeResult:
    """Score every executive and account in scope as of ``as_of`` and store the day's snapshots.

    ``account_ids=None`` means the whole portfolio.  Idempotent: running it again the same day
    replaces that day's snapshots of those accounts (a contact no longer scored loses its row).
    One transaction of about a dozen queries, whatever the portfolio size."""
    started = time.perf_counter()
    config = config or rules_config()
    account_ids = None if account_ids is None else list(account_ids)
    result = RecomputeResult(as_of=as_of)
    with gc_paused(), transaction.atomic():
        _tune_session()
        facts = load_account_facts(account_ids, as_of=as_of, config=config, scoring_only=True)
        loaded = time.perf_counter()
        _replace_day(as_of=as_of, account_ids=account_ids)
        rows = _rows(facts, as_of=as_of, config=config.scoring, result=result)
        result.snapshots = _insert(rows, as_of=as_of, now=timezone.now(), stream=len(facts) > STREAM_THRESHOLD)
        copy_day_to_current(account_ids=account_ids, as_of=as_of)
    done = time.perf_counter()
    result.timings = {"load": loaded - started, "score_and_write": done - loaded}
    result.elapsed = done - started
    return result
