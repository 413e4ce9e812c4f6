"""The snapshot file format (``docs/snapshot-format.md``): validate, then turn into records.

``parse_snapshot(data)`` checks a decoded document against the JSON Schema this project ships
(``schemas/snapshot-v1.schema.json``: every text carries its column's ``maxLength``, numbers their
column's bounds, no NUL characters, dates inside THE product range of ``accounts.inputs``) and then
the rules a schema cannot express (unique ids, one primary sponsor, references to contacts, real
calendar dates, org-change evidence PostgreSQL can store).  Every problem names its JSON path, e.g.
``accounts[3].interactions[17].occurred_at``; so does any decode problem of ``load_snapshot`` (size,
depth, encoding).  Nothing here touches the database:
the records it returns go to ``accounts.crm.sync.sync_accounts``, the one upsert path that every
connector (file, HubSpot, Salesforce) feeds.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import orjson

from accounts.inputs import (
    MAX_JSON_DEPTH,
    InputError,
    json_problems,
    parse_date,
    parse_datetime,
    shown,
)
from accounts.json_problems import MAX_REPORTED_PROBLEMS, Problem
from accounts.vocabulary import is_executive

from ..bulk import gc_paused
from .records import (
    AccountRecord,
    ContactRecord,
    InteractionRecord,
    MetricRecord,
    OrgChangeRecord,
    PersonRecord,
    Snapshot,
)
from .snapshot_schema import (
    LOGGED_BY_MAX_LENGTH,
    PERSON_EMAIL_MAX_LENGTH,
    interaction_is_valid,
    schema_report,
    validate_schema,
)

FORMAT = "exec-sponsor-snapshot/1"
MAX_SNAPSHOT_BYTES = 1024 ** 3          # 1 GiB: a 100,000-interaction export is about 30 MB


class _InvalidInteraction(Exception):
    """An interaction does not match the schema (found while parsing): the whole document's report follows."""


class SnapshotError(Exception):
    """The file is not a valid snapshot; ``problems`` name each JSON path at fault."""

    def __init__(self, problems, source=""):
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(str(p) for p in self.problems[:5]))


# --- parsing ---------------------------------------------------------------------------

class _Collector:
    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, path, message):
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(Problem(path, message))

    def date(self, value, path):
        if value is None:
            return None
        try:
            return parse_date(value, field=path)
        except InputError as exc:
            self.add(path, exc.message)
            return None

    def datetime(self, value, path):
        if value is None:
            return None
        try:
            return parse_datetime(value, field=path)
        except InputError as exc:
            self.add(path, exc.message)
            return None

    def storable(self, value, path):
        """Raw JSON kept as evidence: no NUL characters, no nesting deeper than the product allows."""
        for where, message in json_problems(value, path=path, max_depth=MAX_JSON_DEPTH):
            self.add(where, message)


def _sid(value) -> str:
    return str(int(value)) if type(value) is float else str(value)


def _text(value) -> str:
    return "" if value is None else str(value)


def _lowered(value: str, path: str, c: _Collector, max_length: int) -> str:
    """An e-mail address as stored (trimmed, lower case); lower-casing can lengthen a text ("İ" → "i̇")."""
    lowered = value.strip().lower()
    if len(lowered) > max_length:
        c.add(path, f"is {len(lowered):,} characters long in lower case; at most {max_length} fit (the column's size)")
    return lowered


def _parse_person(person: dict, path: str, c: _Collector, role: str = "") -> PersonRecord:
    email = _lowered(person["email"], f"{path}.email", c, PERSON_EMAIL_MAX_LENGTH)
    return PersonRecord(email, _text(person.get("name")), role)


def _parse_account(entry: dict, base: str, c: _Collector) -> AccountRecord:
    """The ``account`` part: the account row, its owner and team, goals and alignment rows."""
    a = entry["account"]
    contract = a.get("contract") or {}
    owner = a.get("owner")
    rec = AccountRecord(
        external_id=_sid(a["id"]), name=a["name"], tier=a["tier"], industry=_text(a.get("industry")),
        owner=_parse_person(owner, f"{base}.account.owner", c) if owner else None,
        arr=contract.get("arr"), currency=_text(contract.get("currency")).upper(),
        contract_start=c.date(contract.get("start_date"), f"{base}.account.contract.start_date"),
        renewal_date=c.date(contract.get("renewal_date"), f"{base}.account.contract.renewal_date"),
        path=base,
    )
    seen_team = {}
    for j, m in enumerate(a.get("team") or []):
        person = _parse_person(m, f"{base}.account.team[{j}]", c, m.get("role") or "other")
        if person.email in seen_team:
            c.add(f"{base}.account.team[{j}].email",
                  f"{person.email!r} is listed twice (first at team[{seen_team[person.email]}])")
        seen_team.setdefault(person.email, j)
        rec.team.append(person)
    seen_goals = set()
    for j, g in enumerate(a.get("goals") or []):
        if g["name"] in seen_goals:
            c.add(f"{base}.account.goals[{j}].name", f"duplicate goal {g['name']!r}")
        seen_goals.add(g["name"])
        rec.goals.append((g["name"], g.get("status") or "on_track", g.get("progress")))
    seen_alignment = set()
    for j, al in enumerate(a.get("alignment") or []):
        key = (al["our_initiative"], al["their_priority"])
        if key in seen_alignment:
            c.add(f"{base}.account.alignment[{j}]", f"duplicate alignment row {key[0]!r} ↔ {key[1]!r}")
        seen_alignment.add(key)
        rec.alignment.append((al["our_initiative"], al["their_priority"], al["alignment"]))
    return rec


