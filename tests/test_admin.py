"""The Django admin is useful for real work: every page loads on demo data, and backups can be managed."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Account
from sponsors.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(tmp_path):
    call_command("seed_demo", "--accounts", "8", "--as-of", "2026-11-26", "--output", str(tmp_path / "d.json"),
                 stdout=io.StringIO())


PAGES = ["account", "contact", "interaction", "orgchange", "plannedtouchpoint", "user", "team"]


def test_every_changelist_and_search_loads(admin_client, demo):
    for model in PAGES:
        app = "accounts" if model in ("account", "user", "team") else "sponsors"
        for params in ({}, {"q": "a"}):
            response = admin_client.get(reverse(f"admin:{app}_{model}_changelist"), params)
            assert response.status_code == 200, (model, params)


def test_the_account_page_shows_contacts_and_interactions_inline(admin_client, demo):
    account = Account.objects.filter(contacts__sponsor="primary").first()
    primary = account.contacts.get(sponsor="primary")
    response = admin_client.get(reverse("admin:accounts_account_change", args=[account.pk]))
    assert response.status_code == 200
    assert primary.name in response.content.decode()


def test_the_account_list_flags_missing_backups(admin_client, demo):
    response = admin_client.get(reverse("admin:accounts_account_changelist"))
    page = response.content.decode()
    without_backup = Account.objects.exclude(contacts__sponsor="backup").count()
    assert without_backup > 0
    assert page.count('alt="False"') >= without_backup


def test_a_manager_sees_only_their_teams_accounts_in_the_admin(client, cast, demo):
    from accounts.models import AccountTeamMember

    mine = Account.objects.order_by("pk").first()
    AccountTeamMember.objects.filter(account=mine).delete()
    AccountTeamMember.objects.create(account=mine, user=cast["teammate"], role="csm")
    manager = cast["manager"]
    manager.is_staff = True
    manager.is_superuser = False
    manager.save()
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(Permission.objects.get(codename="view_account"))
    client.force_login(manager)
    response = client.get(reverse("admin:accounts_account_changelist"))
    assert response.status_code == 200
    # The manager's own accounts (the demo puts them on teams) and those of the East team's members.
    people = [manager, cast["csm"], cast["teammate"]]
    expected = set(AccountTeamMember.objects.filter(user__in=people).values_list("account_id", flat=True)) | set(
        Account.objects.filter(owner__in=people).values_list("pk", flat=True))
    shown = {a.pk for a in response.context["cl"].queryset}
    assert mine.pk in shown and shown == expected
    assert shown != set(Account.objects.values_list("pk", flat=True)), "not every account"


def test_the_backup_sponsor_action(admin_client, demo):
    account = Account.objects.exclude(contacts__sponsor="backup").filter(contacts__sponsor="primary").first()
    executive = Contact.objects.create(account=account, name="Vera Vance", title="VP Sales", roles=["vp"])
    director = Contact.objects.create(account=account, name="Dirk Dale", title="Director", roles=["director"])
    url = reverse("admin:sponsors_contact_changelist")

    response = admin_client.post(url, {"action": "make_backup_sponsor", "_selected_action": [executive.pk,
                                                                                          director.pk]}, follow=True)

    executive.refresh_from_db()
    director.refresh_from_db()
    assert executive.sponsor == "backup"
    assert director.sponsor == "", "only executives can back up a sponsor"
    assert "only an executive" in response.content.decode()
