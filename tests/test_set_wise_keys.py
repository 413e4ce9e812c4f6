"""The foreign keys checked set-wise (sponsors/set_wise_keys.py) hold exactly as PostgreSQL's own would: a row
naming a missing parent is refused whatever writes it (ORM, bulk, COPY, raw SQL, a key changed), a parent still
referenced cannot be deleted, re-keyed or truncated, and a parent deleted concurrently with a new child's insert
never leaves the child dangling, whichever commits first."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import psycopg
import pytest
from django.db import IntegrityError, connection, models, transaction

from accounts.models import Account
from sponsors.crm.upsert import copy_integers
from sponsors.models import Contact, CrmRecord, Interaction, InteractionParticipant, ScoreSnapshot
from sponsors.services.scores import _insert
from sponsors.set_wise_keys import install, set_wise_keys

WHEN = datetime(2026, 11, 2, 15, tzinfo=UTC)
MISSING = 987_654_321


def refused(write, column):
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        write()
    assert "foreign key" in str(refusal.value) and column in str(refusal.value)


@pytest.fixture
def book(db):
    account = Account.objects.create(source="snapshot", external_id="acc_1", name="Northwind", tier="enterprise")
    contact = Contact.objects.create(account=account, external_id="c1", name="Ana", title="CFO")
    interaction = Interaction.objects.create(account=account, type="one_on_one", occurred_at=WHEN,
                                             direction="meeting")
    InteractionParticipant.objects.create(interaction=interaction, contact=contact)
    return account, contact, interaction


def _installed_triggers() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "WHERE t.tgname LIKE 'swk%%' AND t.tgenabled <> 'D'")
        return set(cursor.fetchall())


@pytest.mark.django_db
def test_every_key_the_database_does_not_constrain_is_checked_set_wise_or_dangles_by_design():
    wanted = {(table, name) for key in set_wise_keys() for (table, name) in key.triggers()}
    assert wanted <= _installed_triggers()                  # migrate installed every one
    assert install(connection) == sorted(name for _, name in wanted)          # and installing again changes nothing
    checked = {(key.child, key.column) for key in set_wise_keys()}
    assert {("sponsors_interaction", "account_id"), ("sponsors_interactionparticipant", "interaction_id"),
            ("sponsors_interactionparticipant", "contact_id"), ("sponsors_contact", "account_id"),
            ("sponsors_scoresnapshot", "contact_id"), ("sponsors_crmrecord", "connection_id")} <= checked
    from django.apps import apps  # noqa: PLC0415

    for model in apps.get_models():
        for field in model._meta.local_fields:
            if isinstance(field, models.ForeignKey) and not field.db_constraint:
                dangles = field.remote_field.on_delete is models.DO_NOTHING
                assert dangles or (model._meta.db_table, field.column) in checked, (model, field.name)
    with connection.cursor() as cursor:      # and no built-in constraint is left on them (checked twice for nothing)
        cursor.execute("SELECT conrelid::regclass::text, a.attname FROM pg_constraint c JOIN pg_attribute a "
                       "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] WHERE c.contype = 'f'")
        assert not checked & set(cursor.fetchall())
        # a parent's delete looks its children up by the key: some index of the child leads with it
        cursor.execute("SELECT i.indrelid::regclass::text, a.attname FROM pg_index i JOIN pg_attribute a "
                       "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]")
        assert checked <= set(cursor.fetchall())


def test_a_row_naming_a_missing_parent_is_refused_whatever_writes_it(book):
    account, contact, interaction = book
    refused(lambda: Interaction.objects.create(account_id=MISSING, type="call", occurred_at=WHEN,
                                               direction="outbound"), "account_id")
    refused(lambda: InteractionParticipant.objects.create(interaction=interaction, contact_id=MISSING), "contact_id")
    refused(lambda: ScoreSnapshot.objects.create(account=account, contact_id=MISSING, as_of=date(2026, 11, 2),
                                                 score=50, level="Engaged", risk="Low"), "contact_id")
    refused(lambda: Contact.objects.create(account_id=MISSING, external_id="c9", name="X"), "account_id")
    refused(lambda: CrmRecord.objects.create(connection_id=MISSING, kind="contact", external_id="1"), "connection_id")
    # one bad row among many: the whole statement is refused, nothing of it written
    other = Contact.objects.create(account=account, external_id="c2", name="Ben")
    calls = [Interaction(account=account, type="call", occurred_at=WHEN, direction="outbound") for _ in range(3)]
    Interaction.objects.bulk_create(calls)
    links = [InteractionParticipant(interaction=call, contact=other) for call in calls]
    links.append(InteractionParticipant(interaction_id=MISSING, contact=other))
    refused(lambda: InteractionParticipant.objects.bulk_create(links), "interaction_id")
    assert not InteractionParticipant.objects.filter(contact=other).exists()

    # the import's and the sync's COPY (refused as an IntegrityError, as any other write)
    refused(lambda: copy_integers(InteractionParticipant, ["interaction_id", "contact_id"],
                                  [(calls[0].pk, other.pk), (calls[1].pk, MISSING)]), "contact_id")
    assert not InteractionParticipant.objects.filter(contact=other).exists()
    # the nightly recompute's COPY of snapshots (a contact deleted while the portfolio was being scored)
    refused(lambda: _insert([(account.pk, contact.pk, 40, "Passive", "Medium", {}),
                             (account.pk, MISSING, 40, "Passive", "Medium", {})],
                            as_of=date(2026, 11, 2), now=WHEN, stream=True), "contact_id")
    assert not ScoreSnapshot.objects.exists()


def test_a_changed_key_must_name_a_parent_and_an_unchanged_one_costs_no_check(book):
    account, contact, interaction = book
    refused(lambda: Interaction.objects.filter(pk=interaction.pk).update(account_id=MISSING), "account_id")
    moved_to = Account.objects.create(source="snapshot", external_id="acc_2", name="Contoso", tier="smb")
    Interaction.objects.filter(pk=interaction.pk).update(account=moved_to)
    assert Interaction.objects.get(pk=interaction.pk).account_id == moved_to.pk
    Interaction.objects.filter(pk=interaction.pk).update(outcome="Agreed on the QBR date")   # key not set
    refused(lambda: InteractionParticipant.objects.filter(interaction=interaction).update(contact_id=MISSING),
            "contact_id")


def test_a_parent_still_referenced_cannot_be_deleted_rekeyed_or_truncated(book):
    account, contact, interaction = book

    def raw(sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    refused(lambda: raw("DELETE FROM sponsors_contact WHERE id = %s", [contact.pk]), "contact_id")
    refused(lambda: raw("DELETE FROM sponsors_interaction WHERE id = %s", [interaction.pk]), "interaction_id")
    refused(lambda: raw("UPDATE sponsors_contact SET id = %s WHERE id = %s", [MISSING, contact.pk]), "contact_id")
    refused(lambda: raw("TRUNCATE sponsors_interaction CASCADE"), "interaction_id")
    assert InteractionParticipant.objects.filter(interaction=interaction, contact=contact).exists()
    # Django's cascade deletes the children first: the account goes, and nothing is left pointing at it
    account.delete()
    assert not Interaction.objects.filter(pk=interaction.pk).exists()
    assert not InteractionParticipant.objects.exists() and not Contact.objects.exists()
    # an unreferenced parent goes as before
    lone = Account.objects.create(source="snapshot", external_id="acc_3", name="Fabrikam", tier="smb")
    raw("DELETE FROM accounts_account WHERE id = %s", [lone.pk])


# -- concurrency: two real sessions on the test database ---------------------------------------------------------

def _session():
    settings = connection.settings_dict
    return psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
                           port=settings["PORT"] or None, password=settings["PASSWORD"] or None)


def _run_blocked(session, sql, params):
    """Run ``sql`` in ``session`` on a thread; wait until it is blocked on a lock; return (thread, outcome)."""
    outcome = {}

    def run():
        try:
            session.execute(sql, params)
            session.commit()
            outcome["ok"] = True
        except psycopg.Error as error:
            session.rollback()
            outcome["error"] = error
    thread = threading.Thread(target=run)
    thread.start()
    pid = session.info.backend_pid
    deadline = time.monotonic() + 10
    with _session() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
            if waiting and waiting[0] == "Lock":
                break
            time.sleep(0.02)
        else:
            pytest.fail("the second session never waited for the first one's lock")
    return thread, outcome


@pytest.fixture
def committed_parents(transactional_db):
    """A contact and an interaction, committed (the two sessions below see them)."""
    account = Account.objects.create(source="snapshot", external_id="acc_1", name="Northwind", tier="enterprise")
    contact = Contact.objects.create(account=account, external_id="c1", name="Ana")
    return contact, Interaction.objects.create(account=account, type="call", occurred_at=WHEN, direction="outbound")


def test_a_child_inserted_while_its_parent_is_deleted_is_refused_once_the_delete_commits(committed_parents):
    contact, interaction = committed_parents
    with _session() as deleting, _session() as inserting:
        deleting.execute("DELETE FROM sponsors_contact WHERE id = %s", [contact.pk])        # not committed yet
        thread, outcome = _run_blocked(
            inserting, "INSERT INTO sponsors_interactionparticipant (interaction_id, contact_id) VALUES (%s, %s)",
            [interaction.pk, contact.pk])
        deleting.commit()
        thread.join(10)
    assert isinstance(outcome.get("error"), psycopg.errors.ForeignKeyViolation), outcome
    assert not InteractionParticipant.objects.exists()


def test_a_parent_deleted_while_a_child_is_inserted_is_refused_once_the_insert_commits(committed_parents):
    contact, interaction = committed_parents
    with _session() as inserting, _session() as deleting:
        inserting.execute("INSERT INTO sponsors_interactionparticipant (interaction_id, contact_id) VALUES (%s, %s)",
                          [interaction.pk, contact.pk])                                     # not committed yet
        thread, outcome = _run_blocked(deleting, "DELETE FROM sponsors_contact WHERE id = %s", [contact.pk])
        inserting.commit()
        thread.join(10)
    assert isinstance(outcome.get("error"), psycopg.errors.ForeignKeyViolation), outcome
    assert InteractionParticipant.objects.filter(contact=contact).exists()
    assert Contact.objects.filter(pk=contact.pk).exists()
