"""The portfolio recompute streams its snapshots through COPY in text format, formatted by hand:
CRM text with backslashes, tabs, newlines and non-ASCII letters comes back exactly, and the same as
through the ORM (the path for a handful of accounts)."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import Account
from sponsors.models import Contact, ScoreSnapshot
from sponsors.services.scores import STREAM_THRESHOLD, recompute_scores

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 20)
AWKWARD = 'Zoë "Z" O\'Brien \\ Back\\\\slash\ttab\nnewline \\N \u2028 «ü»'


def test_awkward_crm_text_survives_the_stream_and_matches_the_orm_path():
    for i in range(STREAM_THRESHOLD + 1):
        account = Account.objects.create(source="t", external_id=f"a{i}", name=f"A{i}", tier="smb")
        Contact.objects.create(account=account, name=AWKWARD if i == 0 else f"Exec {i}", title=AWKWARD,
                               roles=["c_level"], sponsor="primary", priorities=[AWKWARD])
    first = Account.objects.get(external_id="a0")

    streamed = recompute_scores(as_of=AS_OF)                                # > STREAM_THRESHOLD: COPY
    assert streamed.accounts == STREAM_THRESHOLD + 1
    snap = ScoreSnapshot.objects.get(account=first, contact__isnull=False, as_of=AS_OF)
    assert snap.breakdown["contact"]["name"] == AWKWARD and snap.breakdown["contact"]["title"] == AWKWARD
    via_copy = {(s.contact_id, s.score, s.level, s.risk): s.breakdown
                for s in ScoreSnapshot.objects.filter(account=first, as_of=AS_OF)}

    recompute_scores(account_ids=[first.pk], as_of=AS_OF)                  # one account: bulk_create
    via_orm = {(s.contact_id, s.score, s.level, s.risk): s.breakdown
               for s in ScoreSnapshot.objects.filter(account=first, as_of=AS_OF)}
    assert via_copy == via_orm and len(via_orm) == 2
