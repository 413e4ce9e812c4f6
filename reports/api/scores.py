"""Stored scores for the API: the latest ``ScoreSnapshot`` on or before today (never a rescore per request)
and 12-week trends, each for a whole page of accounts or contacts in ONE query."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import BigIntegerField, ExpressionWrapper, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from reports.metric_history import weekly_days
from sponsors.models import ScoreSnapshot

TREND_WEEKS = 12
SORT_SHIFT = 2**40          # score * 2^40 + pk: a sort key that is unique, so cursor pages never tie


def _latest(outer: str, *, contact: bool, today: date):
    rows = ScoreSnapshot.objects.filter(as_of__lte=today)
    rows = rows.filter(contact_id=OuterRef(outer)) if contact else rows.filter(account_id=OuterRef(outer),
                                                                               contact__isnull=True)
    return rows.order_by("-as_of")


def with_scores(queryset, *, contact: bool, today: date):
    """Annotate ``score``, ``level``, ``risk``, ``scored_on``, ``scored_at``, ``breakdown`` (latest stored
    snapshot, or null) and ``sort_score`` (unscored last) on accounts or contacts."""
    latest = _latest("pk", contact=contact, today=today)
    return queryset.annotate(
        score=Subquery(latest.values("score")[:1], output_field=IntegerField()),
        level=Subquery(latest.values("level")[:1]),
        risk=Subquery(latest.values("risk")[:1]),
        scored_on=Subquery(latest.values("as_of")[:1]),
        scored_at=Subquery(latest.values("computed_at")[:1]),
        breakdown=Subquery(latest.values("breakdown")[:1]),
    ).annotate(sort_score=ExpressionWrapper(Coalesce(F("score"), Value(-1)) * Value(SORT_SHIFT) + F("pk"),
                                            output_field=BigIntegerField()))


def changed_since(since, *, contact: bool) -> Q:
    """Rows changed since ``since``: the row itself, or a score stored for it since then."""
    snapshots = ScoreSnapshot.objects.filter(computed_at__gte=since)
    if contact:
        return Q(updated_at__gte=since) | Q(pk__in=snapshots.filter(contact__isnull=False).values("contact_id"))
    return Q(updated_at__gte=since) | Q(pk__in=snapshots.filter(contact__isnull=True).values("account_id"))


def trends(ids, *, contact: bool, today: date, weeks: int = TREND_WEEKS) -> dict:
    """``{id: [{as_of, score, level, risk}, …]}``: for each of ``weeks`` days a week apart ending today, the
    latest snapshot of that week (days without one are left out), oldest first.  One query."""
    ids = list(ids)
    if not ids:
        return {}
    days = weekly_days(today, weeks)
    rows = ScoreSnapshot.objects.filter(as_of__gte=days[0] - timedelta(days=6), as_of__lte=today)
    rows = (rows.filter(contact_id__in=ids) if contact else rows.filter(account_id__in=ids, contact__isnull=True))
    key = "contact_id" if contact else "account_id"
    by_id: dict = {}
    for owner, as_of, score, level, risk in rows.order_by("as_of").values_list(key, "as_of", "score", "level", "risk"):
        by_id.setdefault(owner, []).append((as_of, score, level, risk))
    out = {}
    for owner, points in by_id.items():
        series = []
        for day in days:
            week = [p for p in points if day - timedelta(days=6) <= p[0] <= day]
            if week:
                as_of, score, level, risk = week[-1]
                series.append({"as_of": as_of, "score": score, "level": level, "risk": risk})
        out[owner] = series
    return out
