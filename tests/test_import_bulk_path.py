"""The large-file import path on PostgreSQL: new rows COPYed with keys taken from the table's sequence
first (no read-back of the numbers the database gave them), no read of stored participants when every
interaction is new, and decode, parse and sync with the garbage collector paused (sponsors/bulk.py)."""

from __future__ import annotations

import gc
import json
from datetime import date

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from sponsors.crm import snapshot as snapshot_module
from sponsors.crm.demo import demo_snapshot
from sponsors.crm.snapshot import decode_snapshot, parse_snapshot
from sponsors.crm.sync import sync_accounts
from sponsors.crm.upsert import COPY_THRESHOLD
from sponsors.models import Interaction, InteractionParticipant, OrgChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def large():
    doc = demo_snapshot(accounts=20, as_of=date(2026, 11, 20), seed=5, interactions_scale=2)
    assert sum(len(a["interactions"]) for a in doc["accounts"]) > COPY_THRESHOLD
    return doc


def links(doc):
    """{(account external id, interaction external id): {contact external id}} as the file says."""
    return {(a["account"]["id"], i["id"]): set(i["contact_ids"]) for a in doc["accounts"] for i in a["interactions"]}


def stored_links():
    out = {}
    for account, interaction, contact in InteractionParticipant.objects.values_list(
            "interaction__account__external_id", "interaction__external_id", "contact__external_id"):
        out.setdefault((account, interaction), set()).add(contact)
    return out


def test_copied_rows_link_the_right_interactions_without_reading_their_keys_back(large):
    with CaptureQueriesContext(connection) as queries:
        sync_accounts(parse_snapshot(large))
    sql = [q["sql"] for q in queries.captured_queries]
    asked = [i for i, s in enumerate(sql) if "pg_get_serial_sequence('sponsors_interaction'" in s]
    assert asked and "nextval(" in sql[asked[0] + 1] and "generate_series" in sql[asked[0] + 1]  # keys up front
    assert not any(s.startswith(("SELECT", "DECLARE")) and "sponsors_interactionparticipant" in s for s in sql)
    assert stored_links() == links(large)                                              # every link where it belongs
    written = list(InteractionParticipant.objects.order_by("pk").values_list("interaction_id", "contact_id"))
    assert written == sorted(written)                       # COPYed in key order: the indexes grow at their end
    Interaction.objects.create(account_id=Interaction.objects.first().account_id, type="call",
                               occurred_at="2026-11-01T10:00:00Z", direction="meeting")   # the sequence moved on


def test_a_second_import_reads_the_stored_links_and_drops_the_one_no_longer_listed(large):
    sync_accounts(parse_snapshot(large))
    shared = next(i for a in large["accounts"] for i in a["interactions"] if len(set(i["contact_ids"])) > 1)
    shared["contact_ids"] = shared["contact_ids"][:1]
    before = InteractionParticipant.objects.count()
    with CaptureQueriesContext(connection) as queries:
        summary = sync_accounts(parse_snapshot(large))
    assert any("sponsors_interactionparticipant" in q["sql"] and "SELECT" in q["sql"]
               for q in queries.captured_queries)
    assert stored_links() == links(large)
    assert summary.counts["interactions"]["created"] == 0 and summary.counts["participants"]["removed"] >= 1
    assert InteractionParticipant.objects.count() < before


def test_decode_and_parse_run_with_the_collector_paused(large, monkeypatch):
    seen = []
    validate = snapshot_module.validate_schema

    def watching(data, **options):
        seen.append(gc.isenabled())
        return validate(data, **options)

    class Decoder:
        JSONDecodeError = snapshot_module.orjson.JSONDecodeError

        @staticmethod
        def loads(raw):
            seen.append(gc.isenabled())
            return json.loads(raw)

    monkeypatch.setattr(snapshot_module, "validate_schema", watching)
    monkeypatch.setattr(snapshot_module, "orjson", Decoder)
    assert gc.isenabled()
    parse_snapshot(decode_snapshot(json.dumps(large).encode()))
    assert seen == [False, False] and gc.isenabled()


AWKWARD = "tab\there, new\nline, cr\r, back\\slash, \\N, \\t, ünïcödé 😀, \"quoted\""


