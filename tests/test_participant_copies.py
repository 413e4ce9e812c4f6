"""Each participant row's copies of its interaction's time, direction, type and reply time
(sponsors/participant_copies.py) equal the interaction's after every kind of write: ORM inserts, bulk and
many-to-many adds, the touchpoint service, the CRM sync's COPY (an import) and its later updates, an
interaction changed by save() or a queryset update, a participant moved to another interaction, and a copy
written wrong on purpose.  The activity aggregate reads only the copies, so a stale one would be a wrong score."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from accounts.models import Account
from sponsors.crm.demo import demo_snapshot
from sponsors.crm.snapshot import parse_snapshot
from sponsors.crm.sync import sync_accounts
from sponsors.crm.upsert import COPY_THRESHOLD
from sponsors.models import Contact, Interaction, InteractionParticipant
from sponsors.participant_copies import install

pytestmark = pytest.mark.django_db
WHEN = datetime(2026, 11, 2, 15, tzinfo=UTC)

MISMATCHES = """
    SELECT p.id, p.interaction_id FROM sponsors_interactionparticipant p
    JOIN sponsors_interaction i ON i.id = p.interaction_id
    WHERE (p.interaction_occurred_at, p.interaction_direction, p.interaction_type, p.interaction_responded_at)
          IS DISTINCT FROM (i.occurred_at, i.direction, i.type, i.responded_at)"""


def mismatches() -> list:
    with connection.cursor() as cursor:
        cursor.execute(MISMATCHES)
        return cursor.fetchall()


def copies(participant_id) -> tuple:
    return InteractionParticipant.objects.filter(pk=participant_id).values_list(
        "interaction_occurred_at", "interaction_direction", "interaction_type", "interaction_responded_at").get()


@pytest.fixture
def book():
    account = Account.objects.create(source="snapshot", external_id="acc_1", name="Northwind", tier="enterprise")
    ana = Contact.objects.create(account=account, external_id="c1", name="Ana", title="CFO")
    ben = Contact.objects.create(account=account, external_id="c2", name="Ben", title="CIO")
    meeting = Interaction.objects.create(account=account, type="one_on_one", occurred_at=WHEN, direction="meeting")
    email = Interaction.objects.create(account=account, type="email", occurred_at=WHEN - timedelta(days=3),
                                       direction="outbound", responded_at=WHEN - timedelta(days=2))
    return account, ana, ben, meeting, email


def test_orm_inserts_get_the_copies_from_their_interaction(book):
    _account, ana, ben, meeting, email = book
    one = InteractionParticipant.objects.create(interaction=meeting, contact=ana)
    InteractionParticipant.objects.bulk_create([InteractionParticipant(interaction=email, contact=ana)])
    email.participants.add(ben)
    assert copies(one.pk) == (WHEN, "meeting", "one_on_one", None)
    assert InteractionParticipant.objects.get(interaction=email, contact=ben).interaction_responded_at == \
        WHEN - timedelta(days=2)
    assert InteractionParticipant.objects.count() == 3
    assert mismatches() == []


def test_a_changed_interaction_changes_its_participants_copies(book):
    _account, ana, ben, meeting, email = book
    meeting.participants.add(ana, ben)
    email.participants.add(ana)
    meeting.occurred_at, meeting.type = WHEN + timedelta(hours=5), "exec_dinner"
    meeting.save()
    Interaction.objects.filter(pk=email.pk).update(responded_at=None, direction="inbound")
    assert mismatches() == []
    link = InteractionParticipant.objects.get(interaction=email, contact=ana)
    assert copies(link.pk) == (WHEN - timedelta(days=3), "inbound", "email", None)


def test_a_copy_written_wrong_or_a_moved_participant_is_read_again_from_the_interaction(book):
    _account, ana, _ben, meeting, email = book
    link = InteractionParticipant.objects.create(interaction=meeting, contact=ana)
    InteractionParticipant.objects.filter(pk=link.pk).update(interaction_direction="outbound",
                                                             interaction_occurred_at=WHEN - timedelta(days=400))
    assert copies(link.pk) == (WHEN, "meeting", "one_on_one", None)
    link.interaction = email
    link.save()                              # the instance still holds the meeting's copies: they are not kept
    assert copies(link.pk) == (WHEN - timedelta(days=3), "outbound", "email", WHEN - timedelta(days=2))
    assert mismatches() == []


def test_the_sync_copy_path_and_a_later_sync_keep_the_copies_right():
    doc = demo_snapshot(accounts=20, as_of=date(2026, 11, 20), seed=5, interactions_scale=2)
    assert sum(len(i["contact_ids"]) for a in doc["accounts"] for i in a["interactions"]) > COPY_THRESHOLD
    sync_accounts(parse_snapshot(doc))                     # every interaction new: copies written by the COPY
    stored = InteractionParticipant.objects.count()
    assert stored > COPY_THRESHOLD and mismatches() == []
    with connection.cursor() as cursor:                    # and none was left for the trigger to fill
        cursor.execute("SELECT count(*) FROM sponsors_interactionparticipant WHERE interaction_occurred_at IS NULL")
        assert cursor.fetchone()[0] == 0

    later = copy.deepcopy(doc)
    first = later["accounts"][0]
    moved = first["interactions"][0]
    moved["occurred_at"] = "2026-11-19T09:30:00+00:00"
    spare = next(c["id"] for c in first["contacts"] if c["id"] not in moved["contact_ids"])
    moved["contact_ids"].append(spare)                     # a new participant of a stored interaction
    sync_accounts(parse_snapshot(later))
    assert InteractionParticipant.objects.count() == stored + 1
    assert mismatches() == []
    link = InteractionParticipant.objects.get(interaction__external_id=moved["id"], contact__external_id=spare,
                                              interaction__account__external_id=first["account"]["id"])
    assert copies(link.pk)[0] == datetime(2026, 11, 19, 9, 30, tzinfo=UTC)


def test_installing_again_changes_nothing(book):
    _account, ana, _ben, meeting, _email = book
    assert install(connection) is True
    InteractionParticipant.objects.create(interaction=meeting, contact=ana)
    assert mismatches() == []
