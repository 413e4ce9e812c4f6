"""The contacts of a sync, with the field-ownership rule of ``sponsors.crm.ownership``:

1. read the stored contacts of the accounts in hand (their owned values and the CRM's last values);
2. decide each owned field (sponsor role, status, title): an unchanged CRM value keeps what is stored —
   a decision made in the tracker survives — and a value the CRM changed wins;
3. keep one primary per account, then write: free the primary slots first, then one upsert;
4. put every owned field the CRM changed in the audit trail (source ``crm``), tell the account's CSM
   when that replaced a decision made in the tracker, and record the org changes the CRM's changes
   imply — a new title, a departure, a new executive on an account we already knew.
"""

from __future__ import annotations

import hashlib

from django.utils import timezone

from accounts.vocabulary import is_executive

from ..models import Contact, OutboundEmail
from ..orgchanges.crm_diff import StoredContact, record_crm_contact_changes
from ..outbox.email import outbox_email, queue_outbox
from ..outbox.recipients import account_team_recipients
from .ownership import OWNED_FIELDS, Stored, one_primary, resolve
from .upsert import analyze_on_commit, upsert

CONTACT_FIELDS = ["name", "title", "email", "roles", "is_executive", "sponsor", "in_role_since", "priorities",
                  "communication_preference", "linkedin_url", "status", "crm_values"]
OVERRIDE_EMAIL = "crm_override"


def sync_contacts(by_account, occurred_on, summary, *, known=None) -> dict:
    """Returns ``{(account pk, external id): contact pk}``.  ``known``: the accounts that may have stored contacts
    (default all; the sync leaves out the accounts it just created)."""
    scope = list(by_account) if known is None else known
    stored, versions = _stored(scope)
    incoming = {(aid, c.external_id): c for aid, rec in by_account.items() for c in rec.contacts}
    resolved = {key: resolve({"sponsor": c.sponsor, "status": c.status, "title": c.title}, stored.get(key))
                for key, c in incoming.items()}
    crm_set_primary = {k for k, r in resolved.items() if "sponsor" in r.crm_changed or k not in stored}
    crm_set_primary = {k for k in crm_set_primary if resolved[k].values["sponsor"] == "primary"}
    overrides = [o for r in resolved.values() for o in r.overrides] + one_primary(resolved, stored, crm_set_primary)
    _free_primary_slots(stored, resolved)
    desired = {}
    for key, c in incoming.items():
        v = resolved[key].values
        desired[key] = (c.name, v["title"], c.email, c.roles, is_executive(c.roles), v["sponsor"], c.in_role_since,
                        c.priorities, c.communication_preference, c.linkedin_url, v["status"],
                        resolved[key].crm_values)
    changed = {stored[k].pk for k, r in resolved.items() if k in stored and _owned_changed(stored[k], r)}
    _baselines(changed)
    contact_ids, counts = upsert(
        Contact, key_fields=["account", "external_id"], value_fields=CONTACT_FIELDS, desired=desired,
        existing_qs=Contact.objects.filter(account_id__in=scope, external_id__isnull=False))
    summary.add("contacts", **counts)
    analyze_on_commit(Contact, counts)
    _audit_crm_changes(changed)
    _tell_csms(overrides, occurred_on)
    summary.add("sponsor decisions the CRM changed", updated=len(overrides))
    summary.add("org changes from contact changes", **record_crm_contact_changes(
        before={k: StoredContact(s.pk, incoming[k].name, s.crm_values.get("title", s.values["title"]),
                                 s.crm_values.get("status", s.values["status"]), versions[k])
                for k, s in stored.items() if k in incoming},
        after={k: (c.name, c.title, c.status) for k, c in incoming.items()},
        occurred_on=occurred_on, contact_ids=contact_ids,
        executives={k for k, c in incoming.items() if is_executive(c.roles)}))
    return contact_ids


