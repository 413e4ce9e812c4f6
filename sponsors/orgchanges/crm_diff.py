"""Org changes the CRM sync notices on a stored contact: status → departed is a ``departure``; a new
title is a ``promotion`` or ``role_change``; a mere rewording is stored dismissed (history, never an
alert)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from ..models import Contact, OrgChange
from ..rules.triage import change_fingerprint, title_change_kind
from ..signals import refresh_on_commit
from .review import dismissed_fingerprints, state_for


@dataclass(frozen=True)
class StoredContact:
    pk: int
    name: str
    title: str
    status: str


def crm_contact_state(account_ids) -> dict:
    """``{(account_id, external_id): StoredContact}`` before a sync writes (one query)."""
    return {
        (aid, ext): StoredContact(pk, name, title, status)
        for pk, aid, ext, name, title, status in Contact.objects.filter(
            account_id__in=list(account_ids), external_id__isnull=False)
        .values_list("pk", "account_id", "external_id", "name", "title", "status")
    }


def record_crm_contact_changes(*, before: dict, after: dict, occurred_on: date) -> Counter:
    """Org changes for stored contacts whose title or status the CRM changed.

    ``before``: ``crm_contact_state`` read before the sync; ``after``: ``{(account_id, external_id):
    (name, title, status)}`` as synced.  Bulk: a fixed number of queries.
    """
    rows, departed = [], []
    dismissed = dismissed_fingerprints({key[0] for key in after if key in before})
    for key, (name, title, status) in after.items():
        old = before.get(key)
        if old is None:
            continue
        account_id = key[0]
        if old.status != "departed" and status == "departed":
            fp = change_fingerprint("departure", old.pk, old.status, status)
            rows.append(OrgChange(
                account_id=account_id, contact_id=old.pk, kind="departure", occurred_on=occurred_on, source="crm",
                headline=f"{name} is marked departed in the CRM", confidence=1.0,
                state=state_for(1.0, dismissed=(account_id, fp) in dismissed), old_value=old.status,
                new_value=status, fingerprint=fp,
                evidence={"field": "status", "old": old.status, "new": status, "contact": name},
            ))
            departed.append(old.pk)
        kind = title_change_kind(old.title, title)
        if kind is not None:
            trivial = kind == "trivial"
            kind = "role_change" if trivial else kind
            fp = change_fingerprint(kind, old.pk, old.title, title)
            rows.append(OrgChange(
                account_id=account_id, contact_id=old.pk, kind=kind, occurred_on=occurred_on, source="crm",
                headline=f"{name}: {old.title or '(no title)'} → {title or '(no title)'}", confidence=1.0,
                state=state_for(1.0, dismissed=trivial or (account_id, fp) in dismissed),
                old_value=old.title, new_value=title, fingerprint=fp,
                evidence={"field": "title", "old": old.title, "new": title, "contact": name,
                          "trivial_rewording": trivial},
            ))
    if not rows:
        return Counter()
    OrgChange.objects.bulk_create(rows)
    if departed:
        Contact.objects.filter(pk__in=departed, departed_on__isnull=True).update(departed_on=occurred_on)
    for account_id in {r.account_id for r in rows if r.state == OrgChange.State.CONFIRMED}:
        refresh_on_commit(account_id)
    return Counter(created=len(rows))
