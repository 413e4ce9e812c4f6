"""HubSpot sync against a HubSpot-shaped server on loopback: what lands where, incrementally, idempotently."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from accounts.models import Account
from sponsors.models import Contact, CrmCursor, CrmRecord, CrmSyncRun, Interaction, OrgChange

from .crm_support import MINUTE, connection_fixture, encryption_fixture, hubspot_fixture, ms, portfolio, run  # noqa: F401

pytestmark = pytest.mark.django_db


def participants(external_id):
    return sorted(Interaction.objects.get(external_id=external_id).participants.values_list("external_id", flat=True))


def test_it_syncs_companies_contacts_and_engagements_into_accounts(hubspot, connection):
    portfolio(hubspot)
    result = run(connection)

    assert result.status == CrmSyncRun.Status.SUCCEEDED, result.error
    northwind = Account.objects.get(source="hubspot", external_id="101")
    assert (northwind.name, northwind.tier, northwind.industry, northwind.arr, northwind.currency,
            str(northwind.renewal_date), northwind.owner.email) == (
        "Northwind Health", "enterprise", "Healthcare", Decimal("480000.00"), "USD", "2027-01-31",
        "dana@vendor.example")
    contoso = Account.objects.get(source="hubspot", external_id="102")
    assert (contoso.tier, contoso.owner.email) == ("mid_market", "li@vendor.example")
    roles = dict(Contact.objects.values_list("external_id", "roles"))
    assert roles == {"201": ["executive_sponsor", "c_level"], "202": ["vp"], "203": ["director"],
                     "204": ["executive_sponsor", "c_level"]}
    kinds = {i.external_id: (i.account.external_id, i.type, i.direction, i.logged_by)
             for i in Interaction.objects.select_related("account")}
    assert kinds == {
        "meeting-301": ("101", "qbr", "meeting", "dana@vendor.example"),
        "email-401": ("101", "email", "outbound", "li@vendor.example"),     # placed by its contact's company
        "email-402": ("101", "email", "inbound", ""),
        "call-501": ("102", "call", "meeting", ""),                          # a connected call: they talked
        "note-601": ("102", "other", "meeting", "dana@vendor.example"),
    }                                                                          # meeting-302 was cancelled
    assert participants("meeting-301") == ["201", "203"]
    assert Interaction.objects.get(external_id="email-401").responded_at == datetime(2026, 11, 11, 10, 30, tzinfo=UTC)
    assert result.counts["contacts"]["fetched"] == 4 and result.counts["meetings"]["fetched"] == 1
    assert result.watermarks["notes"] == "2026-11-01T09:11:00+00:00"
    assert result.accounts_changed == 2 and result.problem_count == 0


def test_it_is_idempotent_and_reads_only_what_changed_since_the_watermark_minus_the_overlap(hubspot, connection):
    portfolio(hubspot)
    run(connection)
    before = list(Interaction.objects.order_by("pk").values())
    hubspot.log.clear()

    again = run(connection)

    assert again.status == CrmSyncRun.Status.SUCCEEDED and again.accounts_changed == 0
    assert list(Interaction.objects.order_by("pk").values()) == before
    contact_search = next(body for method, path, body in hubspot.log if path.endswith("/contacts/search"))
    assert contact_search["filterGroups"][0]["filters"] == [
        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(ms(5) - 5 * MINUTE)}]
    assert contact_search["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]


def test_a_changed_title_becomes_an_org_change_and_a_deleted_contact_is_archived_not_destroyed(hubspot, connection):
    portfolio(hubspot)
    run(connection)
    hubspot.add("contacts", 202, ms(60), firstname="Marcus", lastname="Holt", jobtitle="Chief Financial Officer")
    hubspot.archive("contacts", 203, ms(61))

    result = run(connection)

    assert result.status == CrmSyncRun.Status.SUCCEEDED, result.error
    marcus = Contact.objects.get(external_id="202")
    assert (marcus.title, marcus.roles) == ("Chief Financial Officer", ["c_level"])
    change = OrgChange.objects.get(contact=marcus)
    assert (change.kind, change.source, change.old_value, change.new_value) == (
        "promotion", "crm", "VP Finance", "Chief Financial Officer")
    lena = CrmRecord.objects.get(kind="contact", external_id="203")
    assert lena.archived_at is not None
    assert Contact.objects.filter(external_id="203").exists()       # history kept
    assert participants("meeting-301") == ["201", "203"]
    assert CrmCursor.objects.get(stream="contacts").watermark == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def test_what_a_sync_changes_is_rescored_and_its_guardrails_evaluated(hubspot, connection,
                                                                      django_capture_on_commit_callbacks):
    from config.celery import app
    from sponsors.models import Alert, ScoreSnapshot

    portfolio(hubspot)
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run(connection)
    finally:
        app.conf.task_always_eager = False
    northwind = Account.objects.get(source="hubspot", external_id="101")
    # Nobody is named backup in HubSpot, and one executive is engaged: the guardrails said so at once.
    assert set(Alert.objects.filter(account=northwind, status="open").values_list("code", flat=True)) == {
        "no_backup_sponsor", "single_threaded"}
    assert ScoreSnapshot.objects.filter(account=northwind, contact__isnull=True).exists()
