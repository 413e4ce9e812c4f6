"""Building a digest costs a bounded number of queries per recipient, whatever the size of their scope:
the same count for a manager of 3 accounts as for one of 30 (the benchmark, ``manage.py bench_digest``,
prints the figures at 5,000 accounts and 50 managers)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Team
from reports import digest_render
from reports.digest_service import user_digest
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.scores import recompute_scores

from .digest_support import MONDAY, at, build_portfolio, eventful_week, exec_contact, meet, user

pytestmark = pytest.mark.django_db


def queries_for(manager) -> int:
    with CaptureQueriesContext(connection) as captured:
        digest_render.email(user_digest(manager, MONDAY))
    return len(captured)


def test_the_query_count_does_not_grow_with_the_scope(settings):
    settings.SITE_URL = "https://tracker.example"
    cast = build_portfolio()
    cast.update(eventful_week(cast))
    big = user("big@vendor.example", role="manager")
    bigcsm = user("bigcsm@vendor.example")
    team = Team.objects.create(name="Big")
    team.managers.add(big)
    team.members.add(bigcsm)
    for k in range(30):
        acc = Account.objects.create(external_id=f"big_{k}", name=f"Big {k}", tier="mid_market", owner=bigcsm)
        c = exec_contact(acc, f"Exec {k}", sponsor="primary")
        meet(acc, date(2026, 3, 1), c)
    for day in (date(2026, 11, 15), date(2026, 11, 22)):
        recompute_scores(as_of=day)
    with time_machine.travel(at(date(2026, 11, 18), 9), tick=False):
        evaluate_accounts(as_of=date(2026, 11, 18))

    small, large = queries_for(cast["mia"]), queries_for(big)       # 3 accounts, 30 accounts
    again = queries_for(big)                                          # this week's metrics now stored

    assert small == large
    assert again < large             # the facts load and the upsert of this week's metrics are skipped
    assert large <= 25
