"""Each account's current score (``CurrentScore``): its newest account-level snapshot on or before today.

``recompute_scores`` calls ``copy_day_to_current`` in its transaction, after it stored a day's snapshots:
the day's account snapshots in scope replace the current rows that are not newer (one INSERT … SELECT with
ON CONFLICT, on PostgreSQL and SQLite alike); a day after today never becomes current.  Every account the
recompute scores gets that day's account row, so this one statement keeps the current rows right whatever
the day (today, a backfill, the same day again).

``refresh_current_scores`` also repairs what was deleted outside the recompute (a clean-up, a test):

* the rows in scope whose snapshot is gone are dropped;
* the day is copied as above;
* an account in scope without a current row gets its newest snapshot on or before today, if any.
"""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.models import Exists, IntegerField, OuterRef
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import Account

from ..models import CurrentScore, ScoreSnapshot

COLUMNS = ("account_id", "snapshot_id", "as_of", "score", "level", "risk", "days_since_exec_touch")


def days_since_exec_touch():
    """The days since the last executive touch, read from a snapshot's stored cadence (an expression)."""
    return Cast(KT("breakdown__cadence__days_since"), IntegerField())


def copy_day_to_current(*, account_ids=None, as_of: date, today: date | None = None) -> None:
    """After ``as_of``'s snapshots of ``account_ids`` (None: every account) were stored: make them current
    where nothing newer is (one statement; none for a day after today)."""
    if as_of <= (today or timezone.localdate()):
        _copy_day(account_ids, as_of)


def refresh_current_scores(*, account_ids=None, as_of: date, today: date | None = None) -> None:
    """Bring the current scores of ``account_ids`` (None: every account) up to date after ``as_of``'s
    snapshots were stored or any were deleted."""
    today = today or timezone.localdate()
    gone = CurrentScore.objects.exclude(Exists(ScoreSnapshot.objects.filter(pk=OuterRef("snapshot_id"))))
    if account_ids is not None:
        gone = gone.filter(account_id__in=account_ids)
    gone.delete()
    copy_day_to_current(account_ids=account_ids, as_of=as_of, today=today)
    _fill_missing(account_ids, today)


def _copy_day(account_ids, as_of: date) -> None:
    day = ScoreSnapshot.objects.filter(as_of=as_of, contact__isnull=True)
    if account_ids is not None:
        day = day.filter(account_id__in=account_ids)
    select, params = day.values_list("account_id", "pk", "as_of", "score", "level", "risk",
                                     days_since_exec_touch()).query.sql_with_params()
    table = CurrentScore._meta.db_table
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(COLUMNS)}) {select} "
                       f"ON CONFLICT (account_id) DO UPDATE SET {updates} WHERE {table}.as_of <= excluded.as_of",
                       params)


def _fill_missing(account_ids, today: date) -> None:
    """The newest snapshot on or before ``today`` of each account in scope that has none current."""
    missing = Account.objects.filter(current_score__isnull=True)
    if account_ids is not None:
        missing = missing.filter(pk__in=account_ids)
    latest = {}
    for row in (ScoreSnapshot.objects.filter(account__in=missing, contact__isnull=True, as_of__lte=today)
                .order_by("account_id", "-as_of")
                .values_list("account_id", "pk", "as_of", "score", "level", "risk", days_since_exec_touch())
                .iterator()):
        latest.setdefault(row[0], row)
    CurrentScore.objects.bulk_create(
        [CurrentScore(**dict(zip(COLUMNS, row, strict=True))) for row in latest.values()], batch_size=1000)
