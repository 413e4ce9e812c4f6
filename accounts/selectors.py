"""Reads about accounts and users.  ``accounts_visible_to`` is THE permission rule: every view,
API endpoint, report and e-mail that lists accounts goes through it."""

from django.db.models import Q

from .models import Account, AccountTeamMember, User
from .vocabulary import TEAM_ROLE_ORDER


def accounts_visible_to(user):
    """The customer accounts ``user`` may see.

    - an admin (role admin, or a superuser) sees every account;
    - a manager sees the accounts of the teams they manage (any account a member works) and their own;
    - a CSM (anyone else) sees the accounts whose account team they are on, or that they own.
    Anonymous and inactive users see none.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if sees_every_account(user):
        return Account.objects.all()
    own = Q(team_members__user=user) | Q(owner=user)
    if user.role == User.Role.MANAGER:
        managed = User.objects.filter(teams__managers=user)
        own |= Q(team_members__user__in=managed) | Q(owner__in=managed)
    ids = Account.objects.filter(own).values("pk")
    return Account.objects.filter(pk__in=ids)


def sees_every_account(user) -> bool:
    """Whether ``accounts_visible_to(user)`` is every account (an active admin or superuser): a query over
    rows that all belong to some account then needs no visibility filter."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_superuser or user.role == User.Role.ADMIN))


def accounts_of_team(team):
    """The customer accounts a CS team works: those any member is on the account team of, or owns (the
    part of ``accounts_visible_to`` a manager of ``team`` gets from it).  A team without members has none."""
    members = User.objects.filter(teams=team)
    ids = Account.objects.filter(Q(team_members__user__in=members) | Q(owner__in=members)).values("pk")
    return Account.objects.filter(pk__in=ids)


def account_team(account):
    """The account team, CSM first (for notifications and coordination)."""
    members = list(AccountTeamMember.objects.filter(account=account).select_related("user"))
    return sorted(members, key=lambda m: (TEAM_ROLE_ORDER.get(m.role, 9), m.user.email))