def stored_rows():
    """Every written column of the synced tables but keys and write times, by (source, account, external id)."""
    from sponsors.models import Contact

    drop = {"id", "account_id", "created_at", "updated_at", "owner_id", "contact_id", "fingerprint"}  # keys, times

    def by_key(qs, key):
        return {key(row): {k: v for k, v in row.items() if k not in drop} for row in qs.values()}

    return {
        "accounts": by_key(Account.objects.all(), lambda r: (r["source"], r["external_id"])),
        "contacts": by_key(Contact.objects.annotate(src=F("account__source"), acc=F("account__external_id")),
                           lambda r: (r["src"], r["acc"], r["external_id"])),
        "interactions": by_key(Interaction.objects.annotate(src=F("account__source"), acc=F("account__external_id")),
                               lambda r: (r["src"], r["acc"], r["external_id"])),
        "org changes": by_key(OrgChange.objects.annotate(src=F("account__source"), acc=F("account__external_id"),
                                                         who=F("contact__external_id")).defer("contact"),
                              lambda r: (r["src"], r["acc"], r["external_id"])),
    }


def test_copy_stores_exactly_what_the_orm_stores_awkward_texts_included(large, monkeypatch):
    """Interactions and contacts go through COPY in binary, accounts and org changes (number columns) in text: the
    same file through COPY and through bulk_create gives the very same values (an org change's unset old and new
    values included: "" as bulk_create writes them, not NULL)."""
    from sponsors.crm import upsert as upsert_module

    for entry in large["accounts"]:
        entry["account"]["name"] = AWKWARD[:200]
        for contact in entry["contacts"]:
            contact["title"] = AWKWARD
            contact["priorities"] = [AWKWARD, "plain"]
        for it in entry["interactions"][:5]:
            it.update(outcome=AWKWARD, topics=[AWKWARD, "x"], logged_by="back\\slash@vendor.example")
    sync_accounts(parse_snapshot(large), source="orm")
    monkeypatch.setattr(upsert_module, "COPY_THRESHOLD", 0)
    copied_as = {}
    types_of = upsert_module._binary_copy_types

    def spying(model, columns):
        copied_as[model.__name__] = "text" if types_of(model, columns) is None else "binary"
        return types_of(model, columns)

    monkeypatch.setattr(upsert_module, "_binary_copy_types", spying)
    sync_accounts(parse_snapshot(large), source="copy")
    assert {name: copied_as.get(name) for name in ("Account", "Contact", "Interaction", "OrgChange")} == {
        "Account": "text", "Contact": "binary", "Interaction": "binary", "OrgChange": "text"}
    stored = stored_rows()
    for table, rows in stored.items():
        orm = {key[1:]: values for key, values in rows.items() if key[0] == "orm"}
        copied = {key[1:]: values for key, values in rows.items() if key[0] == "copy"}
        for values in (*orm.values(), *copied.values()):
            values.pop("source", None), values.pop("src", None)
        assert orm and copied == orm, table
    assert stored["interactions"][("copy", large["accounts"][0]["account"]["id"], large["accounts"][0][
        "interactions"][0]["id"])]["outcome"] == AWKWARD


SYNCED_TABLES = ("accounts_accountteammember", "accounts_goal", "accounts_strategicalignment", "accounts_valuemetric",
                 "sponsors_contact", "sponsors_interaction", "sponsors_interactionparticipant", "sponsors_orgchange")


def test_accounts_the_sync_creates_have_nothing_stored_to_read(large):
    with CaptureQueriesContext(connection) as queries:
        sync_accounts(parse_snapshot(large))
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("SELECT", "DECLARE", "DELETE"))]
    assert [table for table in SYNCED_TABLES if any(f'FROM "{table}"' in sql for sql in reads)] == []


def test_a_sync_of_known_and_new_accounts_replaces_the_known_ones_lists(large):
    from accounts.models import AccountTeamMember

    first = dict(large, accounts=large["accounts"][:8])
    sync_accounts(parse_snapshot(first))
    known = large["accounts"][0]
    dropped = known["account"]["team"].pop()
    known["interactions"][0]["contact_ids"] = known["interactions"][0]["contact_ids"][:1]
    summary = sync_accounts(parse_snapshot(large))
    team = set(AccountTeamMember.objects.filter(account__external_id=known["account"]["id"])
               .values_list("user__email", flat=True))
    assert dropped["email"] not in team and team == {m["email"] for m in known["account"]["team"]}
    assert summary.counts["team members"]["removed"] == 1 and summary.counts["accounts"]["created"] == 12
    assert stored_links() == links(large)
