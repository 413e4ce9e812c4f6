"""The admin writes through the same services as the pages and the API (issue 9): the contact form, the
sponsor actions, logging an interaction and planning a touchpoint refuse what those refuse, in the same
words, and write nothing; the account page's inline lists the account's own interactions."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from sponsors.models import Contact, Interaction, PlannedTouchpoint

from .guardrails_support import account, import_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def northwind(cast, document):
    import_document(document)
    return account()


def contact(ref) -> Contact:
    return Contact.objects.get(external_id=ref)


def contact_form(c: Contact, **changes) -> dict:
    data = {"account": c.account_id, "external_id": c.external_id or "", "name": c.name, "title": c.title,
            "email": c.email, "roles": c.roles, "sponsor": c.sponsor, "in_role_since": "", "priorities": "",
            "communication_preference": c.communication_preference, "linkedin_url": c.linkedin_url,
            "status": c.status, "history-TOTAL_FORMS": 0}
    return {**data, **changes}


def post_contact(client, c, **changes):
    return client.post(reverse("admin:sponsors_contact_change", args=[c.pk]), contact_form(c, **changes))


def errors_of(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_the_contact_form_refuses_a_non_executive_as_backup_and_writes_nothing(northwind, admin_client):
    lena = contact("c_3")
    response = post_contact(admin_client, lena, sponsor="backup")
    assert response.status_code == 200                                       # the form again, with the error
    assert "Lena Fischer is not an executive (roles: director)" in errors_of(response)
    assert contact("c_3").sponsor == "" and not Contact.history.filter(id=lena.pk).exists()


def test_a_second_primary_in_the_form_names_the_current_one_and_the_action_replaces_it(northwind, admin_client):
    marcus = contact("c_2")
    response = post_contact(admin_client, marcus, sponsor="primary")
    assert "Priya Natarajan is already the primary sponsor of Northwind Health" in errors_of(response)
    assert 'Constraint “one_primary_sponsor_per_account” is violated' not in errors_of(response)
    assert contact("c_1").sponsor == "primary"

    changelist = reverse("admin:sponsors_contact_changelist")
    admin_client.post(changelist, {"action": "make_primary_sponsor", "_selected_action": [marcus.pk]})
    assert (contact("c_2").sponsor, contact("c_1").sponsor) == ("primary", "backup")


def test_an_edit_in_the_form_goes_through_the_service_and_into_the_audit_trail(northwind, admin_client, cast):
    response = post_contact(admin_client, contact("c_2"), title="CFO", sponsor="")
    assert response.status_code == 302
    marcus = contact("c_2")
    assert (marcus.title, marcus.sponsor) == ("CFO", "")
    sources = set(marcus.history.values_list("history_source", flat=True))
    assert "admin" in sources
    assert marcus.history.filter(history_user=cast["admin"], sponsor="").exists()


def test_logging_an_operational_outbound_call_with_an_executive_is_refused_in_the_admin(northwind, admin_client):
    before = Interaction.objects.count()
    data = {"account": northwind.pk, "type": "call", "occurred_at_0": "2026-11-19", "occurred_at_1": "10:00:00",
            "direction": "outbound", "purpose": "operational", "topics": "", "outcome": "", "responded_at_0": "",
            "responded_at_1": "", "logged_by": "", "external_id": "",
            "participant_links-TOTAL_FORMS": 1, "participant_links-INITIAL_FORMS": 0,
            "participant_links-0-contact": contact("c_2").pk}
    response = admin_client.post(reverse("admin:sponsors_interaction_add"), data)
    assert response.status_code == 200
    assert "Marcus Holt (VP Finance) is an executive" in errors_of(response)
    assert Interaction.objects.count() == before
    data["purpose"] = "strategic"                                            # the same call, strategic: logged
    assert admin_client.post(reverse("admin:sponsors_interaction_add"), data).status_code == 302
    logged = Interaction.objects.exclude(external_id__isnull=False).get()
    assert list(logged.participants.all()) == [contact("c_2")]
    assert logged.history.get().history_source == "admin"


@time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=True)
def test_planning_in_the_past_is_refused_in_the_admin_and_a_plan_goes_through_the_service(northwind, admin_client):
    data = {"account": northwind.pk, "planned_on": "2020-01-01", "type": "one_on_one", "direction": "meeting",
            "purpose": "strategic", "objective": "", "contacts": [contact("c_1").pk], "status": "planned"}
    response = admin_client.post(reverse("admin:sponsors_plannedtouchpoint_add"), data)
    assert "2020-01-01 is in the past" in errors_of(response)
    assert not PlannedTouchpoint.objects.exists()
    data["planned_on"] = "2026-12-01"
    assert admin_client.post(reverse("admin:sponsors_plannedtouchpoint_add"), data).status_code == 302
    assert PlannedTouchpoint.objects.get().planned_by.email == "ada@vendor.example"


def test_the_account_page_lists_the_accounts_own_interactions_newest_first(northwind, admin_client, document):
    """Defect 11: the inline took the 25 newest interactions of every account, then kept this account's."""
    busy = copy.deepcopy(document["accounts"][0])
    busy["account"].update(id="acc_999", name="Busy Co")
    busy["org_changes"] = []
    busy["interactions"] = [{"id": f"b_{n}", "type": "call", "occurred_at": f"2026-11-19T{n % 24:02d}:{n % 60:02d}:00Z",
                             "contact_ids": ["c_1"], "direction": "meeting"} for n in range(30)]   # newer than ours
    import_document({**document, "accounts": [busy]})
    page = admin_client.get(reverse("admin:accounts_account_change", args=[northwind.pk])).content.decode()
    ours = list(Interaction.objects.filter(account=northwind).order_by("-occurred_at"))
    links = [f"/admin/sponsors/interaction/{i.pk}/change/" for i in ours]
    assert all(link in page for link in links)
    assert [page.index(link) for link in links] == sorted(page.index(link) for link in links)   # newest first
    assert not any(f"/admin/sponsors/interaction/{i.pk}/change/" in page
                   for i in Interaction.objects.exclude(account=northwind))
