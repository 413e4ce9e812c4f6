"""The score tasks on the real Redis broker, run by a real Celery worker (not eager mode)."""

import time
from datetime import date

import pytest
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from accounts.models import Account
from config.celery import app
from sponsors.models import Contact, Interaction, ScoreSnapshot
from sponsors.tasks import recompute_account, recompute_portfolio

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
WAIT_SECONDS = 20


@pytest.fixture
def worker():
    assert not app.conf.task_always_eager and app.conf.broker_url.startswith("redis://")
    app.control.purge()                   # leftovers of earlier runs
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        yield


def wait_for(check, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"not within {WAIT_SECONDS}s: {what}")


def snapshot(contact, day):
    return ScoreSnapshot.objects.filter(contact=contact, as_of=day).first()


def note(snap, key):
    return next(f["note"] for f in snap.breakdown["factors"] if f["key"] == key)


def test_it_recomputes_an_account_after_an_interaction_is_saved(worker):
    today = timezone.localdate()
    account = Account.objects.create(source="test", external_id="acme", name="Acme", tier="enterprise")
    ceo = Contact.objects.create(account=account, name="Ada Byron", title="CEO",
                                 roles=["executive_sponsor", "c_level"], sponsor="primary")
    # Saving the contact queued a first recompute: no interaction yet, so Unknown.
    first = wait_for(lambda: snapshot(ceo, today), "a snapshot after the contact was saved")
    assert first.level == "Unknown" and first.breakdown["last_touch"] is None

    with transaction.atomic():
        meeting = Interaction.objects.create(account=account, type="one_on_one", direction="meeting",
                                             occurred_at=timezone.now())    # today (not "5 minutes ago",
        meeting.participants.add(ceo)                                       # which is yesterday just after 00:00)

    after = wait_for(lambda: (s := snapshot(ceo, today)) and s.breakdown["last_touch"] and s,
                     "a snapshot that reflects the new meeting")
    assert after.breakdown["last_touch"] == today.isoformat()
    assert note(after, "meeting_frequency") == "Target 12: Actual 1"
    assert after.level != "Unknown"
    overall = ScoreSnapshot.objects.get(account=account, contact=None, as_of=today)
    assert overall.breakdown["cadence"]["last_touch"] == today.isoformat()
    assert overall.breakdown["cadence"]["days_since"] == 0


def test_it_recomputes_the_portfolio(worker):
    for i, tier in enumerate(["enterprise", "smb"]):
        account = Account.objects.create(source="test", external_id=f"a{i}", name=f"A{i}", tier=tier)
        Contact.objects.create(account=account, name=f"Exec {i}", roles=["c_level"], sponsor="primary")
    ScoreSnapshot.objects.all().delete()

    summary = recompute_portfolio.delay(as_of="2026-11-26").get(timeout=WAIT_SECONDS)

    assert summary["as_of"] == "2026-11-26"
    assert (summary["accounts"], summary["contacts"], summary["snapshots"]) == (2, 2, 4)
    assert summary["account_levels"] == {"Unknown": 2}
    assert ScoreSnapshot.objects.filter(as_of=date(2026, 11, 26)).count() == 4


def test_a_single_account_task_takes_an_id_and_a_date(worker):
    account = Account.objects.create(source="test", external_id="solo", name="Solo", tier="mid_market")
    summary = recompute_account.delay(account.pk, "2026-11-01").get(timeout=WAIT_SECONDS)
    assert (summary["accounts"], summary["snapshots"]) == (1, 1)
    assert ScoreSnapshot.objects.get(account=account).as_of == date(2026, 11, 1)


def test_the_tasks_retry_a_lost_database_and_run_nightly():
    for task in (recompute_portfolio, recompute_account):
        assert OperationalError in task.autoretry_for
        assert task.retry_backoff and task.max_retries
    entry = settings.CELERY_BEAT_SCHEDULE["recompute-scores-daily"]
    assert entry["task"] == recompute_portfolio.name
    assert entry["schedule"] == crontab(hour=2, minute=30)
