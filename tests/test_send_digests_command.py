"""``manage.py send_digests``: a dry run prints the text version and writes nothing; a run writes one
outbox row per recipient and week (a re-run says it exists); bad input names the option."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from sponsors.models import OutboundEmail

from .digest_support import build_portfolio

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_digests", *args, stdout=out)
    return out.getvalue()


def test_dry_run_prints_the_text_and_writes_nothing():
    build_portfolio()
    out = run("--dry-run", "--as-of", "2026-11-23")

    assert "=== To: mia@vendor.example" in out and "Weekly executive-sponsor digest for Mia" in out
    assert "Mia (teams): 2 accounts, 2026-11-16 to 2026-11-22" in out
    assert "carl@vendor.example" not in out                        # a CSM who did not opt in
    assert "Week of 2026-11-23: 1 recipient(s) (dry run)." in out
    assert OutboundEmail.objects.count() == 0


def test_it_writes_once_per_recipient_and_week():
    cast = build_portfolio()
    cast["carl"].wants_digest = True                               # a CSM opts in: his book
    cast["carl"].save()

    out = run("--as-of", "2026-11-23")
    assert "mia@vendor.example: written" in out and "carl@vendor.example: written" in out
    again = run("--as-of", "2026-11-23")
    assert "mia@vendor.example: exists" in again and "carl@vendor.example: exists" in again
    assert OutboundEmail.objects.filter(kind="weekly_digest").count() == 2


def test_to_one_person_and_the_errors():
    build_portfolio()
    assert "mia@vendor.example: written" in run("--to", "MIA@vendor.example", "--as-of", "2026-11-23")
    with pytest.raises(CommandError, match="--to 'nobody@vendor.example': no user"):
        run("--to", "nobody@vendor.example")
    with pytest.raises(CommandError, match="olive@vendor.example does not get the weekly digest"):
        run("--to", "olive@vendor.example", "--as-of", "2026-11-23")
    with pytest.raises(CommandError, match="--as-of"):
        run("--as-of", "23/11/2026")
