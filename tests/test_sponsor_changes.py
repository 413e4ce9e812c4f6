"""Sponsor and contact changes go through one service with the same rules on every path, and every change
is in the audit trail (issue 9).  Each test names the defect it pins."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from sponsors.audit import contact_changes
from sponsors.crm.snapshot import SnapshotError
from sponsors.models import Alert, Contact, OrgChange, OutboundEmail, PlannedTouchpoint
from sponsors.orgchanges.review import org_change_confirm
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.sponsors import (
    SponsorError,
    contact_create,
    contact_mark_departed,
    contact_update,
    set_sponsor_role,
    sponsor_accept_succession,
    sponsor_assign_backup,
    sponsor_assign_primary,
    sponsor_clear,
)
from sponsors.services.touchpoints import touchpoint_plan

from .conftest import BASE_DOCUMENT
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


# --- every path refuses the same forbidden changes the same way -------------------------------------------

HTMX = {"HX-Request": "true"}

# (change, contact ref, role, replace, the refusal's words); Northwind: c_1 Priya primary, c_2 Marcus backup (VP),
# c_3 Lena Fischer director.
FORBIDDEN = {
    "a non-executive as backup": ("c_3", "backup", False, "Lena Fischer is not an executive"),
    "a second primary": ("c_2", "primary", False, "Priya Natarajan is already the primary sponsor"),
    "a departed person as primary": ("departed", "primary", True, "a departed person cannot be the primary sponsor"),
}


def _service(cast, client, acc, contact, role, replace):
    try:
        set_sponsor_role(contact=contact, role=role, by=cast["admin"], replace_current=replace)
    except SponsorError as exc:
        return str(exc)
    return ""


def _page(cast, client, acc, contact, role, replace):
    client.force_login(cast["admin"])
    response = client.post(f"/accounts/{acc.pk}/contacts/{contact.pk}/sponsor/",
                           {"role": role, "replace": "1" if replace else ""}, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode().replace("&#x27;", "'")


def _api(cast, client, acc, contact, role, replace):
    client.force_login(cast["admin"])
    response = client.post(f"/api/contacts/{contact.pk}/sponsor/", {"role": role, "replace_current": replace},
                           content_type="application/json")
    assert response.status_code == 400
    return response.json()["sponsor"][0]


def _admin_client(cast, client):
    cast["admin"].is_staff = cast["admin"].is_superuser = True
    cast["admin"].save()
    client.force_login(cast["admin"])
    return client


def _admin_form(cast, client, acc, contact, role, replace):
    from .test_admin_writes import contact_form

    response = _admin_client(cast, client).post(f"/admin/sponsors/contact/{contact.pk}/change/",
                                                contact_form(contact, sponsor=role))
    assert response.status_code == 200                                   # the form again, with the error
    return response.content.decode().replace("&#x27;", "'")


def _admin_action(cast, client, acc, contact, role, replace):
    action = {"primary": "make_primary_sponsor", "backup": "make_backup_sponsor"}[role]
    response = _admin_client(cast, client).post("/admin/sponsors/contact/", {
        "action": action, "_selected_action": [contact.pk]}, follow=True)
    return response.content.decode().replace("&#x27;", "'")


def _import(cast, client, acc, contact, role, replace):
    doc = copy.deepcopy(BASE_DOCUMENT)
    for entry in doc["accounts"][0]["contacts"]:
        if entry["id"] == contact.external_id:
            entry["sponsor"] = role
    with pytest.raises(SnapshotError) as refused:
        import_document(doc)
    return str(refused.value)


PATHS = {"service": _service, "page": _page, "api": _api, "admin form": _admin_form,
         "admin action": _admin_action, "import": _import}
# Two pairs are not forbidden changes on that path, so they are not run: a CRM export marking a sponsor
# departed is how the tracker learns a sponsor left (the escalation needs the role they held), and the
# admin's "Make primary" action exists to replace the current primary (the form refuses a second one).
NOT_FORBIDDEN = {("a departed person as primary", "import"), ("a second primary", "admin action")}
CASES = [(change, path) for change in FORBIDDEN for path in PATHS if (change, path) not in NOT_FORBIDDEN]


@pytest.mark.parametrize(("change", "path"), CASES, ids=[f"{c}-via-{p}" for c, p in CASES])
def test_every_path_refuses_the_same_forbidden_change_and_writes_nothing(northwind, cast, client, path, change):
    ref, role, replace, words = FORBIDDEN[change]
    path = PATHS[path]
    if ref == "departed":
        gone = contact_create(account=northwind, name="Omar Gone", title="CTO", roles=["c_level"], by=cast["admin"])
        contact_mark_departed(contact=gone, on=AS_OF, by=cast["admin"])
        ref = gone.pk
    target = contact(ref) if isinstance(ref, str) else Contact.objects.get(pk=ref)
    before = roles_of(northwind), Contact.history.count()
    assert words in path(cast, client, northwind, target, role, replace)
    assert (roles_of(northwind), Contact.history.count()) == before


def test_only_admins_change_sponsor_roles_and_other_teams_see_nothing(northwind, cast, client):
    marcus = contact("c_2")
    client.force_login(cast["csm"])
    assert client.post(f"/accounts/{northwind.pk}/contacts/{marcus.pk}/sponsor/", {"role": "none"}).status_code == 403
    assert client.post(f"/api/contacts/{marcus.pk}/sponsor/", {"role": "none"},
                       content_type="application/json").status_code == 403
    client.force_login(cast["outsider"])
    assert client.post(f"/accounts/{northwind.pk}/contacts/{marcus.pk}/sponsor/", {"role": "none"}).status_code == 404
    assert client.post(f"/api/contacts/{marcus.pk}/sponsor/", {"role": "none"},
                       content_type="application/json").status_code == 404
    assert contact("c_2").sponsor == "backup"


def test_an_admin_marks_a_sponsor_departed_on_the_page_and_sees_the_escalation_and_the_history(northwind, cast,
                                                                                                client):
    client.force_login(cast["admin"])
    marcus = contact("c_2")
    html = client.post(f"/accounts/{northwind.pk}/contacts/{marcus.pk}/departed/", headers=HTMX).content.decode()
    assert "Marcus Holt is marked departed." in html
    assert "Status: Active → Departed, by ada@vendor.example (marked departed on the account page)" in html
    assert 'aria-labelledby="alerts-panel-title" hx-swap-oob="true"' in html     # the alerts panel, out of band
    assert "Sponsor departed" in html                                       # escalated at once
    page = client.get(f"/accounts/{northwind.pk}/").content.decode()
    assert "Status: Active → Departed" in page


def test_a_sponsor_action_needs_the_csrf_token(northwind, cast):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast["admin"])
    response = strict.post(f"/accounts/{northwind.pk}/contacts/{contact('c_2').pk}/sponsor/", {"role": "none"})
    assert response.status_code == 403
    assert contact("c_2").sponsor == "backup"


def test_a_primary_whose_departure_is_confirmed_before_the_crm_knows_is_not_demoted_to_backup(northwind, cast):
    """The demo's shape: LinkedIn reported the departure (confirmed), the CRM still says active."""
    OrgChange.objects.create(account=northwind, contact=contact("c_1"), kind="departure", occurred_on=AS_OF,
                             source="linkedin", confidence=0.92, headline="Priya Natarajan joined Contoso")
    with time_machine.travel(datetime(2026, 11, 21, 9, tzinfo=UTC)):
        evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
        alert = Alert.objects.get(account=northwind, code="sponsor_departed")
        sponsor_accept_succession(alert=alert, by=cast["admin"])
        evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
        assert (contact("c_2").sponsor, contact("c_1").sponsor) == ("primary", "")
        assert not Alert.objects.filter(account=northwind, code="sponsor_departed").exclude(status="resolved")
        with pytest.raises(SponsorError, match="Priya Natarajan has left Northwind Health"):
            sponsor_assign_backup(contact=contact("c_1"), by=cast["admin"])


