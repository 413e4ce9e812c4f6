"""Who owns which field across CRM syncs (issue 9): decisions made in the tracker survive an unchanged
export; a value the CRM changed wins, is audited and the CSM is told.  Plus new executives and
dismissed changes on the snapshot path."""

from __future__ import annotations

import copy

import pytest

from sponsors.crm.ownership import Override, Stored, resolve
from sponsors.crm.snapshot import SnapshotError, parse_snapshot
from sponsors.models import Contact, OrgChange, OutboundEmail
from sponsors.orgchanges.review import org_change_dismiss
from sponsors.services.sponsors import sponsor_assign_backup, sponsor_clear

from .guardrails_support import import_document

# --- the rule, pure ------------------------------------------------------------------------------------------

VALUES = {"sponsor": "backup", "status": "active", "title": "VP Finance"}


def test_an_unchanged_crm_value_keeps_the_decision_made_in_the_tracker():
    stored = Stored(pk=1, values={**VALUES, "sponsor": ""}, crm_values=dict(VALUES))   # a person removed the role
    out = resolve(dict(VALUES), stored)
    assert out.values["sponsor"] == "" and out.crm_changed == [] and out.overrides == []


def test_a_value_the_crm_changed_wins_and_replacing_a_tracker_decision_is_an_override():
    stored = Stored(pk=1, values={**VALUES, "sponsor": ""}, crm_values=dict(VALUES))
    out = resolve({**VALUES, "sponsor": "primary"}, stored)
    assert out.values["sponsor"] == "primary" and out.crm_changed == ["sponsor"]
    assert out.overrides == [Override(1, "sponsor", "", "backup", "primary")]
    assert out.crm_values["sponsor"] == "primary"


def test_without_last_values_the_stored_ones_count_as_the_crms():
    stored = Stored(pk=1, values=dict(VALUES), crm_values={})
    assert resolve(dict(VALUES), stored).values == VALUES
    changed = resolve({**VALUES, "title": "CFO"}, stored)
    assert changed.values["title"] == "CFO" and changed.overrides == []


# --- the three imports -------------------------------------------------------------------------------------

def contact(ref) -> Contact:
    return Contact.objects.get(external_id=ref)


def with_ines(document):
    """The document with a fourth contact, Ines Park (VP Sales), an executive without a sponsor role."""
    doc = copy.deepcopy(document)
    doc["accounts"][0]["contacts"].append({"id": "c_4", "name": "Ines Park", "title": "VP Sales", "roles": ["vp"]})
    return doc


@pytest.mark.django_db
def test_an_unchanged_export_keeps_a_backup_named_in_the_app_and_updates_nothing(cast, document):
    doc = with_ines(document)
    import_document(doc)
    sponsor_assign_backup(contact=contact("c_4"), by=cast["admin"])          # an admin's decision in the app

    summary = import_document(doc)                                           # the same export again

    assert contact("c_4").sponsor == "backup"
    assert summary.counts["contacts"].get("updated", 0) == 0 and summary.counts["contacts"]["unchanged"] == 4
    assert not summary.changed


@pytest.mark.django_db
def test_an_export_after_an_app_change_with_the_crm_unchanged_keeps_the_app_decision(cast, document):
    import_document(document)
    sponsor_clear(contact=contact("c_2"), by=cast["admin"])                  # Marcus is no longer backup here
    import_document(document)                                                # the CRM still says backup
    assert contact("c_2").sponsor == ""
    assert not OutboundEmail.objects.filter(kind="crm_override").exists()


@pytest.mark.django_db
def test_when_the_crm_changes_the_sponsors_the_crm_wins_is_audited_and_the_csm_is_told(cast, document):
    import_document(document)
    sponsor_clear(contact=contact("c_2"), by=cast["admin"])                  # an app decision on Marcus
    changed = copy.deepcopy(document)
    people = {c["id"]: c for c in changed["accounts"][0]["contacts"]}
    people["c_1"]["sponsor"], people["c_2"]["sponsor"] = "backup", "primary"  # the CRM swaps the sponsors

    import_document(changed)

    assert (contact("c_2").sponsor, contact("c_1").sponsor) == ("primary", "backup")
    last = contact("c_2").history.order_by("-history_date", "-history_id").first()
    assert (last.sponsor, last.history_source, last.history_change_reason) == ("primary", "crm", "changed in the CRM")
    [mail] = OutboundEmail.objects.filter(kind="crm_override")
    [to] = mail.to                                                           # the account's CSM, only
    assert to.endswith("<dana@vendor.example>")
    assert "Marcus Holt: sponsor role none → primary (changed in the CRM)" in mail.body_text
    import_document(changed)                                                 # the same export again: no news
    assert OutboundEmail.objects.filter(kind="crm_override").count() == 1


# --- new executives, dismissed changes, refusals ---------------------------------------------------------------

@pytest.mark.django_db
def test_an_executive_who_first_appears_in_a_later_import_is_a_new_executive_change(cast, document):
    import_document(document)
    assert not OrgChange.objects.filter(kind="new_executive").exists()       # a first import announces nobody
    import_document(with_ines(document))
    [change] = OrgChange.objects.filter(kind="new_executive")
    assert (change.contact, change.source, change.state) == (contact("c_4"), "crm", "confirmed")
    assert change.headline == "Ines Park (VP Sales) is new in the CRM"
    import_document(with_ines(document))
    assert OrgChange.objects.filter(kind="new_executive").count() == 1


@pytest.mark.django_db
def test_a_dismissed_change_repeated_by_a_later_export_arrives_dismissed(cast, document):
    import_document(document)
    first = OrgChange.objects.get(external_id="oc_1")                       # "Priya Natarajan promoted"
    org_change_dismiss(change=first, by=cast["csm"])
    again = copy.deepcopy(document)
    again["accounts"][0]["org_changes"][0]["id"] = "oc_1_resent"            # the CRM sends it again, new id
    import_document(again)
    assert OrgChange.objects.get(external_id="oc_1_resent").state == OrgChange.State.DISMISSED


@pytest.mark.django_db
def test_a_snapshot_naming_a_non_executive_sponsor_is_refused_naming_the_path_and_writes_nothing(document):
    document["accounts"][0]["contacts"][2]["sponsor"] = "backup"            # Lena Fischer, director
    with pytest.raises(SnapshotError) as refused:
        parse_snapshot(document)
    [problem] = refused.value.problems
    assert problem.path == "accounts[0].contacts[2].sponsor"
    assert "Lena Fischer is not an executive (roles: director)" in problem.message
    assert not Contact.objects.exists()
