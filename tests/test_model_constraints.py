"""What must always hold is enforced by the database itself, not only by forms and the importer."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Account, Goal, StrategicAlignment, User, ValueMetric
from sponsors.models import Alert, Contact, Interaction, OrgChange, ScoreSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return Account.objects.create(source="snapshot", external_id="acc_1", name="Northwind", tier="enterprise")


def rejected(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_one_primary_sponsor_per_account(account):
    Contact.objects.create(account=account, external_id="c1", name="A", sponsor="primary")
    rejected(lambda: Contact.objects.create(account=account, external_id="c2", name="B", sponsor="primary"))
    other = Account.objects.create(source="snapshot", external_id="acc_2", name="Contoso", tier="smb")
    Contact.objects.create(account=other, external_id="c1", name="C", sponsor="primary")  # another account: fine
    Contact.objects.create(account=account, external_id="c3", name="D", sponsor="backup")
    Contact.objects.create(account=account, external_id="c4", name="E", sponsor="backup")  # many backups: fine
    assert Contact.objects.filter(account=account, sponsor="backup").count() == 2


def test_enums_are_checked_by_the_database(account):
    rejected(lambda: Account.objects.filter(pk=account.pk).update(tier="platinum"))
    rejected(lambda: Contact.objects.create(account=account, name="X", sponsor="main"))
    rejected(lambda: Contact.objects.create(account=account, name="X", status="retired"))
    when = datetime(2026, 11, 1, tzinfo=UTC)
    rejected(lambda: Interaction.objects.create(account=account, type="lunch", occurred_at=when, direction="meeting"))
    rejected(lambda: Interaction.objects.create(account=account, type="qbr", occurred_at=when, direction="sideways"))
    rejected(lambda: Interaction.objects.create(account=account, type="qbr", occurred_at=when, direction="meeting",
                                                purpose="social"))
    rejected(lambda: OrgChange.objects.create(account=account, kind="coup", occurred_on=date(2026, 1, 1),
                                              source="news"))
    rejected(lambda: Goal.objects.create(account=account, name="g", status="sideways"))
    rejected(lambda: StrategicAlignment.objects.create(account=account, our_initiative="a", their_priority="b",
                                                       alignment="huge"))
    rejected(lambda: User.objects.create(username="u", email="u@x.example", role="overlord"))
    rejected(lambda: Alert.objects.create(account=account, code="no_sponsor", severity="urgent", message="m"))


def test_ranges_are_checked_by_the_database(account):
    rejected(lambda: Account.objects.filter(pk=account.pk).update(arr=-1))
    Account.objects.filter(pk=account.pk).update(arr=0)  # zero ARR is allowed
    rejected(lambda: Goal.objects.create(account=account, name="g", progress=1.2))
    rejected(lambda: ValueMetric.objects.create(account=account, as_of=date(2026, 1, 1), strategic_goals_progress=-0.1))
    rejected(lambda: OrgChange.objects.create(account=account, kind="reorg", occurred_on=date(2026, 1, 1),
                                              source="news", confidence=1.01))
    rejected(lambda: ScoreSnapshot.objects.create(account=account, as_of=date(2026, 1, 1), score=101, level="Engaged",
                                                  risk="Low"))


def test_external_ids_are_unique_per_source_and_per_account(account):
    rejected(lambda: Account.objects.create(source="snapshot", external_id="acc_1", name="Dup", tier="smb"))
    Account.objects.create(source="hubspot", external_id="acc_1", name="Other source", tier="smb")
    Contact.objects.create(account=account, external_id="c1", name="A")
    rejected(lambda: Contact.objects.create(account=account, external_id="c1", name="B"))
    Contact.objects.create(account=account, name="Manual 1")  # contacts entered by hand have no CRM id
    Contact.objects.create(account=account, name="Manual 2")


def test_one_unresolved_alert_per_account_code_and_subject(account):
    Alert.objects.create(account=account, code="no_backup_sponsor", severity="medium", message="m")
    rejected(lambda: Alert.objects.create(account=account, code="no_backup_sponsor", severity="medium", message="m"))
    Alert.objects.filter(account=account).update(status="resolved")
    Alert.objects.create(account=account, code="no_backup_sponsor", severity="medium", message="again")
    assert Alert.objects.filter(account=account, code="no_backup_sponsor").count() == 2


def test_one_score_snapshot_per_contact_or_account_and_day(account):
    contact = Contact.objects.create(account=account, name="A", roles=["vp"])
    day = date(2026, 11, 1)
    ScoreSnapshot.objects.create(account=account, contact=contact, as_of=day, score=50, level="Passive", risk="Medium")
    ScoreSnapshot.objects.create(account=account, as_of=day, score=50, level="Passive", risk="Medium")
    rejected(lambda: ScoreSnapshot.objects.create(account=account, contact=contact, as_of=day, score=1,
                                                  level="Disengaged", risk="High"))
    rejected(lambda: ScoreSnapshot.objects.create(account=account, as_of=day, score=1, level="Disengaged",
                                                  risk="High"))


def test_is_executive_follows_the_roles(account):
    contact = Contact.objects.create(account=account, name="A", roles=["director"])
    assert not contact.is_executive
    contact.roles = ["director", "vp"]
    contact.save(update_fields=["roles"])
    contact.refresh_from_db()
    assert contact.is_executive


def test_every_declared_constraint_and_index_exists_in_the_database():
    """Guards against migrations that silently lose a constraint (Django's AlterField on a
    foreign key's db_index once dropped the partial unique index of one primary per account)."""
    from django.apps import apps
    from django.db import connection

    missing = []
    with connection.cursor() as cursor:
        for model in [*apps.get_app_config("accounts").get_models(), *apps.get_app_config("sponsors").get_models()]:
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            for item in [*model._meta.constraints, *model._meta.indexes]:
                if item.name not in present:
                    missing.append(f"{model._meta.db_table}.{item.name}")
    assert missing == []