@pytest.mark.parametrize("successor", ["the backup, accepted", "another executive, made primary"])
@time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=True)
def test_a_departure_handled_as_a_sponsors_is_not_raised_again_as_an_org_change_once_a_successor_is_named(
        northwind, cast, successor):
    """Seen in the demo: after the successor was named, the departed primary had no role any more, so the same
    departure came back as a new High "Organizational change" alert — one false alarm per handled departure."""
    change = OrgChange.objects.create(account=northwind, contact=contact("c_1"), kind="departure", occurred_on=AS_OF,
                                      source="linkedin", confidence=0.92, headline="Priya Natarajan joined Contoso")
    executive = contact_create(account=northwind, name="Omar Sayed", title="Chief Financial Officer",
                               roles=["c_level"], by=cast["admin"])
    with time_machine.travel(datetime(2026, 11, 21, 9, tzinfo=UTC)):
        evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
        alert = Alert.objects.get(account=northwind, code="sponsor_departed")
        assert alert.org_change_id == change.pk
        if successor.startswith("the backup"):
            sponsor_accept_succession(alert=alert, by=cast["admin"])
        else:
            sponsor_assign_primary(contact=executive, by=cast["admin"], replace_current=True)
        evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    assert contact("c_1").sponsor == "" and Alert.objects.get(pk=alert.pk).status == Alert.Status.RESOLVED
    assert not Alert.objects.filter(account=northwind, code="org_change", org_change=change)


def test_a_departure_of_an_executive_who_never_was_a_sponsor_is_still_an_org_change(northwind, cast):
    executive = contact_create(account=northwind, name="Omar Sayed", title="Chief Financial Officer",
                               roles=["c_level"], by=cast["admin"])
    change = OrgChange.objects.create(account=northwind, contact=executive, kind="departure", occurred_on=AS_OF,
                                      source="linkedin", confidence=0.95, headline="Omar Sayed left")
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    assert Alert.objects.get(account=northwind, code="org_change", org_change=change).severity == "high"
    assert not Alert.objects.filter(account=northwind, code="sponsor_departed")


def test_accepting_a_succession_on_the_page_refreshes_the_sponsors_and_the_report_in_place(northwind, cast,
                                                                                            client):
    contact_mark_departed(contact=contact("c_1"), on=AS_OF, by=cast["csm"])
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alert = Alert.objects.get(account=northwind, code="sponsor_departed")
    client.force_login(cast["admin"])
    html = client.post(f"/accounts/{northwind.pk}/alerts/{alert.pk}/accept-succession/", headers=HTMX).content.decode()
    assert "Marcus Holt is now the primary sponsor." in html
    # the executive cards and the header are swapped in too: no stale sponsor map on the page
    assert '<section class="panel" id="executives" aria-labelledby="executives-title" hx-swap-oob="true">' in html
    assert 'id="account-header" aria-labelledby="account-title" hx-swap-oob="true"' in html
    marcus = contact("c_2").pk
    card = re.search(rf'<li class="exec-card[^"]*" data-contact="{marcus}".*?\n    </li>', html, re.S).group(0)
    assert "Primary sponsor</span>" in card
    assert 'aria-labelledby="sponsors-panel-title" hx-swap-oob="true"' in html
