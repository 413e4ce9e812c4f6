"""The CRM sync service: one run of one connection, resumable and observable.

``sync_connection(connection)`` fetches every stream of the connection's connector page by page (a thread reads
the next pages while one is stored: ``prefetch.py``).  Each page is stored in the mirror (``mirror.store_page``)
and the stream's watermark advanced in ONE transaction, so a run stopped anywhere resumes after the last
committed page (the overlap re-reads a few minutes, harmlessly: the store is an upsert).  Then every account
the pages touched is rebuilt from the mirror and handed to the one upsert path (``sync.sync_accounts``) in
batches; each batch clears its accounts' pending marks in its own
transaction and, once committed, queues their rescoring and guardrails.

Two runs of one connection never overlap: a PostgreSQL advisory lock (session-level, so a killed worker's lock
dies with its connection) is taken first; a run that finds it held is logged as ``busy`` and does nothing.
Everything is written to the run log (``CrmSyncRun``): stage, pages, records per stream, what the upsert
changed per table, each skipped record with its object and id, the watermarks and, if the run failed, why.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Account

from .. import signals
from ..bulk import gc_paused
from ..config import rules_config
from ..models import CrmConnection, CrmCursor, CrmRecord, CrmSyncRun
from .connections import build_connector
from .connectors.base import ConnectorError, RecordProblem
from .mirror import applied, build_snapshot, pending_account_keys, store_page
from .prefetch import prefetched
from .snapshot import SnapshotError
from .sync import sync_accounts
from .upsert import analyze_once

LOCK_CLASS = 0x43524D53         # "CRMS": the advisory-lock namespace of connection runs (the key is its id)
APPLY_BATCH_ACCOUNTS = 500      # at most this many accounts rebuilt and upserted per transaction ...
APPLY_BATCH_RECORDS = 50_000    # ... and about this many of their records (the upsert's fixed costs are paid
                                # per transaction)
MAX_LOGGED_PROBLEMS = 200       # problems kept in a run's log (all are counted)


@contextmanager
def connection_lock(connection_id: int):
    """Yield True while holding the connection's lock, False when another run holds it."""
    if db.vendor != "postgresql":
        yield True
        return
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, connection_id])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with db.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, connection_id])


class RunLog:
    """The run's row, saved as the run goes (the admin's progress bar reads it)."""

    SAVE_EVERY_SECONDS = 1.0    # the row is saved at most this often while pages stream in (and at the end)

    def __init__(self, run: CrmSyncRun, progress=None):
        self.run, self.progress = run, progress
        self.totals_seen: set = set()
        self.saved_at = 0.0

    def save(self, *fields):
        self.run.save(update_fields=list(fields))

    def stage(self, text):
        self.run.stage = text
        self.save("stage", "pages", "total", "counts", "done", "problems", "problem_count", "watermarks")

    def problems(self, problems):
        for problem in problems:
            if len(self.run.problems) < MAX_LOGGED_PROBLEMS:
                self.run.problems.append(problem.as_dict())
            self.run.problem_count += 1

    def page(self, page, counts, watermark):
        run = self.run
        run.pages += 1
        if page.total is not None and page.stream not in self.totals_seen:
            self.totals_seen.add(page.stream)
            run.total += page.total
        stream = Counter(run.counts.get(page.stream, {}))
        stream.update({"fetched": len(page.items), "skipped": len(page.problems), **counts})
        run.counts[page.stream] = {k: v for k, v in stream.items() if v}
        run.done += len(page.items) + len(page.problems)
        self.problems(page.problems)
        if watermark:
            run.watermarks[page.stream] = watermark.isoformat()
        if time.monotonic() - self.saved_at >= self.SAVE_EVERY_SECONDS:
            self.saved_at = time.monotonic()
            self.save("pages", "total", "counts", "done", "problems", "problem_count", "watermarks")
        if self.progress:
            self.progress(run)

    def applied(self, summary, accounts):
        sync = run_counts = self.run.counts.setdefault("sync", {})
        for table, counts in summary.counts.items():
            merged = Counter(run_counts.get(table, {}))
            merged.update(counts)
            sync[table] = dict(merged)
        self.run.done += accounts
        self.save("counts", "done", "problems", "problem_count")
        if self.progress:
            self.progress(self.run)

    def finish(self, status, error=""):
        run = self.run
        run.status, run.error, run.finished_at = status, error[:2000], timezone.now()
        run.stage = "" if status != CrmSyncRun.Status.FAILED else run.stage
        self.save("status", "error", "finished_at", "stage", "pages", "total", "counts", "done", "problems",
                  "problem_count", "watermarks", "accounts_changed")
        if self.progress:
            self.progress(run)


def sync_connection(connection: CrmConnection, *, full=False, trigger="manual", progress=None,
                    connector=None, refresh=True) -> CrmSyncRun:
    """One run of ``connection`` (incremental unless ``full``); returns its log row (status busy when another
    run of the connection is going on).  ``refresh=False`` (the benchmark) queues no rescoring."""
    with connection_lock(connection.pk) as got:
        if not got:
            return CrmSyncRun.objects.create(connection=connection, full=full, trigger=trigger,
                                             status=CrmSyncRun.Status.BUSY, finished_at=timezone.now(),
                                             error="another sync of this connection was running")
        CrmSyncRun.objects.filter(connection=connection, status=CrmSyncRun.Status.RUNNING).update(
            status=CrmSyncRun.Status.INTERRUPTED, finished_at=timezone.now(), stage="")
        log = RunLog(CrmSyncRun.objects.create(connection=connection, full=full, trigger=trigger), progress)
        try:
            connector = connector or build_connector(connection)
            pending: set = set()            # account keys this run marked pending (committed)
            for stream in connector.streams:
                _fetch_stream(connection, connector, stream, full=full, log=log, pending=pending)
            _fetch_metrics(connection, connector, log)
            _apply(connection, log, refresh=refresh)
        except ConnectorError as exc:
            log.finish(CrmSyncRun.Status.FAILED, str(exc))
            return log.run
        except Exception as exc:
            log.finish(CrmSyncRun.Status.FAILED, f"unexpected error: {exc!r}")
            raise
        log.finish(CrmSyncRun.Status.WITH_PROBLEMS if log.run.problem_count else CrmSyncRun.Status.SUCCEEDED)
        return log.run


