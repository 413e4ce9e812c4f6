"""The HubSpot sync under the API's bad days: 429, expired tokens, malformed records, the 10,000-result
search limit, one instant shared by a whole window, and a second run of the same connection at once."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection as db

from sponsors.crm.runs import LOCK_CLASS
from sponsors.models import Contact, CrmCursor, CrmRecord, CrmSyncRun, Interaction

from .crm_support import Sleeps, connection_fixture, encryption_fixture, hubspot_fixture, ms, portfolio, run  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_429_waits_for_retry_after_then_goes_on(hubspot, connection):
    portfolio(hubspot)
    hubspot.failures = [(429, {"Retry-After": "7", "X-HubSpot-RateLimit-Remaining": "0"},
                         {"status": "error", "message": "You have reached your secondly limit.",
                          "errorType": "RATE_LIMIT", "policyName": "SECONDLY"})]
    sleeps = Sleeps()
    result = run(connection, sleeps=sleeps)
    assert result.status == CrmSyncRun.Status.SUCCEEDED and sleeps == [7.0]
    assert Contact.objects.count() == 4


def test_an_expired_token_is_a_clear_error_in_the_run_log_and_moves_no_watermark(hubspot, connection):
    portfolio(hubspot)
    run(connection)
    marks = dict(CrmCursor.objects.values_list("stream", "watermark"))
    hubspot.expired = True
    hubspot.add("contacts", 202, ms(60), firstname="Marcus", lastname="Holt", jobtitle="CFO")

    result = run(connection)

    assert result.status == CrmSyncRun.Status.FAILED
    assert result.error.startswith("HubSpot refused the credentials (401: The OAuth token used to make this call "
                                   "expired 2 hour(s) ago.): the token has expired or was revoked")
    assert dict(CrmCursor.objects.values_list("stream", "watermark")) == marks
    assert Contact.objects.get(external_id="202").title == "VP Finance"


def test_a_malformed_record_is_reported_with_its_object_and_id_and_skipped(hubspot, connection):
    portfolio(hubspot)
    hubspot.add("companies", 103, ms(1), industry="Retail")                          # no name
    hubspot.add("emails", 403, ms(12), hs_timestamp="2026-11-14T09:00:00Z", hs_email_direction="BOUNCED")
    hubspot.add("contacts", 205, ms(6), firstname="Ada", lastname="Long", jobtitle="T" * 300)
    hubspot.associate("contacts", 205, "companies", 101)

    result = run(connection)

    assert result.status == CrmSyncRun.Status.WITH_PROBLEMS
    assert result.problems == [
        {"object": "companies", "id": "103", "message": "name: a company needs a name"},
        {"object": "emails", "id": "403",
         "message": "hs_email_direction: 'BOUNCED' is not EMAIL, INCOMING_EMAIL or FORWARDED_EMAIL"},
        {"object": "contact", "id": "205", "message": result.problems[2]["message"]},
    ]
    assert result.problems[2]["message"].startswith("contacts[3].title: ")
    assert "is too long" in result.problems[2]["message"] or "300" in result.problems[2]["message"]
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["201", "202", "203", "204"]
    assert Interaction.objects.count() == 5
    assert CrmRecord.objects.get(kind="contact", external_id="205").problem.startswith("contacts[3].title")


def test_incremental_windows_go_past_the_search_limit_of_10000_results(hubspot, connection, settings):
    settings.EXEC_SPONSOR_CRM = {"page_size": 200}
    portfolio(hubspot)
    for n in range(10_150):
        hubspot.add("notes", 700_000 + n, ms(20) + n * 7, hs_timestamp="2026-11-13T08:00:00Z")
        hubspot.associate("notes", 700_000 + n, "companies", 101)

    result = run(connection)

    assert result.status == CrmSyncRun.Status.SUCCEEDED, result.error
    assert Interaction.objects.filter(account__external_id="101", type="other").count() == 10_150
    assert result.counts["notes"]["fetched"] == 10_151
    windows = [b for _m, p, b in hubspot.log if p.endswith("/notes/search") and "after" not in b]
    assert len(windows) == 2                        # re-anchored once, before the server's limit


def test_a_whole_window_of_one_instant_is_read_by_id(hubspot, connection, settings):
    settings.EXEC_SPONSOR_CRM = {"page_size": 50, "window_limit": 100}
    portfolio(hubspot)
    for n in range(250):
        hubspot.add("notes", 900 + n, ms(30), hs_timestamp="2026-11-13T08:00:00Z")   # one instant for all
        hubspot.associate("notes", 900 + n, "companies", 102)

    result = run(connection)

    assert result.status == CrmSyncRun.Status.SUCCEEDED, result.error
    assert Interaction.objects.filter(account__external_id="102", type="other").count() == 251
    tie = [b["filterGroups"][0]["filters"] for _m, p, b in hubspot.log if p.endswith("/notes/search")
           and b["sorts"][0]["propertyName"] == "hs_object_id" and "after" not in b]
    assert [f[1]["value"] for f in tie] == ["0", "999", "1099"]     # windows of 100 by id within the instant
    assert result.counts["notes"]["fetched"] == 251


def test_a_second_run_of_the_same_connection_at_once_does_nothing(hubspot, connection):
    portfolio(hubspot)
    settings_dict = db.settings_dict
    with psycopg.connect(host=settings_dict["HOST"] or "127.0.0.1", port=settings_dict["PORT"] or 5432,
                         user=settings_dict["USER"], dbname=settings_dict["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, connection.pk])   # a run in progress
        result = run(connection)
    assert result.status == CrmSyncRun.Status.BUSY
    assert hubspot.log == [] and Contact.objects.count() == 0
