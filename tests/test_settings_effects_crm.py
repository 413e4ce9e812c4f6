"""Every EXEC_SPONSOR_CRM key changes what the HubSpot sync does, end to end against the server on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sponsors.crm.runs import due_connections
from sponsors.models import Contact, CrmSyncRun

from .crm_support import MINUTE, Sleeps, connection_fixture, encryption_fixture, hubspot_fixture, ms, portfolio, run  # noqa: F401
from .settings_effects_support import covers

pytestmark = pytest.mark.django_db

UNAVAILABLE = (503, {}, {"status": "error", "message": "Service Unavailable", "category": "UNAVAILABLE"})


def searches(fake, object_type):
    return [body for method, path, body in fake.log if path == f"/crm/v3/objects/{object_type}/search"]


@covers("crm", "page_size")
def test_page_size_is_the_search_limit(hubspot, connection, settings):
    portfolio(hubspot)
    settings.EXEC_SPONSOR_CRM = {"page_size": 3}
    result = run(connection)
    assert [body["limit"] for body in searches(hubspot, "contacts")] == [3, 3]
    assert [body.get("after") for body in searches(hubspot, "contacts")] == [None, "3"]
    assert result.counts["contacts"]["fetched"] == 4


@covers("crm", "window_limit")
def test_window_limit_re_anchors_the_search_before_it(hubspot, connection, settings):
    portfolio(hubspot)
    settings.EXEC_SPONSOR_CRM = {"window_limit": 2, "page_size": 2}
    run(connection)
    anchors = [body["filterGroups"][0]["filters"][0]["value"] for body in searches(hubspot, "contacts")]
    # each window re-anchors at the newest time it read (the records of that instant read already are skipped)
    assert anchors == ["0", str(ms(3)), str(ms(4))]
    assert all("after" not in body for body in searches(hubspot, "contacts"))
    assert Contact.objects.count() == 4


@covers("crm", "overlap_minutes")
def test_overlap_minutes_is_how_far_before_the_watermark_a_run_re_reads(hubspot, connection, settings):
    portfolio(hubspot)
    settings.EXEC_SPONSOR_CRM = {"overlap_minutes": 30}
    run(connection)
    hubspot.log.clear()
    run(connection)
    assert searches(hubspot, "contacts")[0]["filterGroups"][0]["filters"][0]["value"] == str(ms(5) - 30 * MINUTE)


@covers("crm", "max_retries")
def test_max_retries_is_how_often_a_5xx_is_retried_before_the_run_stops(hubspot, connection, settings):
    portfolio(hubspot)
    settings.EXEC_SPONSOR_CRM = {"max_retries": 1}
    hubspot.failures = [UNAVAILABLE] * 3
    sleeps = Sleeps()
    result = run(connection, sleeps=sleeps)
    assert result.status == CrmSyncRun.Status.FAILED
    assert result.error == "HubSpot answered 503 2 times: Service Unavailable"
    assert sleeps == [1.0] and len(hubspot.failures) == 1


@covers("crm", "backoff_seconds")
def test_backoff_seconds_is_the_first_wait_after_a_5xx_and_doubles(hubspot, connection, settings):
    portfolio(hubspot)
    settings.EXEC_SPONSOR_CRM = {"backoff_seconds": 0.25}
    hubspot.failures = [UNAVAILABLE] * 3
    sleeps = Sleeps()
    result = run(connection, sleeps=sleeps)
    assert result.status == CrmSyncRun.Status.SUCCEEDED
    assert sleeps == [0.25, 0.5, 1.0]


@covers("crm", "max_retry_after_seconds")
def test_a_retry_after_beyond_max_retry_after_seconds_stops_the_run(hubspot, connection, settings):
    portfolio(hubspot)
    settings.EXEC_SPONSOR_CRM = {"max_retry_after_seconds": 5}
    hubspot.failures = [(429, {"Retry-After": "7"}, {"status": "error", "message": "You have reached your secondly "
                                                     "limit.", "errorType": "RATE_LIMIT", "policyName": "SECONDLY"})]
    sleeps = Sleeps()
    result = run(connection, sleeps=sleeps)
    assert result.status == CrmSyncRun.Status.FAILED and sleeps == []
    assert "rate-limiting us (429, wait 7s)" in result.error


@covers("crm", "sync_interval_minutes")
def test_sync_interval_minutes_is_how_often_the_schedule_syncs_a_connection(connection, settings):
    CrmSyncRun.objects.create(connection=connection, status=CrmSyncRun.Status.SUCCEEDED)
    CrmSyncRun.objects.update(started_at=timezone.now() - timedelta(minutes=30))
    assert due_connections() == [connection.pk]                     # default: every 15 minutes
    settings.EXEC_SPONSOR_CRM = {"sync_interval_minutes": 60}
    assert due_connections() == []