def _fetch_stream(connection, connector, stream, *, full, log, pending=None) -> None:
    cursor, _ = CrmCursor.objects.get_or_create(connection=connection, stream=stream)
    overlap = timedelta(minutes=rules_config().crm.overlap_minutes)
    since = None if full or cursor.watermark is None else cursor.watermark - overlap
    log.stage(f"fetching {stream}")
    for page in prefetched(connector.fetch(stream, since)):     # the next pages are read meanwhile
        with transaction.atomic():
            counts = store_page(connection.pk, page.items, cursor_id=cursor.pk, watermark=page.watermark,
                                pending=pending)
            if page.watermark and (cursor.watermark is None or page.watermark > cursor.watermark):
                cursor.watermark = page.watermark
            log.page(page, counts, cursor.watermark)


def _fetch_metrics(connection, connector, log) -> None:
    pages = connector.get_metrics()
    for page in pages:
        log.stage("fetching metrics")
        with transaction.atomic():
            log.page(page, store_page(connection.pk, page.items), None)


def _apply(connection, log, *, refresh) -> None:
    keys = pending_account_keys(connection.pk)
    log.run.total += len(keys)
    done = 0
    # The tables' statistics refreshed after the first batch and at the end; no garbage collection walks over
    # the batches' hundreds of thousands of short-lived records (sponsors/bulk.py).
    with analyze_once(), gc_paused():
        for batch in _batches(connection, keys):
            log.stage(f"updating accounts {done + 1}–{done + len(batch)} of {len(keys)}")
            _apply_batch(connection, batch, log, refresh=refresh)
            done += len(batch)


def _batches(connection, keys):
    """The pending accounts in batches of at most APPLY_BATCH_ACCOUNTS accounts and about APPLY_BATCH_RECORDS
    mirror records (one query counts them)."""
    sizes = dict(CrmRecord.objects.filter(connection=connection, account_key__in=keys).values("account_key")
                 .annotate(n=Count("pk")).values_list("account_key", "n"))
    batch, records = [], 0
    for key in keys:
        if batch and (len(batch) >= APPLY_BATCH_ACCOUNTS or records + sizes.get(key, 0) > APPLY_BATCH_RECORDS):
            yield batch
            batch, records = [], 0
        batch.append(key)
        records += sizes.get(key, 0)
    if batch:
        yield batch


def _apply_batch(connection, keys, log, *, refresh=True) -> None:
    problems: list = []
    snapshot, held = build_snapshot(connection.pk, keys, problems=problems)
    log.problems(problems)
    if snapshot is None:
        log.applied(_Empty(), len(keys))
        return
    try:
        with transaction.atomic():
            summary = sync_accounts(snapshot, source=connection.name)
            applied(connection.pk, held)
            if summary.changed:
                log.run.accounts_changed += len(held)
                if refresh:
                    _refresh_on_commit(connection.name, held)
    except SnapshotError as exc:              # a row the database refused: try the accounts one by one
        if len(keys) == 1:
            log.problems([_account_problem(keys[0], exc)])
            with transaction.atomic():
                CrmRecord.objects.filter(connection=connection, account_key=keys[0], kind="account").update(
                    problem=str(exc)[:1000])
                applied(connection.pk, keys)
            log.applied(_Empty(), 1)
            return
        for key in keys:
            _apply_batch(connection, [key], log, refresh=refresh)
        return
    log.applied(summary, len(keys))


def _account_problem(key, exc):
    return RecordProblem("account", key, "; ".join(str(p) for p in exc.problems[:3]) or str(exc))


class _Empty:
    """What an upsert that wrote nothing reports."""

    counts: dict = {}


def _refresh_on_commit(source, keys) -> None:
    """The upsert writes in bulk (no model signals): the changed accounts' scores and guardrails are queued
    when the batch commits, as ``import_snapshot`` does."""
    if not (getattr(settings, "REDIS_URL", "") or getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)):
        return
    ids = list(Account.objects.filter(source=source, external_id__in=keys).values_list("pk", flat=True))
    transaction.on_commit(lambda: signals.queue_account_refresh(ids), robust=True)


# --- the schedule --------------------------------------------------------------------------------------

def due_connections(now=None) -> list[int]:
    """Enabled connections whose last run started ``sync_interval_minutes`` ago or more (or never ran)."""
    now = now or timezone.now()
    interval = timedelta(minutes=rules_config().crm.sync_interval_minutes)
    due = []
    for connection in CrmConnection.objects.filter(enabled=True).order_by("pk"):
        last = connection.runs.exclude(status=CrmSyncRun.Status.BUSY).order_by("-started_at").first()
        if last is None or last.started_at <= now - interval + timedelta(seconds=30):
            due.append(connection.pk)
    return due


def sync_connection_by_id(connection_id: int, *, full=False, trigger="schedule") -> str:
    connection = CrmConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return f"connection {connection_id} no longer exists"
    result = sync_connection(connection, full=full, trigger=trigger)
    return f"{connection.name}: {result.get_status_display()} ({result.pages} pages, {result.problem_count} problems)"
