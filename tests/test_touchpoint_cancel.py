"""A planned touchpoint taken off the calendar: its planner (or an admin) cancels it from the workspace; it
stays on record as cancelled, leaves the planned list, the calendar and its feed, and warns nobody of a
conflict any more.  Anyone else is refused, in words, and nothing changes.  The same plan sent twice by the
same person is refused beside its date, naming the plan that stands."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.management import call_command

from accounts.models import Account
from sponsors.models import Contact, PlannedTouchpoint
from sponsors.services.touchpoints import touchpoint_conflicts_preview, touchpoint_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]
HTMX = {"HX-Request": "true"}
DAY = date(2026, 11, 27)


@pytest.fixture
def planned(cast, document, write_snapshot):
    """Li (the account executive) plans a 1:1 with Priya, the primary sponsor, for next Friday."""
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    account = Account.objects.get(external_id="acc_123")
    priya = Contact.objects.get(account=account, external_id="c_1")
    touchpoint, _ = touchpoint_plan(account=account, contacts=[priya], planned_on=DAY, type="one_on_one",
                                    objective="Renewal scope", by=cast["teammate"])
    return touchpoint


def plan_panel(client, account) -> str:
    html = client.get(f"/accounts/{account.pk}/").content.decode()
    return re.search(r'<section [^>]*id="plan-panel".*?</section>', html, re.S).group(0)


def cancel(client, touchpoint, **headers):
    return client.post(f"/accounts/{touchpoint.account_id}/touchpoints/{touchpoint.pk}/cancel/", headers=headers)


def test_the_planner_cancels_and_the_plan_leaves_the_list_the_calendar_and_the_conflicts(planned, cast, client):
    client.force_login(cast["teammate"])
    assert "Renewal scope" in plan_panel(client, planned.account)
    assert "Renewal scope" in client.get("/calendar/").content.decode()
    priya = planned.contacts.get()
    assert touchpoint_conflicts_preview(account=planned.account, contacts=[priya], planned_on=DAY, by=cast["csm"])

    response = cancel(client, planned, **HTMX)

    assert response.status_code == 200 and response["HX-Retarget"] == "#plan-panel"
    assert "Cancelled: 1:1 on 2026-11-27." in response.content.decode()
    planned.refresh_from_db()
    assert planned.status == PlannedTouchpoint.Status.CANCELLED           # on record, not deleted
    assert "Renewal scope" not in plan_panel(client, planned.account)
    assert "Renewal scope" not in client.get("/calendar/").content.decode()
    assert touchpoint_conflicts_preview(account=planned.account, contacts=[priya], planned_on=DAY,
                                        by=cast["csm"]) == []


def test_only_the_planner_or_an_admin_is_offered_and_allowed_to_cancel(planned, cast, client):
    url = f"/touchpoints/{planned.pk}/cancel/"
    client.force_login(cast["csm"])                                      # on the team, not the planner
    assert url not in plan_panel(client, planned.account)
    response = cancel(client, planned, **HTMX)
    refusal = "Not cancelled: Planned by li@vendor.example: only they (or an admin) can cancel it."
    assert refusal in response.content.decode()
    assert cancel(client, planned).status_code == 403                    # a plain post: refused outright
    planned.refresh_from_db()
    assert planned.status == PlannedTouchpoint.Status.PLANNED

    client.force_login(cast["admin"])
    assert url in plan_panel(client, planned.account)
    assert cancel(client, planned).status_code == 302                    # without JavaScript: back to the page
    planned.refresh_from_db()
    assert planned.status == PlannedTouchpoint.Status.CANCELLED
    again = cancel(client, planned, **HTMX)
    assert "Not cancelled: This touchpoint is already cancelled." in again.content.decode()


def test_the_api_cancels_for_the_planner_and_refuses_anyone_else(planned, cast, client):
    from accounts.tokens import token_create

    def post(who):
        token = token_create(user=cast[who], name="tests")[1]
        return client.post(f"/api/v1/touchpoints/{planned.pk}/cancel/", {}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")

    refused = post("csm")
    assert refused.status_code == 403
    assert "only they (or an admin) can cancel it" in refused.json()["errors"][0]["detail"]
    assert post("outsider").status_code == 404                           # not their account: not found
    done = post("teammate")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    again = post("teammate")
    assert again.status_code == 409 and "already cancelled" in again.json()["errors"][0]["detail"]


def test_the_same_plan_sent_twice_is_refused_beside_the_date_and_another_day_is_fine(planned, cast, client):
    client.force_login(cast["teammate"])
    form = {"plan-planned_on": "2026-11-27", "plan-type": "one_on_one", "plan-direction": "meeting",
            "plan-purpose": "strategic", "plan-contacts": [str(planned.contacts.get().pk)]}
    response = client.post(f"/accounts/{planned.account_id}/touchpoints/", form, headers=HTMX)
    assert response.status_code == 400
    assert ("You already planned this 1:1 with Priya Natarajan on 2026-11-27: it is in the planned list"
            in response.content.decode())
    assert PlannedTouchpoint.objects.count() == 1

    client.force_login(cast["csm"])                  # someone else's plan: a conflict warning, not a duplicate
    assert client.post(f"/accounts/{planned.account_id}/touchpoints/", form, headers=HTMX).status_code == 200
    client.force_login(cast["teammate"])
    again = client.post(f"/accounts/{planned.account_id}/touchpoints/", {**form, "plan-planned_on": "2026-11-30"},
                        headers=HTMX)
    assert again.status_code == 200 and PlannedTouchpoint.objects.count() == 3
    cancel(client, planned, **HTMX)                  # cancelled, it no longer stands in the way
    assert client.post(f"/accounts/{planned.account_id}/touchpoints/", form, headers=HTMX).status_code == 200
