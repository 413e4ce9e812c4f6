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
    workers = [user.pk]
    if user.role == User.Role.MANAGER:
        workers = User.objects.filter(Q(pk=user.pk) | Q(teams__managers=user)).values("pk")
    return _accounts_worked_by(workers)


def _accounts_worked_by(users):
    """The accounts whose account team one of ``users`` (user ids, or a query of them) is on, or that one of
    them owns: two index reads joined by a UNION, which cost what the user's own accounts cost.  A join of
    every account with its team members, filtered by "member or owner", read the whole portfolio for each
    page of a CSM of 50 accounts (2.6 ms against 0.1 ms at 5,000 accounts, several times per page)."""
    on_team = AccountTeamMember.objects.filter(user__in=users).values("account_id")
    owned = Account.objects.filter(owner__in=users).values("pk")
    return Account.objects.filter(pk__in=on_team.union(owned, all=True))


def sees_every_account(user) -> bool:
    """Whether ``accounts_visible_to(user)`` is every account (an active admin or superuser): a query over
    rows that all belong to some account then needs no visibility filter."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_superuser or user.role == User.Role.ADMIN))


def accounts_of_team(team):
    """The customer accounts a CS team works: those any member is on the account team of, or owns (the
    part of ``accounts_visible_to`` a manager of ``team`` gets from it).  A team without members has none."""
    return _accounts_worked_by(User.objects.filter(teams=team).values("pk"))


def account_team(account):
    """The account team, CSM first (for notifications and coordination)."""
    members = list(AccountTeamMember.objects.filter(account=account).select_related("user"))
    return sorted(members, key=lambda m: (TEAM_ROLE_ORDER.get(m.role, 9), m.user.email))