def _stored(scope) -> tuple[dict, dict]:
    """``({key: Stored}, {key: version})`` of the accounts' synced contacts (one query)."""
    stored, versions = {}, {}
    for pk, aid, ext, sponsor, status, title, crm_values, roles, updated_at in Contact.objects.filter(
            account_id__in=scope, external_id__isnull=False).values_list(
            "pk", "account_id", "external_id", "sponsor", "status", "title", "crm_values", "roles", "updated_at"):
        stored[(aid, ext)] = Stored(pk=pk, values={"sponsor": sponsor, "status": status, "title": title},
                                    crm_values=crm_values or {}, executive=is_executive(roles),
                                    departed=status == Contact.Status.DEPARTED)
        versions[(aid, ext)] = f"{updated_at.timestamp():.6f}"
    return stored, versions


def _owned_changed(stored: Stored, resolution) -> bool:
    return any(stored.values[f] != resolution.values[f] for f in OWNED_FIELDS)


def _free_primary_slots(stored: dict, resolved: dict) -> None:
    """The database allows one primary per account: a stored primary who will not be primary after this
    sync gives up the slot before the upsert writes the new one."""
    losing = [s.pk for k, s in stored.items()
              if s.values["sponsor"] == "primary" and k in resolved and resolved[k].values["sponsor"] != "primary"]
    if losing:
        Contact.objects.filter(pk__in=losing).update(sponsor="", updated_at=timezone.now())


def _baselines(pks) -> None:
    """Contacts written in bulk have no history yet: record their state before the CRM's change."""
    if not pks:
        return
    known = set(Contact.history.filter(id__in=pks).values_list("id", flat=True).distinct())
    missing = list(Contact.objects.filter(pk__in=[pk for pk in pks if pk not in known]))
    if missing:
        Contact.history.bulk_history_create(missing, default_change_reason="state before the first change",
                                            update=False)


def _audit_crm_changes(pks) -> None:
    """One audit-trail row per contact whose sponsor role, status or title the sync changed (source crm)."""
    if not pks:
        return
    Contact.history.bulk_history_create(list(Contact.objects.filter(pk__in=pks)), update=True,
                                        default_change_reason="changed in the CRM",
                                        custom_historical_attrs={"history_source": "crm"})


FIELD_WORDS = {"sponsor": "sponsor role", "status": "status", "title": "title"}


def _tell_csms(overrides, occurred_on) -> None:
    """The account's CSMs hear when the CRM replaced a decision made in the tracker (one e-mail per account
    and day, through the outbox)."""
    if not overrides:
        return
    contacts = Contact.objects.select_related("account").in_bulk([o.contact_pk for o in overrides])
    by_account: dict = {}
    for o in overrides:
        by_account.setdefault(contacts[o.contact_pk].account_id, []).append(o)
    recipients = account_team_recipients(list(by_account))
    rows = []
    for account_id, items in by_account.items():
        csms = [p for p in recipients.get(account_id, []) if p.role == "csm"]
        if not csms:
            continue
        changes = [{"contact": contacts[o.contact_pk], "field": FIELD_WORDS[o.field], "local": o.local or "none",
                    "crm": o.crm_now or "none"} for o in items]
        digest = hashlib.sha256(repr([(o.contact_pk, o.field, o.crm_now) for o in items]).encode()).hexdigest()[:16]
        account = contacts[items[0].contact_pk].account
        rows.append(outbox_email(name=OVERRIDE_EMAIL, dedupe_key=f"crm-override:{account_id}:{occurred_on}:{digest}",
                                 to=[p.formatted for p in csms], ctx={"account": account, "changes": changes},
                                 account=account))
    known = set(OutboundEmail.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows])
                .values_list("dedupe_key", flat=True))
    rows = [r for r in rows if r.dedupe_key not in known]      # the same import again: no second e-mail
    OutboundEmail.objects.bulk_create(rows)
    queue_outbox(rows)
