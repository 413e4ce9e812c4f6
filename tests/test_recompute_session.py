"""The portfolio recompute tunes its own transaction on PostgreSQL (no JIT, no wait for the WAL flush, room
for the activity aggregate's hash tables) with SET LOCAL, so nothing outlives it."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from sponsors.services.scores import RECOMPUTE_WORK_MEM, recompute_scores

pytestmark = pytest.mark.django_db


def test_the_recompute_sets_its_session_locally():
    Account.objects.create(source="t", external_id="a", name="A", tier="smb")
    with CaptureQueriesContext(connection) as queries:
        recompute_scores(as_of=date(2026, 11, 20))
    tuning = [q["sql"] for q in queries.captured_queries if "SET LOCAL" in q["sql"]]
    assert len(tuning) == 1
    assert f"SET LOCAL work_mem = '{RECOMPUTE_WORK_MEM}'" in tuning[0] and "SET LOCAL jit = off" in tuning[0]
