"""The one upsert path: records from any connector (snapshot file, HubSpot, Salesforce) → models.

``sync_accounts(snapshot, source=...)`` runs in one transaction.  For every table it reads what is
stored for the accounts in hand (one query per table), compares it with the records, and writes only
what is new or changed, so importing the same file twice writes nothing.  New rows go in bulk
(PostgreSQL ``COPY`` for the large tables, ``bulk_create`` elsewhere); changed rows are upserted with
``INSERT … ON CONFLICT DO UPDATE``.

What the CRM owns wholesale — the account team, goals and alignment rows — is replaced by the file's
list.  Of a contact, the decisions people make in the tracker (sponsor role, status, title) survive a
sync unless the CRM changed its own value (``sponsors/crm/ownership.py``, ``contact_sync.py``).
History — contacts, interactions, org changes, metrics — is only ever added to or updated:
a contact or interaction missing from a later export is kept.  An org change's review state (a CSM
confirmed or dismissed it) is never overwritten by a re-import.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.json_problems import Problem
from accounts.models import Account, AccountTeamMember, Goal, StrategicAlignment, User, ValueMetric

from ..bulk import gc_paused
from ..models import Interaction, InteractionParticipant, OrgChange
from ..orgchanges.review import dismissed_fingerprints, state_for
from ..participant_copies import COPIES
from ..rules.triage import change_fingerprint
from .contact_sync import sync_contacts
from .snapshot import Snapshot, SnapshotError
from .upsert import (
    COPY_THRESHOLD,
    UPSERT_BATCH_SIZE,
    analyze_on_commit,
    copy_integers,
    copy_new,
    is_postgres,
    replace_set,
    upsert,
)


@dataclass
class SyncSummary:
    counts: dict = field(default_factory=lambda: {})

    def add(self, table, **kw):
        self.counts.setdefault(table, Counter()).update({k: v for k, v in kw.items() if v})

    @property
    def changed(self) -> bool:
        return any(c.get("created") or c.get("updated") or c.get("removed") for c in self.counts.values())

    def lines(self):
        for table, c in self.counts.items():
            parts = [f"{c[k]} {k}" for k in ("created", "updated", "removed", "unchanged") if c.get(k)]
            yield f"{table}: {', '.join(parts) or 'nothing'}"


# --- one sync per source at a time ---------------------------------------------------------

SYNC_LOCK_CLASS = 0x53594E43   # "SYNC": the advisory-lock namespace of CRM syncs (the key is the source)


class SyncBusy(SnapshotError):
    """Another import or sync of the same source holds the lock and we were told not to wait."""


class SyncConflict(SnapshotError):
    """The database refused a write (a concurrent writer got there first, or a value it cannot hold);
    nothing of the file was written."""


def take_sync_lock(source: str, *, wait: bool = True, on_wait=None) -> None:
    """Hold the per-source advisory lock until the current transaction ends (PostgreSQL; SQLite
    serialises writers anyway).  Busy: call ``on_wait(message)`` and wait, or raise ``SyncBusy``."""
    if not is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", [SYNC_LOCK_CLASS, source])
        if cursor.fetchone()[0]:
            return
        busy = f"another import or sync of source {source!r} is running"
        if not wait:
            raise SyncBusy([Problem("", f"{busy}; not imported, try again when it has finished")])
        if on_wait:
            on_wait(f"{busy}; waiting for it to finish …")
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [SYNC_LOCK_CLASS, source])


def _conflict(exc: DatabaseError) -> SyncConflict:
    diag = getattr(exc.__cause__, "diag", None)
    where = getattr(diag, "constraint_name", None) or getattr(diag, "table_name", None) or ""
    what = f" ({where})" if where else ""
    if isinstance(exc, IntegrityError):
        message = (f"another process wrote the same rows at the same time{what}; nothing of this file was "
                   "written — import it again")
    else:
        message = f"the database refused a value{what}: {str(exc).splitlines()[0][:200]}; nothing was written"
    return SyncConflict([Problem("", message)])


# --- the sync ----------------------------------------------------------------------------

def _sync_users(records, summary):
    people = {}
    for rec in records:
        for person in ([rec.owner] if rec.owner else []) + rec.team:
            known = people.get(person.email)
            if known is None or (not known.name and person.name):
                people[person.email] = person
            if person.role == "manager":
                people[person.email].role = "manager"
    users = _users_by_email(people)
    missing = []
    for email, person in people.items():
        if email in users:
            continue
        first, _, last = (person.name or "").partition(" ")
        user = User(
            username=email, email=email, first_name=first[:150], last_name=last[:150], is_active=False,
            role=User.Role.MANAGER if person.role == "manager" else User.Role.CSM,
        )
        user.set_unusable_password()
        missing.append(user)
    # Another source's sync may create the same colleague at the same moment: skip, then read back.
    User.objects.bulk_create(missing, ignore_conflicts=True)
    users.update(_users_by_email([u.email for u in missing]))
    summary.add("users", created=len(missing), unchanged=len(people) - len(missing))
    return users


def _users_by_email(emails) -> dict:
    """``{lower-case e-mail: User}`` (e-mails are unique whatever their case)."""
    emails = [e.lower() for e in emails]
    found = User.objects.annotate(email_ci=Lower("email")).filter(email_ci__in=emails) if emails else []
    return {u.email.lower(): u for u in found}


def _sync_account_rows(records, users, source, summary, progress) -> tuple[dict, list]:
    """The account rows; returns ``{account pk: AccountRecord}`` and the pks of the accounts that were stored
    before (``known``).  An account this sync creates has nothing stored yet — no other transaction can see it
    before our commit, let alone point a row at it — so its stored team, contacts, interactions … are not read."""
    desired = {}
    for rec in records:
        desired[(source, rec.external_id)] = (
            rec.name, rec.tier, rec.industry, users[rec.owner.email].pk if rec.owner else None,
            None if rec.arr is None else _decimal(rec.arr), rec.currency, rec.contract_start, rec.renewal_date,
        )
    created = set()
    account_ids, counts = upsert(
        Account, key_fields=["source", "external_id"],
        value_fields=["name", "tier", "industry", "owner", "arr", "currency", "contract_start", "renewal_date"],
        desired=desired, existing_qs=Account.objects.filter(source=source, external_id__in=[k[1] for k in desired]),
        created=created,
    )
    summary.add("accounts", **counts)
    analyze_on_commit(Account, counts)
    progress and progress(len(records))
    return ({account_ids[(source, rec.external_id)]: rec for rec in records},
            [pk for key, pk in account_ids.items() if key not in created])


def _sync_crm_lists(by_account, users, summary, known) -> None:
    """Account team, goals, alignment: the CRM's current lists replace what is stored (of the ``known`` accounts:
    the others have nothing stored)."""
    scope = known
    team = {(aid, users[m.email].pk): (m.role,) for aid, rec in by_account.items() for m in rec.team}
    summary.add("team members", **replace_set(
        AccountTeamMember, scope_qs=AccountTeamMember.objects.filter(account_id__in=scope),
        key_fields=["account", "user"], value_fields=["role"], desired=team))
    goals = {(aid, g[0]): (g[1], g[2]) for aid, rec in by_account.items() for g in rec.goals}
    summary.add("goals", **replace_set(
        Goal, scope_qs=Goal.objects.filter(account_id__in=scope), key_fields=["account", "name"],
        value_fields=["status", "progress"], desired=goals))
    alignment = {(aid, a[0], a[1]): (a[2],) for aid, rec in by_account.items() for a in rec.alignment}
    summary.add("alignment rows", **replace_set(
        StrategicAlignment, scope_qs=StrategicAlignment.objects.filter(account_id__in=scope),
        key_fields=["account", "our_initiative", "their_priority"], value_fields=["alignment"],
        desired=alignment))


def _sync_metrics(by_account, default_date, summary, known) -> None:
    """Metrics: history, one row per account and date."""
    metrics = {}
    for aid, rec in by_account.items():
        if rec.metrics:
            m = rec.metrics
            metrics[(aid, m.as_of or default_date)] = (m.roi, m.strategic_goals_progress, m.executive_dashboard_views)
    _ids, counts = upsert(
        ValueMetric, key_fields=["account", "as_of"],
        value_fields=["roi", "strategic_goals_progress", "executive_dashboard_views"], desired=metrics,
        existing_qs=ValueMetric.objects.filter(account_id__in=known))
    summary.add("metrics", **counts)


INTERACTION_FIELDS = ["type", "occurred_at", "direction", "purpose", "topics", "outcome", "responded_at",
                      "logged_by"]


def _sync_interactions(by_account, summary, progress, known) -> tuple[dict, int]:
    """Interactions (history: added or updated, never deleted); returns ``{(account pk, external id): pk}``
    and how many of them are new (all: then none has a participant stored yet)."""
    desired = {}
    for aid, rec in by_account.items():
        for it in rec.interactions:
            desired[(aid, it.external_id)] = (
                it.type, it.occurred_at, it.direction, it.purpose, it.topics, it.outcome, it.responded_at,
                it.logged_by,
            )
    interaction_ids, counts = upsert(
        Interaction, key_fields=["account", "external_id"], value_fields=INTERACTION_FIELDS, desired=desired,
        existing_qs=Interaction.objects.filter(account_id__in=known, external_id__isnull=False),
        progress=progress,
    )
    summary.add("interactions", **counts)
    analyze_on_commit(Interaction, counts)
    return interaction_ids, counts["created"]


def _sync_org_changes(by_account, contact_ids, summary, known) -> None:
    """Org changes (the review state of a stored one is the CSM's, never overwritten).  A new one that
    repeats a change a CSM dismissed — whichever source reported it — arrives dismissed."""
    desired, states = {}, {}
    dismissed = dismissed_fingerprints(known)
    for aid, rec in by_account.items():
        for oc in rec.org_changes:
            key = (aid, oc.external_id)
            contact = contact_ids.get((aid, oc.contact_id)) if oc.contact_id else None
            fp = change_fingerprint(oc.kind, contact, "", oc.headline)
            desired[key] = (contact, oc.kind, oc.occurred_on, oc.source, oc.headline, oc.url, oc.confidence,
                            oc.evidence, fp)
            states[key] = state_for(oc.confidence, dismissed=(aid, fp) in dismissed)
    _ids, counts = _upsert_org_changes(desired, states, known)
    summary.add("org changes", **counts)


def sync_accounts(snapshot: Snapshot, *, source: str = "snapshot", progress=None, as_of: date | None = None,
                  wait: bool = True, on_wait=None):
    """Upsert every account of ``snapshot`` in one transaction; return a SyncSummary.

    One sync per ``source`` at a time (``take_sync_lock``): a second one waits (``on_wait`` hears
    why) or, with ``wait=False``, raises ``SyncBusy``.  A row the database refuses (a concurrent
    writer, a value out of bounds) raises ``SyncConflict`` with the problem; nothing is written."""
    summary = SyncSummary()
    records = snapshot.accounts
    occurred_on = as_of or (snapshot.exported_at.date() if snapshot.exported_at else timezone.localdate())
    try:
        with gc_paused(), transaction.atomic():      # bulk work: no garbage collection walks (sponsors/bulk.py)
            take_sync_lock(source, wait=wait, on_wait=on_wait)
            users = _sync_users(records, summary)
            by_account, known = _sync_account_rows(records, users, source, summary, progress)
            _sync_crm_lists(by_account, users, summary, known)
            _sync_metrics(by_account, occurred_on, summary, known)
            contact_ids = sync_contacts(by_account, occurred_on, summary, known=known)
            interaction_ids, created = _sync_interactions(by_account, summary, progress, known)
            _sync_participants(by_account, interaction_ids, contact_ids, summary,
                               all_new=created == len(interaction_ids))
            _sync_org_changes(by_account, contact_ids, summary, known)
    except (IntegrityError, DataError) as exc:
        raise _conflict(exc) from exc
    return summary


def _upsert_org_changes(desired, states, scope):
    value_fields = ["contact", "kind", "occurred_on", "source", "headline", "url", "confidence", "evidence",
                    "fingerprint"]
    existing_qs = OrgChange.objects.filter(account_id__in=scope, external_id__isnull=False)
    known = set(existing_qs.values_list("account_id", "external_id"))
    # New rows get their state from their confidence; stored ones keep theirs.
    by_state = {}
    for key, values in desired.items():
        by_state.setdefault("keep" if key in known else states[key], {})[key] = values
    ids, total = {}, Counter()
    for state, rows in by_state.items():
        got, counts = upsert(
            OrgChange, key_fields=["account", "external_id"], value_fields=value_fields, desired=rows,
            existing_qs=existing_qs, extra_on_create=None if state == "keep" else {"state": state},
        )
        ids.update(got)
        total.update(counts)
    return ids, total


def _sync_participants(by_account, interaction_ids, contact_ids, summary, *, all_new: bool):
    """The links of the synced interactions: new ones added, ones the source no longer lists removed.
    ``all_new``: every synced interaction was just created, so none has a stored link to read."""
    stored = {}
    if not all_new:
        qs = InteractionParticipant.objects.filter(interaction__account_id__in=list(by_account),
                                                   interaction__external_id__isnull=False)
        for pk, iid, cid in qs.values_list("pk", "interaction_id", "contact_id").iterator(chunk_size=20000):
            stored[(iid, cid)] = pk
    desired = {}   # an ordered set: new interactions' keys ascend in this order, so the sort below is cheap
    interactions = {}
    for aid, rec in by_account.items():
        for it in rec.interactions:
            iid = interaction_ids[(aid, it.external_id)]
            interactions[iid] = it
            for ref in it.contact_ids:
                desired[(iid, contact_ids[(aid, ref)])] = None
    new = sorted(pair for pair in desired if pair not in stored) if stored else sorted(desired)   # in key order:
    removed = []                                                                    # the indexes grow at their end
    if stored:
        synced = set(interaction_ids.values())
        removed = [pk for pair, pk in stored.items() if pair[0] in synced and pair not in desired]
    if new and is_postgres() and len(new) > COPY_THRESHOLD:
        if all_new:
            _copy_participants(new, interactions)
        else:   # some interactions were stored before: the database copies their fields (participant_copies.py)
            copy_integers(InteractionParticipant, ["interaction_id", "contact_id"], new)
        analyze_on_commit(InteractionParticipant, {"created": len(new)})
    else:
        InteractionParticipant.objects.bulk_create(
            [InteractionParticipant(interaction_id=i, contact_id=c) for i, c in new], batch_size=UPSERT_BATCH_SIZE)
    if removed:
        InteractionParticipant.objects.filter(pk__in=removed).delete()
    summary.add("participants", created=len(new), removed=len(removed), unchanged=len(desired) - len(new))


def _copy_participants(pairs, interactions) -> None:
    """COPY new participants of interactions this sync has just created, with the copies of their interaction's
    fields (``sponsors/participant_copies.py``) written from the very values the interactions were written with:
    the database then has nothing to fill in.  In COPY's binary format, as the interactions themselves
    (``copy_new``): the server parses no timestamps (55,000 participants 0.71 -> 0.56 s, as fast as the two ids
    alone were as text)."""
    copies, rows = {}, []
    for iid, cid in pairs:
        copied = copies.get(iid)
        if copied is None:      # the synced interaction's fields, by the names the interaction model gives them
            copied = copies[iid] = tuple(getattr(interactions[iid], name) for name in COPIES.values())
        rows.append((iid, cid, *copied))
    copy_new(InteractionParticipant, ["interaction_id", "contact_id", *COPIES], rows)


def _decimal(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))
