"""The inbox page reads its ids from the runs of the order it spans (``InboxOrder``): every window of every
filter gives exactly the ids of the one ORDER BY that defines the order (``one_order_by``), in one query.

Alerts cover every run — each severity due this week (overdue included), due later, undated — with ties on
the due date broken by the newest first, on three accounts, one of them outside the manager's teams."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Case, F, IntegerField, Value, When
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from accounts.vocabulary import SEVERITIES
from reports.inbox import DUE_SOON_DAYS, InboxOrder, inbox_counts, unresolved_alerts
from reports.ranking import vocabulary_rank
from sponsors.models import Alert

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]
TODAY = date(2026, 11, 20)


def one_order_by(user, *, severity=""):
    """The inbox's order as one ORDER BY: due this week first, then most severe, soonest due, newest opened."""
    soon = TODAY + timedelta(days=DUE_SOON_DAYS)
    qs = unresolved_alerts(user).filter(**({"severity": severity} if severity else {}))
    return list(qs.annotate(
        due_soon=Case(When(due_on__lte=soon, then=Value(0)), default=Value(1), output_field=IntegerField()),
        rank=vocabulary_rank("severity", SEVERITIES))
        .order_by("due_soon", "-rank", F("due_on").asc(nulls_last=True), "-opened_at", "-pk")
        .values_list("pk", flat=True))


@pytest.fixture
def alerts(cast):
    owners = (cast["csm"], cast["teammate"], cast["outsider"])
    accounts = [Account.objects.create(source="t", external_id=f"a{i}", name=f"Acct {i}", tier="smb",
                                       owner=owner)
                for i, owner in enumerate(owners)]
    dues = [TODAY - timedelta(days=3), TODAY, TODAY + timedelta(days=7), TODAY + timedelta(days=8),
            TODAY + timedelta(days=40), None]
    rows = []
    for n, (account, severity, due) in enumerate(itertools.product(accounts, SEVERITIES, dues)):
        for copy in range(2):                               # two alerts a day and severity: ties on the due date
            rows.append(Alert(account=account, code="single_threaded", subject=f"{n}-{copy}", severity=severity,
                              due_on=due, message="m", status="acknowledged" if n % 5 == 0 else "open"))
    rows.append(Alert(account=accounts[0], code="no_sponsor", severity="critical", message="m", status="resolved"))
    made = Alert.objects.bulk_create(rows)
    for i, a in enumerate(made):           # opened at scattered times (some equal: the id breaks those ties)
        Alert.objects.filter(pk=a.pk).update(opened_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=i * 7 % 50))
    return made


@pytest.mark.parametrize("who", ["admin", "manager", "csm"])
@pytest.mark.parametrize("severity", ["", *SEVERITIES])
def test_every_window_is_the_one_order_by(alerts, cast, who, severity):
    user = cast[who]
    expected = one_order_by(user, severity=severity)
    assert expected
    order = InboxOrder(user, today=TODAY, severity=severity, counts=inbox_counts(user, today=TODAY))
    assert len(order) == len(expected)
    assert order[0:len(expected) + 5] == expected
    for start, stop in ((0, 25), (25, 50), (3, 17), (11, 12), (len(expected) - 4, len(expected) + 21)):
        assert order[start:stop] == expected[start:stop], (start, stop)


def test_a_page_of_ids_is_one_query_whatever_runs_it_spans(alerts, cast):
    user = cast["admin"]
    order = InboxOrder(user, today=TODAY, severity="", counts=inbox_counts(user, today=TODAY))
    for start in (0, 10, 40, 100):
        with CaptureQueriesContext(connection) as ctx:
            assert len(order[start:start + 25]) == 25
        assert len(ctx.captured_queries) == 1


@pytest.mark.parametrize("who", ["manager", "csm"])
def test_a_scoped_users_page_is_one_query_too(alerts, cast, who):
    user = cast[who]
    order = InboxOrder(user, today=TODAY, severity="", counts=inbox_counts(user, today=TODAY))
    for start in (0, 10, 30):
        with CaptureQueriesContext(connection) as ctx:
            assert order[start:start + 25]
        assert len(ctx.captured_queries) == 1
