"""Sponsor and contact changes go through one service with the same rules on every path, and every change
is in the audit trail (issue 9).  Each test names the defect it pins."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from sponsors.audit import contact_changes
from sponsors.models import Alert, Contact, OrgChange, OutboundEmail, PlannedTouchpoint
from sponsors.orgchanges.review import org_change_confirm
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.sponsors import (
    SponsorError,
    contact_create,
    contact_mark_departed,
    contact_update,
    sponsor_accept_succession,
    sponsor_assign_backup,
    sponsor_assign_primary,
    sponsor_clear,
)
from sponsors.services.touchpoints import touchpoint_plan

from .guardrails_support import AS_OF, account, import_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def northwind(cast, document):
    import_document(document)
    return account()


def contact(ref) -> Contact:
    return Contact.objects.get(external_id=ref)


def roles_of(acc) -> dict:
    return dict(Contact.objects.filter(account=acc).values_list("name", "sponsor"))


# --- the rules of the service -------------------------------------------------------------------------------

def test_a_non_executive_cannot_be_made_backup_and_nothing_is_written(northwind, cast):
    before = roles_of(northwind)
    with pytest.raises(SponsorError) as refused:
        sponsor_assign_backup(contact=contact("c_3"), by=cast["admin"])          # Lena Fischer, director
    assert refused.value.field == "sponsor"
    assert "Lena Fischer is not an executive" in str(refused.value)
    assert roles_of(northwind) == before


def test_a_second_primary_is_refused_naming_the_current_one(northwind, cast):
    with pytest.raises(SponsorError, match="Priya Natarajan is already the primary sponsor of Northwind Health"):
        sponsor_assign_primary(contact=contact("c_2"), by=cast["admin"])
    assert contact("c_1").sponsor == "primary" and contact("c_2").sponsor == "backup"


def test_make_primary_replaces_the_current_primary_who_becomes_backup(northwind, cast):
    sponsor_assign_primary(contact=contact("c_2"), by=cast["admin"], replace_current=True)
    assert (contact("c_2").sponsor, contact("c_1").sponsor) == ("primary", "backup")


def test_a_departed_person_cannot_be_given_a_sponsor_role(northwind, cast):
    contact_mark_departed(contact=contact("c_2"), on=AS_OF, by=cast["csm"])
    sponsor_clear(contact=contact("c_2"), by=cast["csm"])
    with pytest.raises(SponsorError, match="Marcus Holt has left Northwind Health; a departed person cannot be"):
        sponsor_assign_backup(contact=contact("c_2"), by=cast["csm"])


def test_removing_the_executive_roles_of_a_sponsor_is_refused(northwind, cast):
    with pytest.raises(SponsorError) as refused:
        contact_update(contact=contact("c_2"), changes={"roles": ["director"]}, by=cast["admin"])
    assert refused.value.field == "roles"
    assert contact("c_2").roles == ["vp"]


def test_an_executive_added_in_the_app_can_be_named_backup(northwind, cast):
    added = contact_create(account=northwind, name="Ines Park", title="CFO", roles=["c_level"],
                           sponsor="backup", by=cast["admin"])
    assert (added.is_executive, added.sponsor, added.external_id) == (True, "backup", None)
    with pytest.raises(SponsorError, match="unknown role"):
        contact_create(account=northwind, name="X", roles=["chief"], by=cast["admin"])


# --- defect 3: succession ---------------------------------------------------------------------------------

def test_accepting_a_succession_leaves_the_departed_primary_without_a_role(northwind, cast):
    contact_mark_departed(contact=contact("c_1"), on=AS_OF, by=cast["csm"])
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    departed_alert = Alert.objects.get(account=northwind, code="sponsor_departed")
    assert departed_alert.proposed_primary == contact("c_2")

    sponsor_accept_succession(alert=departed_alert, by=cast["admin"])
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)

    assert (contact("c_2").sponsor, contact("c_1").sponsor) == ("primary", "")    # not "backup (departed)"
    departed_alert.refresh_from_db()
    assert departed_alert.status == Alert.Status.RESOLVED
    assert Alert.objects.get(account=northwind, code="no_backup_sponsor", status="open")   # a new backup is needed


# --- defect 5: a plan in the past ----------------------------------------------------------------------------

@time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=True)
def test_planning_a_touchpoint_in_the_past_is_refused_on_the_api_and_nothing_is_written(northwind, cast, client):
    client.force_login(cast["csm"])
    body = {"account": northwind.pk, "contacts": [contact("c_1").pk], "planned_on": "2020-01-01",
            "type": "one_on_one"}
    response = client.post("/api/touchpoints/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "2020-01-01 is in the past" in response.json()["planned_on"][0]
    assert not PlannedTouchpoint.objects.exists()
    assert not OutboundEmail.objects.filter(kind="touchpoint_planned").exists()
    with pytest.raises(ValidationError):
        touchpoint_plan(account=northwind, contacts=[contact("c_1")], planned_on=date(2026, 11, 19),
                        type="one_on_one", by=cast["csm"])


# --- defect 7: the proposed backup has been deleted ------------------------------------------------------

def test_accepting_a_succession_whose_backup_was_deleted_is_a_clear_400(northwind, cast, client):
    contact_mark_departed(contact=contact("c_1"), on=AS_OF, by=cast["csm"])
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alert = Alert.objects.get(account=northwind, code="sponsor_departed")
    contact("c_2").delete()
    client.force_login(cast["csm"])
    response = client.post(f"/api/alerts/{alert.pk}/accept-succession/")
    assert response.status_code == 400
    assert "no backup sponsor was proposed for this departure (or it has since been removed)" in \
        response.json()["detail"]


# --- defect 8: a confirmed promotion gives the new title ----------------------------------------------------

def test_confirming_a_promotion_sets_the_title_its_headline_names(northwind, cast):
    change = OrgChange.objects.create(account=northwind, contact=contact("c_2"), kind="promotion",
                                      occurred_on=AS_OF, source="news", confidence=0.5, state="pending",
                                      headline="Marcus Holt named Executive Vice President")
    org_change_confirm(change=change, by=cast["csm"])
    assert contact("c_2").title == "Executive Vice President"
    [change_line] = contact_changes([contact("c_2").pk])[contact("c_2").pk]
    assert change_line.text == ("Title: VP Finance → Executive Vice President, by dana@vendor.example "
                                "(promotion confirmed)")


# --- the audit trail ---------------------------------------------------------------------------------------------

def test_every_sponsor_change_is_in_the_audit_trail_with_who_and_why(northwind, cast):
    marcus = contact("c_2")
    sponsor_assign_primary(contact=marcus, by=cast["admin"], replace_current=True)
    contact_mark_departed(contact=contact("c_1"), on=date(2026, 11, 21), source="webhook")
    history = contact_changes([marcus.pk, contact("c_1").pk])
    [promoted] = history[marcus.pk]
    assert (promoted.field, promoted.old, promoted.new) == ("sponsor", "Backup sponsor", "Primary sponsor")
    assert promoted.by == cast["admin"].email and promoted.reason == "named primary sponsor"
    priya = {(c.field, c.old, c.new, c.by) for c in history[contact("c_1").pk]}
    assert ("sponsor", "Primary sponsor", "Backup sponsor", cast["admin"].email) in priya
    assert ("status", "Active", "Departed", "a job-change webhook") in priya
    assert ("departed_on", "", "2026-11-21", "a job-change webhook") in priya