def _parse_contacts(entry: dict, base: str, rec: AccountRecord, c: _Collector) -> dict[str, str]:
    """The contacts; returns ``{contact id: JSON path}`` for the references that follow."""
    contact_paths: dict[str, str] = {}
    primary_path = primary_name = None
    for j, ct in enumerate(entry.get("contacts") or []):
        path = f"{base}.contacts[{j}]"
        cid = _sid(ct["id"])
        if cid in contact_paths:
            c.add(f"{path}.id", f"duplicate contact id {cid!r} (first at {contact_paths[cid]})")
        contact_paths.setdefault(cid, path)
        sponsor = ct.get("sponsor") or ""
        if sponsor and not is_executive(ct["roles"]):
            c.add(f"{path}.sponsor", f"{ct['name'][:80]} is not an executive (roles: "
                                     f"{', '.join(ct['roles']) or 'none'}); only an executive sponsor, C-level "
                                     f"or VP can be {'the primary' if sponsor == 'primary' else 'a backup'} sponsor")
        if sponsor == "primary":
            if primary_path:
                c.add(f"{path}.sponsor", f"a second primary sponsor: {primary_name} is already the primary sponsor "
                                         f"({primary_path}); an account has one")
            primary_path, primary_name = primary_path or path, primary_name or ct["name"][:80]
        rec.contacts.append(ContactRecord(
            external_id=cid, name=ct["name"], title=_text(ct.get("title")), email=_text(ct.get("email")),
            roles=list(dict.fromkeys(ct["roles"])), sponsor=sponsor,
            in_role_since=c.date(ct.get("in_role_since"), f"{path}.in_role_since"),
            priorities=list(ct.get("priorities") or []),
            communication_preference=_text(ct.get("communication_preference")),
            linkedin_url=_text(ct.get("linkedin_url")), status=ct.get("status") or "active",
        ))
    return contact_paths


def _contact_refs(refs, contact_keys, contact_paths, path, c: _Collector) -> list:
    if (len(refs) == 1 and refs[0] in contact_keys) or (
            contact_keys.issuperset(refs) and len(set(refs)) == len(refs)):
        return refs  # the common case: known string ids, no repeats
    contact_ids = []
    for k, ref in enumerate(refs):
        ref = _sid(ref)
        if ref not in contact_paths:
            c.add(f"{path}.contact_ids[{k}]", f"unknown contact {ref!r}: not among this account's contacts")
        elif ref not in contact_ids:
            contact_ids.append(ref)
    return contact_ids


def _parse_interactions(entry: dict, base: str, rec: AccountRecord, contact_paths: dict, c: _Collector) -> None:
    """The hot loop of a large file: no per-row strings; paths are built only for a problem.  Each interaction is
    checked against the schema here, as it is read (``validate_schema(..., interactions=False)``)."""
    seen_interactions: dict[str, int] = {}
    contact_keys = frozenset(contact_paths)  # string ids; an int reference takes the slow path
    interactions = rec.interactions
    fromiso = datetime.fromisoformat
    for j, it in enumerate(entry.get("interactions") or ()):
        if not interaction_is_valid(it):
            raise _InvalidInteraction
        iid = _sid(it["id"])
        first = seen_interactions.setdefault(iid, j)
        if first != j:
            c.add(f"{base}.interactions[{j}].id",
                  f"duplicate interaction id {iid!r} (first at {base}.interactions[{first}])")
        contact_ids = _contact_refs(it["contact_ids"], contact_keys, contact_paths, f"{base}.interactions[{j}]", c)
        try:
            occurred_at = fromiso(it["occurred_at"])
        except ValueError:
            occurred_at = c.datetime(it["occurred_at"], f"{base}.interactions[{j}].occurred_at")
        responded_at = it.get("responded_at")
        if responded_at is not None:
            try:
                responded_at = fromiso(responded_at)
            except ValueError:
                responded_at = c.datetime(responded_at, f"{base}.interactions[{j}].responded_at")
        logged_by = it.get("logged_by")
        if logged_by:
            logged_by = logged_by.strip().lower()
            if len(logged_by) > LOGGED_BY_MAX_LENGTH:
                _lowered(logged_by, f"{base}.interactions[{j}].logged_by", c, LOGGED_BY_MAX_LENGTH)
        interactions.append(InteractionRecord(
            iid, it["type"], occurred_at, contact_ids, it["direction"], it.get("purpose") or "strategic",
            list(it.get("topics") or ()), it.get("outcome") or "", responded_at, logged_by or "",
        ))


