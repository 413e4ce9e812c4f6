"""accounts_visible_to: the one rule behind every list of accounts."""

import pytest

from accounts.models import Account, AccountTeamMember
from accounts.selectors import accounts_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(cast):
    def account(name, *members, owner=None):
        a = Account.objects.create(source="snapshot", external_id=name, name=name, tier="smb", owner=owner)
        for user in members:
            AccountTeamMember.objects.create(account=a, user=user, role="csm")
        return a

    return {
        "dana": account("Dana's", cast["csm"]),
        "li": account("Li's", cast["teammate"]),
        "owned": account("Owned by Olga", owner=cast["outsider"]),
        "nobody": account("Unassigned"),
    }


def names(user):
    return sorted(accounts_visible_to(user).values_list("name", flat=True))


def test_an_admin_sees_every_account(cast, portfolio):
    assert names(cast["admin"]) == sorted(a.name for a in portfolio.values())


def test_a_superuser_sees_every_account(cast, portfolio):
    cast["outsider"].is_superuser = True
    assert len(names(cast["outsider"])) == 4


def test_a_csm_sees_the_accounts_whose_team_they_are_on(cast, portfolio):
    assert names(cast["csm"]) == ["Dana's"]
    assert names(cast["teammate"]) == ["Li's"]


def test_an_owner_sees_the_accounts_they_own(cast, portfolio):
    assert names(cast["outsider"]) == ["Owned by Olga"]


def test_a_manager_sees_the_accounts_of_the_teams_they_manage(cast, portfolio):
    assert names(cast["manager"]) == ["Dana's", "Li's"]


def test_no_duplicates_when_several_paths_lead_to_an_account(cast, portfolio):
    AccountTeamMember.objects.create(account=portfolio["dana"], user=cast["teammate"], role="account_executive")
    AccountTeamMember.objects.create(account=portfolio["dana"], user=cast["manager"], role="manager")
    assert names(cast["manager"]) == ["Dana's", "Li's"]


def test_inactive_and_anonymous_users_see_nothing(cast, portfolio):
    from django.contrib.auth.models import AnonymousUser

    cast["csm"].is_active = False
    assert names(cast["csm"]) == []
    assert list(accounts_visible_to(AnonymousUser())) == []
    assert list(accounts_visible_to(None)) == []


def test_a_manager_also_sees_their_own_accounts_and_those_their_team_members_own(cast, portfolio):
    own = Account.objects.create(source="snapshot", external_id="mgr", name="Managed by hand", tier="smb",
                                 owner=cast["manager"])
    owned_by_member = Account.objects.create(source="snapshot", external_id="li-owned", name="Owned by Li",
                                             tier="smb", owner=cast["teammate"])
    assert names(cast["manager"]) == sorted(["Dana's", "Li's", own.name, owned_by_member.name])
    assert names(cast["teammate"]) == sorted(["Li's", owned_by_member.name])


@pytest.mark.parametrize("role", ["csm", "manager"])
def test_the_rule_reads_the_users_own_accounts_not_every_account_joined_with_its_team(cast, portfolio, role):
    """The rule is a subquery of every page a CSM or manager opens: "on the team OR owner" across a join of
    the accounts with their team members read every account of the portfolio (and every member) for each
    of them; a UNION of the two index reads costs what the user's own accounts cost."""
    sql = str(accounts_visible_to(cast[role]).query)
    assert "UNION" in sql
    assert 'JOIN "accounts_accountteammember"' not in sql
