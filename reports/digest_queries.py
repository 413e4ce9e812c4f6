"""The weekly digest's reads: each a fixed number of queries over a scope's accounts, whatever its size,
returning the plain rows ``reports.digest`` works on.  ``accounts`` is a queryset of the scope's accounts
(``accounts_visible_to(user)``, ``accounts_of_team(team)``), used as a subquery; None means every account.

Alerts and pending org changes are today's (as on the account page); scores come from the stored daily
snapshots (``ScoreSnapshot``): the latest day on or before "now" and on or before "then".
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Max, Q

from accounts.models import Account
from accounts.vocabulary import factor_label, severity_rank
from sponsors.models import Alert, OrgChange, ScoreSnapshot
from sponsors.rules.alert_codes import ALERT_CODES, escalates, title

from .digest import ContactScore, Item
from .health import money_text

ESCALATING = tuple(code for code in ALERT_CODES if escalates(code))
CADENCE_CODES = ("no_exec_contact_90d", "cadence_overdue")
BACKUP_CODES = ("no_backup_sponsor",)


def scoped(qs, accounts, field: str = "account"):
    return qs if accounts is None else qs.filter(**{f"{field}__in": accounts.values("pk")})


def escalation_items(accounts, *, start: datetime, end: datetime, url) -> list[Item]:
    """Escalations opened in [start, end), and older ones still unresolved; earliest due first."""
    rows = (scoped(Alert.objects.filter(code__in=ESCALATING, opened_at__lt=end), accounts)
            .filter(Q(opened_at__gte=start) | ~Q(status=Alert.Status.RESOLVED))
            .values_list("account_id", "account__name", "code", "message", "due_on", "status", "opened_at"))
    items = []
    for account_id, name, code, message, due_on, status, opened_at in rows:
        state = "new this week" if opened_at >= start else f"still {status}"
        if status == Alert.Status.RESOLVED:
            state = "opened and resolved this week"
        items.append(Item(account_id, name, message, url(account_id), due_on=due_on, tag=f"{title(code)}, {state}"))
    return sorted(items, key=lambda i: (i.due_on or date.max, i.account_name.casefold()))


def open_alert_items(accounts, codes, *, url) -> list[Item]:
    """Unresolved alerts with ``codes``, most severe first."""
    rows = (scoped(Alert.objects.filter(code__in=codes), accounts).exclude(status=Alert.Status.RESOLVED)
            .values_list("account_id", "account__name", "code", "severity", "message"))
    items = [(severity_rank(sev), Item(aid, name, message, url(aid), tag=title(code)))
             for aid, name, code, sev, message in rows]
    return [i for _, i in sorted(items, key=lambda x: (-x[0], x[1].account_name.casefold(), x[1].text))]


def renewal_rows(accounts, *, start: date, end: date) -> dict:
    """``{account_id: (renewal date, ARR text)}`` of the contracts renewing in [start, end] (one query)."""
    rows = scoped(Account.objects.filter(renewal_date__range=(start, end)), accounts, "pk").values_list(
        "pk", "renewal_date", "arr", "currency")
    return {pk: (day, money_text(arr, currency)) for pk, day, arr, currency in rows}


def pending_change_items(accounts, *, url) -> list[Item]:
    """Org changes waiting for a CSM's confirmation, oldest first."""
    rows = (scoped(OrgChange.objects.filter(state=OrgChange.State.PENDING), accounts)
            .values_list("account_id", "account__name", "kind", "headline", "occurred_on", "contact__name")
            .order_by("occurred_on", "pk"))
    items = []
    for aid, name, kind, headline, occurred_on, contact in rows:
        what = headline or f"{kind.replace('_', ' ')}{f' of {contact}' if contact else ''}"
        items.append(Item(aid, name, f"{what} ({occurred_on.isoformat()}) awaits confirmation", url(aid),
                          tag="Org change to confirm"))
    return items


def snapshot_days(accounts, *, now: date, then: date) -> tuple[date | None, date | None]:
    """The latest snapshot days of the scope on or before ``now`` and ``then`` (one query)."""
    days = scoped(ScoreSnapshot.objects.filter(contact__isnull=True, as_of__lte=now), accounts).aggregate(
        now=Max("as_of"), then=Max("as_of", filter=Q(as_of__lte=then)))
    return days["now"], days["then"]


def score_rows(accounts, *, now: date, then: date) -> dict:
    """The account and executive scores of the two days (two queries):
    ``{"accounts": ({id: row}, {id: row}), "contacts": ({id: ContactScore}, {id: ContactScore}),
    "days": (now_day, then_day)}``; account rows are (name, score, level, risk, reason)."""
    now_day, then_day = snapshot_days(accounts, now=now, then=then)
    out = {"accounts": ({}, {}), "contacts": ({}, {}), "days": (now_day, then_day)}
    wanted = [d for d in (now_day, then_day) if d is not None]
    if not wanted:
        return out
    rows = scoped(ScoreSnapshot.objects.filter(as_of__in=wanted), accounts).values_list(
        "account_id", "account__name", "contact_id", "as_of", "score", "level", "risk", "breakdown__method",
        "breakdown__factors", "breakdown__contact__name")
    for aid, name, cid, day, score, level, risk, method, factors, contact_name in rows:
        for index, target in ((0, now_day), (1, then_day)):
            if day != target:
                continue
            if cid is None:
                out["accounts"][index][aid] = (name, score, level, risk, method or "")
            else:
                facts = {f["key"]: (factor_label(f["key"]), f["score"], f["note"]) for f in factors or ()}
                out["contacts"][index][cid] = ContactScore(aid, name, contact_name or "", score, facts)
    return out