def _parse_org_changes(entry: dict, base: str, rec: AccountRecord, contact_paths: dict, c: _Collector) -> None:
    seen_changes: dict[str, str] = {}
    for j, oc in enumerate(entry.get("org_changes") or []):
        path = f"{base}.org_changes[{j}]"
        oid = _sid(oc["id"])
        if oid in seen_changes:
            c.add(f"{path}.id", f"duplicate org change id {oid!r} (first at {seen_changes[oid]})")
        seen_changes.setdefault(oid, path)
        ref = oc.get("contact_id")
        if ref is not None and _sid(ref) not in contact_paths:
            c.add(f"{path}.contact_id", f"unknown contact {_sid(ref)!r}: not among this account's contacts")
        c.storable(oc, path)  # the whole record is kept as evidence, unknown keys included
        confidence = oc.get("confidence")
        rec.org_changes.append(OrgChangeRecord(
            external_id=oid, contact_id=None if ref is None else _sid(ref), kind=oc["kind"],
            occurred_on=c.date(oc["occurred_on"], f"{path}.occurred_on"), source=oc["source"],
            headline=_text(oc.get("headline")), url=_text(oc.get("url")),
            confidence=1.0 if confidence is None else float(confidence), evidence=oc,
        ))


@gc_paused()
def parse_snapshot(data, *, source: str = "") -> Snapshot:
    """Validate a decoded snapshot document and return its records, or raise SnapshotError (bulk
    work: with the garbage collector paused)."""
    if not isinstance(data, dict):
        raise SnapshotError([Problem("", "a snapshot is one JSON object")], source)
    if data.get("format") != FORMAT:
        raise SnapshotError([Problem("format", f"must be {FORMAT!r}, got {shown(data.get('format'))}")], source)
    problems = validate_schema(data, interactions=False)   # the interactions: each as it is parsed
    if problems:
        raise SnapshotError(problems, source)
    try:
        return _parse_valid(data, source)
    except _InvalidInteraction:
        raise SnapshotError(schema_report(data), source) from None


def _parse_valid(data, source: str) -> Snapshot:
    """The records of a document whose schema checks passed (its interactions are checked as they come)."""
    c = _Collector()
    accounts = []
    seen_accounts: dict[str, str] = {}
    for i, entry in enumerate(data["accounts"]):
        base = f"accounts[{i}]"
        rec = _parse_account(entry, base, c)
        if rec.external_id in seen_accounts:
            c.add(f"{base}.account.id",
                  f"duplicate account id {rec.external_id!r} (first at {seen_accounts[rec.external_id]})")
        seen_accounts.setdefault(rec.external_id, base)
        contact_paths = _parse_contacts(entry, base, rec, c)
        _parse_interactions(entry, base, rec, contact_paths, c)
        m = entry.get("metrics")
        if m:
            rec.metrics = MetricRecord(
                as_of=c.date(m.get("as_of"), f"{base}.metrics.as_of"), roi=m.get("roi"),
                strategic_goals_progress=m.get("strategic_goals_progress"),
                executive_dashboard_views=m.get("executive_dashboard_views"),
            )
        _parse_org_changes(entry, base, rec, contact_paths, c)
        accounts.append(rec)
    exported_at = c.datetime(data.get("exported_at"), "exported_at")
    if c.problems:
        raise SnapshotError(c.problems, source)
    return Snapshot(exported_at=exported_at, accounts=accounts)


def decode_snapshot(raw: bytes, *, source: str = ""):
    """The decoded JSON document, or SnapshotError with the decode problem (encoding, syntax, depth)."""
    try:
        with gc_paused():  # a large file is a million objects, none in a cycle: no collection walks them
            return orjson.loads(raw)  # 4x faster than json on a large file
    except orjson.JSONDecodeError as exc:
        reason = exc.msg
    if "depth" in reason:
        raise SnapshotError([Problem("", f"nested too deeply ({reason}); a snapshot is a few levels deep")], source)
    # orjson's message has no line/column; the standard library says where the fault is.
    try:
        json.loads(raw)
    except UnicodeDecodeError as exc:
        raise SnapshotError([Problem("", f"the file is not UTF-8 text ({exc.reason})")], source) from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            [Problem("", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")], source) from None
    except RecursionError:
        raise SnapshotError([Problem("", "nested too deeply; a snapshot is a few levels deep")], source) from None
    except ValueError:   # e.g. an integer of thousands of digits
        pass
    raise SnapshotError([Problem("", f"malformed JSON: {reason}")], source)


def load_snapshot(path) -> Snapshot:
    """Read, decode and parse one snapshot file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_SNAPSHOT_BYTES:
            raise SnapshotError([Problem("", f"the file is {size:,} bytes; at most {MAX_SNAPSHOT_BYTES:,} are "
                                             "imported at once (split the export)")], str(path))
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError([Problem("", f"cannot read the file: {exc.strerror or exc}")], str(path)) from exc
    return parse_snapshot(decode_snapshot(raw, source=str(path)), source=str(path))
