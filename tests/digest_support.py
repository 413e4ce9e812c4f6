"""A small hand-built portfolio for the metric-history and digest tests (ORM rows, no snapshot file).

As of Sunday 2026-11-22 (window 2025-11-23 … 2026-11-22, all accounts enterprise: 12 meetings earn 25):

* team North (manager Mia, CSM Carl) works Alpha and Beta; team Orphan has no manager (CSM Olive works
  Gamma); team Empty has neither members nor accounts; Delta belongs to no team.
* Alpha: initiative ↔ priority "high" (alignment 25).  a1 primary (VP since 2020): 12 1:1s + QBR-1 =
  13 meetings → 25 + 12 (no outreach) + QBR 1/2 + 25 → Engaged.  a2 backup (VP since 2020): 12 1:1s →
  25 + 12 + 0 + 25 = 62 → Engaged.  QBR-2 had only Dan, a director (no executive).  Executive
  contacts 13 + 12 = 25.
* Beta, a sponsor who left and was replaced: b1 (executive sponsor since 2019) left on 2026-08-15
  (CRM status and a confirmed departure); b2 primary since 2026-09-01 (not in place a year ago): 12
  1:1s → 25 + 12 + 0 + 0 = 37 → Passive.  Executive contacts 12 (b1's do not count: departed).
* Gamma: no contacts at all (no sponsor, no executive contact).
* Delta: c1 primary since 2025-01-01: 1 meeting → 2 + 12 + 0 + 0 = 14 → Disengaged.  1 contact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from accounts.models import Account, AccountTeamMember, StrategicAlignment, Team, User
from sponsors.models import Contact, Interaction, InteractionParticipant, OrgChange

SUNDAY = date(2026, 11, 22)


def user(email, role=User.Role.CSM, **kw) -> User:
    return User.objects.create_user(username=email, email=email, password="pw", role=role,
                                    first_name=email.split("@")[0].capitalize(), **kw)


def exec_contact(account, name, *, sponsor="", since=date(2020, 1, 1), roles=("vp",), status="active"):
    return Contact.objects.create(account=account, name=name, title="VP", roles=list(roles), sponsor=sponsor,
                                  in_role_since=since, status=status)


def meet(account, when: date, *contacts, type="one_on_one", direction="meeting"):
    i = Interaction.objects.create(account=account, type=type, direction=direction,
                                   occurred_at=datetime(when.year, when.month, when.day, 12, tzinfo=UTC))
    InteractionParticipant.objects.bulk_create([InteractionParticipant(interaction=i, contact=c) for c in contacts])
    return i


def twelve_meetings(account, contact, first: date, step_days: int):
    for k in range(12):
        meet(account, first + timedelta(days=step_days * k), contact)


def build_portfolio() -> dict:
    people = {
        "mia": user("mia@vendor.example", User.Role.MANAGER), "carl": user("carl@vendor.example"),
        "olive": user("olive@vendor.example"), "ada": user("ada@vendor.example", User.Role.ADMIN),
    }
    north, orphan, empty = (Team.objects.create(name=n) for n in ("North", "Orphan", "Empty"))
    north.managers.add(people["mia"])
    north.members.add(people["carl"])
    orphan.members.add(people["olive"])
    acc = {name: Account.objects.create(external_id=name.lower(), name=name, tier="enterprise", owner=owner)
           for name, owner in (("Alpha", people["carl"]), ("Beta", people["carl"]), ("Gamma", people["olive"]),
                               ("Delta", None))}
    AccountTeamMember.objects.create(account=acc["Alpha"], user=people["carl"], role="csm")
    StrategicAlignment.objects.create(account=acc["Alpha"], our_initiative="Rollout", their_priority="Growth",
                                      alignment="high")
    a1 = exec_contact(acc["Alpha"], "Avery One", sponsor="primary")
    a2 = exec_contact(acc["Alpha"], "Blair Two", sponsor="backup")
    dan = Contact.objects.create(account=acc["Alpha"], name="Dan Director", roles=["director"])
    twelve_meetings(acc["Alpha"], a1, date(2026, 1, 10), 28)
    twelve_meetings(acc["Alpha"], a2, date(2026, 1, 11), 28)
    meet(acc["Alpha"], date(2026, 10, 1), a1, type="qbr")
    meet(acc["Alpha"], date(2026, 7, 1), dan, type="qbr")
    b1 = exec_contact(acc["Beta"], "Casey Gone", since=date(2019, 1, 1), roles=("executive_sponsor", "vp"),
                      status="departed")
    OrgChange.objects.create(account=acc["Beta"], contact=b1, kind="departure", occurred_on=date(2026, 8, 15),
                             source="crm", state="confirmed")
    b2 = exec_contact(acc["Beta"], "Drew New", sponsor="primary", since=date(2026, 9, 1))
    twelve_meetings(acc["Beta"], b2, date(2026, 9, 1), 6)
    c1 = exec_contact(acc["Delta"], "Eli Quiet", sponsor="primary", since=date(2025, 1, 1))
    meet(acc["Delta"], date(2026, 6, 1), c1)
    return {**people, "north": north, "orphan": orphan, "empty": empty, **acc,
            "a1": a1, "a2": a2, "b1": b1, "b2": b2, "c1": c1}


# --- the week of the digest: Monday 2026-11-23 covers 11-16 … 11-22 ------------------------------------

MONDAY = date(2026, 11, 23)


def at(day: date, hour=12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def eventful_week(cast) -> dict:
    """What happens in the week before MONDAY, on top of ``build_portfolio`` (run inside time_machine
    where the alert's opening day matters):

    * Beta's primary b2 gets two e-mails on 11-17 and 11-18 that stay unanswered: Responsiveness 12 → 0,
      37 → 25, Passive → Disengaged, so Beta crosses from Medium into High risk;
    * Epsilon (Carl's, enterprise) last met its executive on 2026-08-01: no executive contact in 90+ days
      and the cadence overdue;
    * Alpha's backup sponsor a2 leaves on 11-18 (a confirmed departure: the escalation of the week);
    * Alpha gets an org change awaiting confirmation; Beta has no backup sponsor.
    """
    from sponsors.services.scores import recompute_scores

    recompute_scores(as_of=date(2026, 11, 15))
    for day in (date(2026, 11, 17), date(2026, 11, 18)):
        meet(cast["Beta"], day, cast["b2"], type="email", direction="outbound")
    eps = Account.objects.create(external_id="epsilon", name="Epsilon", tier="enterprise", owner=cast["carl"])
    e1 = exec_contact(eps, "Fran Far", sponsor="primary")
    exec_contact(eps, "Gus Backup", sponsor="backup")
    meet(eps, date(2026, 8, 1), e1)
    OrgChange.objects.create(account=cast["Alpha"], contact=cast["a2"], kind="departure",
                             occurred_on=date(2026, 11, 18), source="linkedin", state="confirmed",
                             headline="Blair Two leaves Alpha")
    OrgChange.objects.create(account=cast["Alpha"], contact=cast["a1"], kind="promotion",
                             occurred_on=date(2026, 11, 19), source="news", state="pending",
                             headline="Avery One named COO", confidence=0.5)
    recompute_scores(as_of=date(2026, 11, 22))
    return {"Epsilon": eps, "e1": e1}
