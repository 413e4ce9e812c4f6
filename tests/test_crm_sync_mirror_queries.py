"""The CRM mirror's page store (``sponsors.crm.mirror.store_page``): one statement per page whatever the page
holds — a page of 10 records or of 400, with or without colleagues (``person``) whose change makes the
accounts naming them pending — and the pending marks it leaves are the right ones."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from sponsors.crm.connectors.base import Item
from sponsors.crm.mirror import store_page
from sponsors.models import CrmConnection, CrmPendingAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection():
    return CrmConnection.objects.create(name="mirror-queries", kind="hubspot", base_url="http://127.0.0.1:9")


def people(n, *, suffix=""):
    return [Item("person", f"p{i}", None, {"email": f"p{i}{suffix}@vendor.example", "name": f"P {i}"})
            for i in range(n)]


def accounts(n, *, people_per_account=2):
    items = []
    for i in range(n):
        refs = [f"p{(i + k) % 50}" for k in range(people_per_account)]
        items.append(Item("account", f"a{i}", f"a{i}", {
            "id": f"a{i}", "name": f"Account {i}", "tier": "smb", "owner": {"ref": refs[0]},
            "team": [{"ref": r, "role": "csm"} for r in refs[1:]]}))
    return items


def pending(connection) -> set:
    return set(CrmPendingAccount.objects.filter(connection=connection).values_list("account_key", flat=True))


@pytest.mark.parametrize("size", [10, 400])
def test_a_page_is_one_statement_whatever_its_size(connection, size):
    with CaptureQueriesContext(db) as accounts_page:
        store_page(connection.pk, accounts(size))
    with CaptureQueriesContext(db) as people_page:
        counts = store_page(connection.pk, people(50))
    with CaptureQueriesContext(db) as changed_people:
        changed = store_page(connection.pk, people(50, suffix=".new"))
    assert len(accounts_page) == len(people_page) == len(changed_people) == 1
    assert counts["created"] == 50 and changed["updated"] == 50


def test_a_changed_colleague_makes_the_accounts_naming_them_pending_and_no_other(connection):
    store_page(connection.pk, people(50))
    store_page(connection.pk, accounts(50))
    CrmPendingAccount.objects.filter(connection=connection).delete()

    assert store_page(connection.pk, people(50))["unchanged"] == 50          # nothing changed: nothing pending
    assert pending(connection) == set()

    renamed = Item("person", "p7", None, {"email": "p7@vendor.example", "name": "P Seven"})
    store_page(connection.pk, [renamed])
    assert pending(connection) == {"a6", "a7"}    # a6 has p7 in its team, a7 is owned by p7

    CrmPendingAccount.objects.filter(connection=connection).delete()
    unchanged, new_email = people(50)[3], Item("person", "p9", None, {"email": "nine@vendor.example", "name": "P 9"})
    store_page(connection.pk, [unchanged, new_email])
    assert pending(connection) == {"a8", "a9"}


def interactions(first, accounts_of):
    return [Item("interaction", f"i{first + n}", key, {"id": f"i{first + n}", "type": "email"})
            for n, key in enumerate(accounts_of)]


def test_a_run_marks_an_account_pending_once_and_only_after_the_page_commits(connection,
                                                                             django_capture_on_commit_callbacks):
    run_marks: set = set()
    with django_capture_on_commit_callbacks(execute=True):
        store_page(connection.pk, interactions(0, ["a1", "a2", None]), pending=run_marks)
    assert run_marks == {"a1", "a2"} == pending(connection)

    CrmPendingAccount.objects.filter(connection=connection, account_key="a1").delete()
    with CaptureQueriesContext(db) as page, django_capture_on_commit_callbacks(execute=True):
        store_page(connection.pk, interactions(10, ["a1", "a3"]), pending=run_marks)
    assert len(page) == 1
    assert pending(connection) == {"a2", "a3"}          # a1 is marked in this run already: not inserted again
    assert run_marks == {"a1", "a2", "a3"}

    with django_capture_on_commit_callbacks(execute=False):       # the page's transaction never commits
        store_page(connection.pk, interactions(20, ["a4"]), pending=run_marks)
    assert "a4" not in run_marks

    store_page(connection.pk, interactions(30, ["a1"]))            # outside a run: marked whatever came before
    assert "a1" in pending(connection)


def test_a_sync_of_many_batches_analyses_a_table_after_its_first_batch_and_at_the_end_if_it_grew_10_percent(
        django_capture_on_commit_callbacks):
    from sponsors.crm.upsert import analyze_on_commit, analyze_once
    from sponsors.models import Interaction

    many, few = {"created": 5000}, {"created": 10}
    with CaptureQueriesContext(db) as queries:
        with analyze_once():
            for counts in (many, many, few, many):           # four batches
                with django_capture_on_commit_callbacks(execute=True):
                    analyze_on_commit(Interaction, counts)
        outside = len([q for q in queries if q["sql"].startswith("ANALYZE")])
        with django_capture_on_commit_callbacks(execute=True):
            analyze_on_commit(Interaction, many)              # outside a sync run: after every commit
    analyses = [q["sql"] for q in queries if q["sql"].startswith("ANALYZE")]
    assert outside == 2 and analyses == ['ANALYZE "sponsors_interaction"'] * 3

    with CaptureQueriesContext(db) as queries:
        with analyze_once():
            for counts in ({"created": 20000}, {"created": 900}, {"created": 900}):   # grew by 9% after
                with django_capture_on_commit_callbacks(execute=True):
                    analyze_on_commit(Interaction, counts)
    assert len([q for q in queries if q["sql"].startswith("ANALYZE")]) == 1


def test_an_outbound_email_is_answered_by_the_first_later_inbound_email_from_one_of_its_contacts():
    from sponsors.crm.mirror import _link_replies

    def email(at, direction, *contacts, **extra):
        return {"type": "email", "direction": direction, "occurred_at": f"2026-11-0{at}T09:00:00Z",
                "contact_ids": list(contacts), **extra}

    sent_to_a_and_b, sent_to_c, answered = email(2, "outbound", "a", "b"), email(2, "outbound", "c"), \
        email(1, "outbound", "a", responded_at="2026-11-01T12:00:00Z")
    interactions = [email(1, "inbound", "b"), email(2, "inbound", "a"), sent_to_a_and_b, sent_to_c, answered,
                    email(6, "inbound", "a", "x"), email(4, "inbound", "b"), email(5, "inbound", "d"),
                    {**email(3, "inbound", "c"), "type": "call"}]
    _link_replies(interactions)
    assert sent_to_a_and_b["responded_at"] == "2026-11-04T09:00:00Z"   # b's, before a's on the 6th; not the 2nd
    assert sent_to_c["responded_at"] is None                            # c answered by a call, not an e-mail
    assert answered["responded_at"] == "2026-11-01T12:00:00Z"           # a reply the CRM logged is kept
