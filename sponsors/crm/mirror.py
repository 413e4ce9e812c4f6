"""The connection's mirror of its CRM (``CrmRecord``): pages are stored here as they arrive, and accounts
are rebuilt whole from here — the snapshot format's account entry with all its contacts, interactions and
metrics — and handed to ``sync.sync_accounts``, the one upsert path (field ownership, org changes, audit).

Why a mirror: an incremental page holds a few contacts or e-mails of many accounts, while the upsert path
takes whole accounts (it replaces the account team, it needs every contact an interaction lists).  Rebuilding
an account from the mirror gives it exactly what a snapshot export of that account would, so a sync and an
import agree, and an interaction whose contact arrives in a later run is linked then (no gap).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict

import orjson
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from ..models import CrmPendingAccount, CrmRecord
from .connectors.base import RecordProblem
from .snapshot import FORMAT, SnapshotError, parse_snapshot

_STORE = """
WITH page AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb)
        AS p(kind text, external_id text, account_key text, data jsonb, modified_at timestamptz, archived bool)
), written AS (
    INSERT INTO sponsors_crmrecord (connection_id, kind, external_id, account_key, data, modified_at, archived_at,
                                    problem)
    SELECT %(connection)s, kind, external_id, account_key, data, modified_at,
           CASE WHEN archived THEN now() END, ''
    FROM page
    ON CONFLICT (connection_id, kind, external_id) DO UPDATE SET
        account_key = COALESCE(EXCLUDED.account_key, sponsors_crmrecord.account_key),
        data = CASE WHEN EXCLUDED.archived_at IS NULL THEN EXCLUDED.data ELSE sponsors_crmrecord.data END,
        modified_at = COALESCE(EXCLUDED.modified_at, sponsors_crmrecord.modified_at),
        archived_at = EXCLUDED.archived_at, problem = ''
    WHERE (EXCLUDED.archived_at IS NULL AND sponsors_crmrecord.data IS DISTINCT FROM EXCLUDED.data)
       OR (EXCLUDED.account_key IS NOT NULL
           AND sponsors_crmrecord.account_key IS DISTINCT FROM EXCLUDED.account_key)
       OR (sponsors_crmrecord.archived_at IS NULL) <> (EXCLUDED.archived_at IS NULL)
    RETURNING kind, external_id, account_key, (xmax = 0) AS created
), naming AS (
    -- the accounts whose team or owner names a person who changed (run per written person only)
    SELECT named.account_key FROM written w CROSS JOIN LATERAL (
        SELECT a.account_key FROM sponsors_crmrecord a
        WHERE a.connection_id = %(connection)s AND a.kind = 'account' AND a.account_key IS NOT NULL
          AND (a.data -> 'team' @> jsonb_build_array(jsonb_build_object('ref', w.external_id))
               OR a.data -> 'owner' ->> 'ref' = w.external_id)
    ) named
    WHERE w.kind = 'person'
), pending AS (
    INSERT INTO sponsors_crmpendingaccount (connection_id, account_key)
    SELECT DISTINCT %(connection)s, account_key FROM (
        SELECT account_key FROM written WHERE account_key IS NOT NULL AND kind <> 'person'
                                        AND account_key <> ALL(%(already)s::text[])
        UNION ALL
        SELECT account_key FROM naming
    ) touched
    ON CONFLICT DO NOTHING
), moved AS (
    UPDATE sponsors_crmcursor SET watermark = %(watermark)s, updated_at = now()
    WHERE id = %(cursor)s AND %(watermark)s::timestamptz IS NOT NULL
      AND (watermark IS NULL OR watermark < %(watermark)s::timestamptz)
), quick AS (
    SELECT set_config('synchronous_commit', 'off', true)
)
SELECT kind, external_id, account_key, created FROM written, quick
"""
# ``synchronous_commit`` off for the page's transaction only: a page and its watermark commit together; if
# PostgreSQL itself crashed before flushing them, both are lost together and the next run reads the page again,
# so the page need not wait for the disk.


def store_page(connection_id: int, items, *, cursor_id=None, watermark=None, pending: set | None = None) -> dict:
    """Upsert a page's items into the mirror, mark their accounts pending and move the stream's watermark — one
    statement whatever the page holds (the page travels as one JSON document); returns counts.  Only new or
    changed rows are written; a person who changed makes the accounts naming them (team or owner) pending, in
    the same statement.

    ``pending`` (a run's pages): the account keys this run has already marked pending, committed — they are
    not marked again (nothing clears a mark before the run's apply phase); the keys this page marks are added
    to it once the page's transaction commits (on_commit: a page rolled back adds nothing)."""
    latest = {}
    for item in items:                       # the newest version of a record wins within a page
        latest[(item.kind, item.key)] = item
    rows = orjson.dumps([{"kind": i.kind, "external_id": i.key[:128], "account_key": i.account_key,
                          "data": i.data, "modified_at": i.modified_at, "archived": i.archived}
                         for i in latest.values()]).decode()
    already = [] if not pending else list({i.account_key for i in latest.values()} & pending)
    with db.cursor() as cursor:
        cursor.execute(_STORE, {"rows": rows, "connection": connection_id, "cursor": cursor_id,
                                "watermark": watermark, "already": already})
        written = cursor.fetchall()
    if pending is not None:
        marked = {key for kind, _ext, key, _c in written if key is not None and kind != "person"}
        transaction.on_commit(lambda: pending.update(marked))
    created = sum(1 for *_k, c in written if c)
    archived = sum(1 for item in latest.values() if item.archived)
    return {"created": created, "updated": len(written) - created, "archived": archived,
            "unchanged": len(latest) - len(written)}


_PLACE = """
WITH placed AS (
    UPDATE sponsors_crmrecord i SET account_key = c.account_key
    FROM sponsors_crmrecord c
    WHERE i.connection_id = %(connection)s AND i.kind = 'interaction' AND i.account_key IS NULL
      AND i.archived_at IS NULL AND c.connection_id = i.connection_id AND c.kind = 'contact'
      AND c.account_key IS NOT NULL AND c.external_id = i.data -> 'contact_ids' ->> 0
    RETURNING i.account_key
)
INSERT INTO sponsors_crmpendingaccount (connection_id, account_key)
SELECT DISTINCT %(connection)s, account_key FROM placed ON CONFLICT DO NOTHING
"""


def pending_account_keys(connection_id: int) -> list[str]:
    """Place interactions that named no account by their first contact's, then list the accounts to apply."""
    with db.cursor() as cursor:
        cursor.execute(_PLACE, {"connection": connection_id})
    return sorted(CrmPendingAccount.objects.filter(connection_id=connection_id)
                  .values_list("account_key", flat=True))


def applied(connection_id: int, keys) -> None:
    """These accounts are upserted (called in the transaction that upserted them)."""
    CrmPendingAccount.objects.filter(connection_id=connection_id, account_key__in=list(keys)).delete()


# --- rebuilding accounts ------------------------------------------------------------------------------

def _resolve_people(rows_by_key, connection_id) -> dict:
    refs = set()
    for rows in rows_by_key.values():
        for kind, _key, data in rows:
            if kind == "account":
                refs.update(m["ref"] for m in data.get("team", []))
                if data.get("owner"):
                    refs.add(data["owner"]["ref"])
            elif kind == "interaction" and isinstance(data.get("logged_by"), dict):
                refs.add(data["logged_by"]["ref"])
    return dict(CrmRecord.objects.filter(connection_id=connection_id, kind="person", external_id__in=refs)
                .values_list("external_id", "data"))


def _account(data, people) -> dict:
    account = {k: v for k, v in data.items() if k not in ("owner", "team")}
    owner = people.get((data.get("owner") or {}).get("ref"))
    if owner:
        account["owner"] = {"email": owner["email"], "name": owner.get("name") or None}
    team, emails = [], set()
    for member in data.get("team", []):
        person = people.get(member["ref"])
        if person and person["email"] not in emails:
            emails.add(person["email"])
            team.append({"email": person["email"], "name": person.get("name") or None, "role": member["role"]})
    account["team"] = team
    return account


def _link_replies(interactions) -> None:
    """An outbound e-mail's reply: the first inbound e-mail after it from one of its contacts (HubSpot and
    Salesforce log replies as separate e-mails)."""
    inbound = defaultdict(list)          # contact -> the times of the inbound e-mails they took part in, sorted
    for i in interactions:
        if i["type"] == "email" and i["direction"] == "inbound":
            for contact in set(i["contact_ids"]):
                inbound[contact].append(i["occurred_at"])
    for times in inbound.values():
        times.sort()
    for it in interactions:
        if it["type"] == "email" and it["direction"] == "outbound" and not it.get("responded_at"):
            after = it["occurred_at"]
            firsts = [times[n] for times in (inbound.get(c) for c in set(it["contact_ids"])) if times
                      for n in (bisect_right(times, after),) if n < len(times)]
            it["responded_at"] = min(firsts, default=None)


def build_entry(rows, people, skip) -> dict | None:
    """One account entry of the snapshot format from its mirror rows (``skip``: (kind, key) left out)."""
    by_kind = defaultdict(list)
    for kind, key, data in rows:
        if (kind, key) not in skip:
            by_kind[kind].append((key, data))
    if not by_kind["account"]:
        return None                      # its company has not arrived yet: applied when it does
    extra_roles = defaultdict(list)              # Salesforce: OpportunityContactRole rows
    for _key, data in by_kind["contact_role"]:
        extra_roles[data["contact"]].extend(data["roles"])
    contacts = []
    for _key, data in sorted(by_kind["contact"], key=lambda kd: kd[0]):
        if extra_roles.get(data["id"]):
            roles = list(dict.fromkeys([*extra_roles[data["id"]], *data["roles"]]))
            data = {**data, "roles": [r for r in roles if r != "other"] or ["other"]}
        contacts.append(data)
    known = {c["id"] for c in contacts}
    interactions = []
    for _key, data in sorted(by_kind["interaction"], key=lambda kd: (kd[1].get("occurred_at") or "", kd[0])):
        it = {**data, "contact_ids": [c for c in dict.fromkeys(data.get("contact_ids", [])) if c in known]}
        logged = it.get("logged_by")
        it["logged_by"] = (people.get(logged["ref"]) or {}).get("email") if isinstance(logged, dict) else logged
        interactions.append(it)
    _link_replies(interactions)
    entry = {"account": _account(by_kind["account"][0][1], people), "contacts": contacts,
             "interactions": interactions}
    if by_kind["metrics"]:
        entry["metrics"] = max((data for _k, data in by_kind["metrics"]), key=lambda d: d.get("as_of") or "")
    return entry


_PATH = re.compile(r"^accounts\[(\d+)\](?:\.(contacts|interactions)\[(\d+)\])?")
_KIND_OF = {"contacts": "contact", "interactions": "interaction"}


def build_snapshot(connection_id, keys, *, problems: list):
    """The snapshot of these accounts, rebuilt from the mirror and validated like a file.  A record the
    snapshot rules refuse is left out, reported in ``problems`` (object, id, why) and marked in the mirror;
    the rest of its account goes on.  Returns (Snapshot or None, the account keys it holds)."""
    rows_by_key = defaultdict(list)
    # A contact deleted in the CRM stays in its account's record (as last seen), so the interactions it took
    # part in keep it; deleted accounts and interactions are left out (the tracker keeps their rows).  The
    # JSON is read as text and decoded by orjson (several times faster than the JSON field's decoder).
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT kind, external_id, account_key, data::text FROM sponsors_crmrecord WHERE connection_id = %s "
            "AND account_key = ANY(%s) AND problem = '' AND kind <> 'person' "
            "AND (archived_at IS NULL OR kind = 'contact')", [connection_id, list(keys)])
        loads = orjson.loads
        for kind, key, account_key, data in cursor.fetchall():
            rows_by_key[account_key].append((kind, key, loads(data)))
    people = _resolve_people(rows_by_key, connection_id)
    skip: set = set()
    for _attempt in range(5):
        entries, held = [], []
        for key in keys:
            entry = build_entry(rows_by_key.get(key, []), people, skip)
            if entry is not None:
                entries.append(entry)
                held.append(key)
        if not entries:
            return None, []
        document = {"format": FORMAT, "exported_at": timezone.now().isoformat(), "accounts": entries}
        try:
            return parse_snapshot(document), held
        except SnapshotError as exc:
            bad = _refused(exc, entries, held)
            if not bad:
                raise
            _mark_refused(connection_id, bad, problems)
            skip.update(bad)
    raise SnapshotError([], "the CRM records kept failing the snapshot rules")


def _refused(exc, entries, held) -> dict:
    """``{(kind, key): message}`` for the records the snapshot problems point at."""
    bad = {}
    for problem in exc.problems:
        match = _PATH.match(problem.path or "")
        if not match:
            continue
        i = int(match[1])
        if match[2]:
            record = entries[i][match[2]][int(match[3])]
            bad.setdefault((_KIND_OF[match[2]], str(record["id"])), f"{problem.path.split('.', 1)[1]}: "
                                                                   f"{problem.message}")
        else:
            bad.setdefault(("account", held[i]), f"{problem.path.split('.', 1)[-1]}: {problem.message}")
    return bad


def _mark_refused(connection_id, bad, problems) -> None:
    with transaction.atomic():
        for (kind, key), message in bad.items():
            CrmRecord.objects.filter(connection_id=connection_id, kind=kind, external_id=key).update(
                problem=message[:1000])
            problems.append(RecordProblem(kind, key, message))
