"""A real Celery worker is killed between two pages of a HubSpot sync; a fresh worker re-runs the sync, and
the database ends exactly as a run that was never interrupted leaves it: no duplicates, no gaps.

The HubSpot-shaped server (pytest-httpserver on loopback) stalls the second page of contacts, which the sync
reads while it stores the first; the first page commits with its watermark, and the worker then waits.  The
worker is SIGKILLed there; its advisory lock dies with its database connection.  A second worker process runs
the sync again: it marks the dead run interrupted and goes on from the contacts watermark (less the overlap).
Then a second connection to the same server syncs the same data uninterrupted, in-process, and every table is
compared source by source."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection as db

from accounts.models import Account
from sponsors.crm.connections import connection_create
from sponsors.crm.connectors.hubspot_fake import FakeHubSpot, respond
from sponsors.crm.runs import sync_connection
from sponsors.models import (
    Contact,
    CrmCursor,
    CrmPendingAccount,
    CrmRecord,
    CrmSyncRun,
    Interaction,
    InteractionParticipant,
)
from tests.worker_support import stop, wait_for

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "pat-na1-worker-killed"
T0 = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp() * 1000)


def generated(fake: FakeHubSpot) -> FakeHubSpot:
    """5 companies, 350 contacts (2 pages of 200), 2 meetings and 1 e-mail per contact."""
    fake.owner(1, "dana@vendor.example", "Dana", "Reyes")
    for c in range(5):
        fake.add("companies", 1000 + c, T0 + c, name=f"Company {c}", customer_tier=["enterprise", "smb"][c % 2],
                 hubspot_owner_id=1)
    for n in range(350):
        company = 1000 + n % 5
        fake.add("contacts", 5000 + n, T0 + 10_000 + n * 10_000, firstname="Person", lastname=str(n),
                 jobtitle=["Chief Executive Officer", "VP Sales", "Engineer"][n % 3])
        fake.associate("contacts", 5000 + n, "companies", company)
        for k in range(2):
            fake.add("meetings", 20_000 + 2 * n + k, T0 + 900_000 + n * 1000 + k,
                     hs_timestamp=f"2026-09-{1 + n % 28:02d}T1{k}:00:00Z", hs_meeting_outcome="COMPLETED")
            fake.associate("meetings", 20_000 + 2 * n + k, "contacts", 5000 + n)
        fake.add("emails", 40_000 + n, T0 + 900_000 + n * 1000 + 5, hs_timestamp=f"2026-09-{1 + n % 28:02d}T09:00:00Z",
                 hs_email_direction="EMAIL" if n % 2 else "INCOMING_EMAIL")
        fake.associate("emails", 40_000 + n, "contacts", 5000 + n)
    return fake


def start_worker(name):
    d = db.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{d['USER']}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/"
                                         f"{d['NAME']}",
           "REDIS_URL": settings.REDIS_URL, "DJANGO_SETTINGS_MODULE": "config.settings_test",
           "EXEC_SPONSOR_QUIET_EMBEDDED": "1", "HUBSPOT_KILL_TEST_TOKEN": TOKEN}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--without-mingle",
         "--without-gossip", "--without-heartbeat", "-Q", "default", "-l", "WARNING",
         "-n", f"{name}-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def tables(source) -> dict:
    """Everything a sync writes for ``source``, keyed by external ids (no primary keys, no clocks)."""
    accounts = Account.objects.filter(source=source)
    return {
        "accounts": sorted(accounts.values_list("external_id", "name", "tier", "owner__email")),
        "team": sorted(accounts.values_list("external_id", "team_members__user__email",
                                            "team_members__role")),
        "contacts": sorted(Contact.objects.filter(account__source=source).values_list(
            "account__external_id", "external_id", "name", "title", "roles", "is_executive", "sponsor", "status")),
        "interactions": sorted(Interaction.objects.filter(account__source=source).values_list(
            "account__external_id", "external_id", "type", "occurred_at", "direction", "responded_at", "logged_by")),
        "participants": sorted(InteractionParticipant.objects.filter(interaction__account__source=source)
                               .values_list("interaction__external_id", "contact__external_id")),
        "mirror": sorted(CrmRecord.objects.filter(connection__name=source).values_list(
            "kind", "external_id", "account_key", "problem")),
        "pending": sorted(CrmPendingAccount.objects.filter(connection__name=source).values_list("account_key")),
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_a_worker_killed_between_pages_resumes_without_duplicates_or_gaps(httpserver):
    from config.celery import app
    from sponsors.tasks import sync_crm_connection

    fake = generated(FakeHubSpot(token=TOKEN))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(respond(fake))
    base = httpserver.url_for("/").rstrip("/")
    killed = connection_create(name="hubspot-killed", kind="hubspot", base_url=base,
                               token_env="HUBSPOT_KILL_TEST_TOKEN")
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("default")
    fake.stall = ("/crm/v3/objects/contacts/search", 2)

    doomed = start_worker("doomed")
    try:
        sync_crm_connection.delay(killed.pk, False, "test")
        assert fake.stalled.wait(timeout=120), "the worker never asked for the second page of contacts"
        # The second page is read while the first is stored (prefetch): the first commits meanwhile, and no
        # more can (the second page is held).
        first_page = datetime.fromtimestamp((T0 + 10_000 + 199 * 10_000) / 1000, tz=UTC)
        wait_for(lambda: CrmCursor.objects.get(connection=killed, stream="contacts").watermark is not None,
                 what="the first page of contacts to commit", timeout=60)
        assert CrmCursor.objects.get(connection=killed, stream="contacts").watermark == first_page   # 1 page
        assert CrmRecord.objects.filter(connection=killed, kind="contact").count() == 200
        assert Contact.objects.filter(account__source="hubspot-killed").count() == 0   # not applied yet
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    finally:
        stop(doomed)
        fake.release.set()
    assert CrmSyncRun.objects.get(connection=killed).status == CrmSyncRun.Status.RUNNING   # died mid-run

    survivor = start_worker("survivor")
    try:
        sync_crm_connection.delay(killed.pk, False, "test")
        wait_for(lambda: CrmSyncRun.objects.filter(connection=killed, finished_at__isnull=False,
                                                   status=CrmSyncRun.Status.SUCCEEDED).exists(),
                 what="the re-run", timeout=120)
    finally:
        stop(survivor)
    statuses = list(CrmSyncRun.objects.filter(connection=killed).order_by("started_at")
                    .values_list("status", flat=True))
    assert statuses == [CrmSyncRun.Status.INTERRUPTED, CrmSyncRun.Status.SUCCEEDED]
    resumed = CrmSyncRun.objects.get(connection=killed, status=CrmSyncRun.Status.SUCCEEDED)
    assert resumed.counts["contacts"]["fetched"] == 350 - 169           # from the watermark less 5 minutes

    os.environ["HUBSPOT_KILL_TEST_TOKEN"] = TOKEN
    try:
        whole = connection_create(name="hubspot-whole", kind="hubspot", base_url=base,
                                  token_env="HUBSPOT_KILL_TEST_TOKEN")
        assert sync_connection(whole).status == CrmSyncRun.Status.SUCCEEDED
    finally:
        del os.environ["HUBSPOT_KILL_TEST_TOKEN"]

    after_kill, uninterrupted = tables("hubspot-killed"), tables("hubspot-whole")
    assert len(uninterrupted["contacts"]) == 350 and len(uninterrupted["interactions"]) == 1050
    assert len(uninterrupted["participants"]) == 1050
    assert after_kill == uninterrupted
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("default")
        conn.default_channel.queue_purge("notify")
