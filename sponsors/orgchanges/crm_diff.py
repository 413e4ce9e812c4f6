"""Org changes the CRM sync notices on a stored contact: status → departed is a ``departure``; a new
title is a ``promotion`` or ``role_change``; a mere rewording is stored dismissed (history, never an
alert).

Each change is keyed by what it changed from (``external_id`` ``crm-diff:<fingerprint>:<the stored
contact's version>``, unique per account), so two syncs that see the same change of the same stored
row — two imports of the same file at once — store it once (rows already there are skipped and the
insert is ``ON CONFLICT DO NOTHING``), while the same change made again later is a new row."""

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
    version: str = ""     # the stored row's updated_at: which state of the contact a change is from


def crm_contact_state(account_ids) -> dict:
    """``{(account_id, external_id): StoredContact}`` before a sync writes (one query)."""
    return {
        (aid, ext): StoredContact(pk, name, title, status, f"{updated_at.timestamp():.6f}")
        for pk, aid, ext, name, title, status, updated_at in Contact.objects.filter(
            account_id__in=list(account_ids), external_id__isnull=False)
        .values_list("pk", "account_id", "external_id", "name", "title", "status", "updated_at")
    }


HEADLINE_MAX_LENGTH = OrgChange._meta.get_field("headline").max_length


def _headline(text: str) -> str:
    """A generated headline fits its column (the full old and new values are kept beside it)."""
    return text if len(text) <= HEADLINE_MAX_LENGTH else text[:HEADLINE_MAX_LENGTH - 1] + "…"


def crm_diff_key(fingerprint: str, stored: StoredContact) -> str:
    """The key of a CRM-diff org change: the same change of the same stored state is one row."""
    return f"crm-diff:{fingerprint}:{stored.version}"


def _new_executives(after, before, known_accounts, contact_ids, executives, occurred_on, dismissed) -> list:
    """A new executive on an account the tracker already knew (not every contact of a first import)."""
    rows = []
    for key, (name, title, _status) in after.items():
        if key in before or key[0] not in known_accounts or key not in executives or key not in contact_ids:
            continue
        pk, account_id = contact_ids[key], key[0]
        fp = change_fingerprint("new_executive", pk, "", title)
        rows.append(OrgChange(
            account_id=account_id, contact_id=pk, kind="new_executive", occurred_on=occurred_on, source="crm",
            external_id=f"crm-new:{pk}",
            headline=_headline(f"{name}{f' ({title})' if title else ''} is new in the CRM"),
            confidence=1.0, state=state_for(1.0, dismissed=(account_id, fp) in dismissed), old_value="",
            new_value=title, fingerprint=fp, evidence={"field": "contact", "new": name, "title": title},
        ))
    return rows


def _not_stored(rows: list) -> list:
    """The rows whose (account, external_id) is not stored yet (one query)."""
    if not rows:
        return rows
    stored = set(OrgChange.objects.filter(account_id__in={r.account_id for r in rows},
                                          external_id__in=[r.external_id for r in rows])
                 .values_list("account_id", "external_id"))
    return [r for r in rows if (r.account_id, r.external_id) not in stored]


def record_crm_contact_changes(*, before: dict, after: dict, occurred_on: date, contact_ids: dict | None = None,
                               executives=frozenset()) -> Counter:
    """Org changes for stored contacts whose title or status the CRM changed, and for executives who
    first appear on an account the tracker already knew (``new_executive``).

    ``before``: the contacts as the CRM last sent them (``StoredContact``); ``after``: ``{(account_id,
    external_id): (name, title, status)}`` as the CRM sends them now; ``contact_ids``: the synced contacts'
    pks; ``executives``: the keys of ``after`` that are executives.  Bulk: a fixed number of queries.
    """
    known_accounts = {key[0] for key in before}
    dismissed = dismissed_fingerprints({key[0] for key in after if key[0] in known_accounts})
    rows = _new_executives(after, before, known_accounts, contact_ids or {}, executives, occurred_on, dismissed)
    for key, (name, title, status) in after.items():
        old = before.get(key)
        if old is None:
            continue
        account_id = key[0]
        if old.status != "departed" and status == "departed":
            fp = change_fingerprint("departure", old.pk, old.status, status)
            rows.append(OrgChange(
                account_id=account_id, contact_id=old.pk, kind="departure", occurred_on=occurred_on, source="crm",
                external_id=crm_diff_key(fp, old),
                headline=f"{name} is marked departed in the CRM", confidence=1.0,
                state=state_for(1.0, dismissed=(account_id, fp) in dismissed), old_value=old.status,
                new_value=status, fingerprint=fp,
                evidence={"field": "status", "old": old.status, "new": status, "contact": name},
            ))
        kind = title_change_kind(old.title, title)
        if kind is not None:
            trivial = kind == "trivial"
            kind = "role_change" if trivial else kind
            fp = change_fingerprint(kind, old.pk, old.title, title)
            rows.append(OrgChange(
                account_id=account_id, contact_id=old.pk, kind=kind, occurred_on=occurred_on, source="crm",
                external_id=crm_diff_key(fp, old),
                headline=_headline(f"{name}: {old.title or '(no title)'} → {title or '(no title)'}"), confidence=1.0,
                state=state_for(1.0, dismissed=trivial or (account_id, fp) in dismissed),
                old_value=old.title, new_value=title, fingerprint=fp,
                evidence={"field": "title", "old": old.title, "new": title, "contact": name,
                          "trivial_rewording": trivial},
            ))
    rows = _not_stored(rows)
    if not rows:
        return Counter()
    OrgChange.objects.bulk_create(rows, ignore_conflicts=True)
    departed = {r.contact_id for r in rows if r.kind == "departure"}
    if departed:
        Contact.objects.filter(pk__in=departed, departed_on__isnull=True).update(departed_on=occurred_on)
    for account_id in {r.account_id for r in rows if r.state == OrgChange.State.CONFIRMED}:
        refresh_on_commit(account_id)
    return Counter(created=len(rows))
