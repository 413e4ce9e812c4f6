"""Changes the CRM sync sees on stored contacts become org changes: status → departed a departure,
a new title a promotion or role change, a reworded title a dismissed change that never alerts."""

import copy
from datetime import date

import pytest

from sponsors.models import Alert, Contact, OrgChange
from sponsors.orgchanges.review import org_change_dismiss
from sponsors.services.alerts import evaluate_accounts

from .guardrails_support import account, contacts_of, import_document

pytestmark = pytest.mark.django_db
LATER = date(2026, 11, 25)


def later(document, **changes):
    """The same export five days later, with contact fields changed: later(doc, c_2={"title": "CFO"})."""
    doc = copy.deepcopy(document)
    doc["exported_at"] = f"{LATER.isoformat()}T09:00:00Z"
    people = contacts_of(doc)
    for ref, fields in changes.items():
        people[ref].update(fields)
    return doc


def crm_changes():
    return {(c.contact.external_id, c.kind): c for c in OrgChange.objects.filter(source="crm")}


def test_title_and_status_changes_become_org_changes(document):
    import_document(document)
    assert not OrgChange.objects.filter(source="crm").exists()      # a first import is no change

    summary = import_document(later(document, c_1={"title": "COO"}, c_2={"title": "CFO"},
                                    c_3={"status": "departed"}))

    found = crm_changes()
    assert set(found) == {("c_1", "role_change"), ("c_2", "promotion"), ("c_3", "departure")}
    assert dict(summary.counts["org changes from contact changes"]) == {"created": 3}
    reworded, promoted, left = found[("c_1", "role_change")], found[("c_2", "promotion")], found[("c_3", "departure")]
    assert (reworded.state, reworded.old_value, reworded.new_value) == ("dismissed", "Chief Operating Officer", "COO")
    assert reworded.evidence["trivial_rewording"] is True
    assert (promoted.state, promoted.old_value, promoted.new_value, promoted.confidence) == (
        "confirmed", "VP Finance", "CFO", 1.0)
    assert all(c.occurred_on == LATER for c in found.values())
    assert (left.state, left.old_value, left.new_value) == ("confirmed", "active", "departed")
    assert Contact.objects.get(external_id="c_3").departed_on == LATER


def test_a_reworded_title_does_not_alert_but_a_promotion_does(document):
    import_document(document)
    import_document(later(document, c_1={"title": "COO"}, c_2={"title": "CFO"}))
    found = crm_changes()

    evaluate_accounts(account_ids=[account().pk], as_of=LATER)

    subjects = set(Alert.objects.filter(code="org_change").values_list("subject", flat=True))
    assert f"org_change:{found[('c_2', 'promotion')].pk}" in subjects
    assert f"org_change:{found[('c_1', 'role_change')].pk}" not in subjects


def test_a_backup_sponsor_marked_departed_in_the_crm_escalates(document):
    import_document(document)
    import_document(later(document, c_2={"status": "departed"}))
    marcus = Contact.objects.get(external_id="c_2")

    evaluate_accounts(account_ids=[account().pk], as_of=LATER)

    alert = Alert.objects.get(code="sponsor_departed", status="open")
    assert alert.contact == marcus and alert.details["sponsor_role"] == "backup"
    assert crm_changes()[("c_2", "departure")].state == "confirmed"
    assert marcus.departed_on == LATER


def test_importing_the_same_change_again_records_nothing_new(document):
    import_document(document)
    second = later(document, c_2={"title": "CFO"})
    import_document(second)
    count = OrgChange.objects.count()

    summary = import_document(second)

    assert OrgChange.objects.count() == count
    assert not summary.counts["org changes from contact changes"].get("created")


def test_a_dismissed_change_stays_dismissed_when_the_crm_repeats_it(document):
    import_document(document)
    import_document(later(document, c_2={"title": "Head of Finance"}))
    first = crm_changes()[("c_2", "role_change")]
    assert first.state == "confirmed"
    org_change_dismiss(change=first, by=None)

    import_document(later(document, c_2={"title": "VP Finance"}))       # back ...
    import_document(later(document, c_2={"title": "head of finance"}))  # ... and the same change again

    repeats = OrgChange.objects.filter(source="crm", contact__external_id="c_2", new_value="head of finance")
    assert [c.state for c in repeats] == ["dismissed"]
    back = OrgChange.objects.get(source="crm", contact__external_id="c_2", new_value="VP Finance")
    assert back.state == "confirmed"                                      # a different change: not suppressed
