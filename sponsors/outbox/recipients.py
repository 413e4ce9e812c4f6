"""Who hears about an account: the account team and their managers.

Recipients of a sponsor departure: the account's CSM(s) (account team members with role ``csm``,
and the account owner), the rest of the account team, and their manager(s) (team members with role
``manager`` plus the managers of every Team a CSM of the account belongs to).  Users who are
inactive because they were imported from the CRM and not yet invited *do* get the e-mail: they are
real colleagues named by the CRM, and an escalation must not wait for an invitation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from accounts.models import Account, AccountTeamMember, Team
from accounts.vocabulary import TEAM_ROLE_ORDER

from .email import address


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    role: str                # "csm" | "manager" | "account_executive" | ... (on this account)

    @property
    def formatted(self) -> str:
        return address(self.name, self.email)


def _person_name(user) -> str:
    return (f"{user.first_name} {user.last_name}".strip() or user.email)


def account_team_recipients(account_ids) -> dict:
    """``{account_id: [Recipient]}``: account team (+ owner as CSM) and the managers of the CSMs'
    Teams; CSMs first, then managers, then the rest; each address once.  Three queries in all."""
    account_ids = list(account_ids)
    found = defaultdict(list)
    if not account_ids:
        return {}
    members = (AccountTeamMember.objects.filter(account_id__in=account_ids)
               .select_related("user").order_by("account_id", "pk"))
    for m in members:
        found[m.account_id].append((m.role, m.user))
    for account_id, owner in ((a.pk, a.owner) for a in Account.objects.filter(pk__in=account_ids,
                                                                              owner__isnull=False)
                              .select_related("owner")):
        found[account_id].append(("csm", owner))
    csm_ids = {u.pk for people in found.values() for role, u in people if role == "csm"}
    managers_of = defaultdict(list)  # csm user id -> [manager users]
    if csm_ids:
        through = Team.members.through.objects.filter(user_id__in=csm_ids).values_list("user_id", "team_id")
        team_of = defaultdict(set)
        for user_id, team_id in through:
            team_of[team_id].add(user_id)
        for team in Team.objects.filter(pk__in=list(team_of)).prefetch_related("managers"):
            for user_id in team_of[team.pk]:
                managers_of[user_id].extend(team.managers.all())
    out = {}
    for account_id in account_ids:
        people = list(found.get(account_id, ()))
        for role, user in list(people):
            if role == "csm":
                people.extend(("manager", mgr) for mgr in managers_of.get(user.pk, ()))
        seen, recipients = set(), []
        for role, user in sorted(people, key=lambda p: TEAM_ROLE_ORDER.get(p[0], 9)):
            key = (user.email or "").strip().casefold()
            if not key or key in seen:
                continue
            seen.add(key)
            recipients.append(Recipient(name=_person_name(user), email=user.email.strip(), role=role))
        out[account_id] = recipients
    return out


