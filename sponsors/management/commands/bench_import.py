"""``manage.py bench_import``: how fast the snapshot import is, against PostgreSQL's own COPY.

Builds a snapshot file with ``--interactions`` interactions (default 100,000), imports it once
(warm-up; its rows are read back), then alternates ``--runs`` pairs of: the import through the real
path (read → parse → validate → sync → the deferred foreign-key checks, one transaction) and COPY
of the very same interaction and participant rows into scratch tables shaped like ours.  Prints
min / median / max of both, of each import phase and of the ratio per pair; and COPY into scratch
tables that also have our foreign keys.  Every side runs in a transaction that is rolled back: the
database is left as it was.  Needs PostgreSQL (set DATABASE_URL).
"""

import json
import tempfile
import time
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.cli import as_of_date
from sponsors.bulk import gc_paused
from sponsors.crm import snapshot as snapshot_module
from sponsors.crm.demo import demo_snapshot
from sponsors.crm.sync import sync_accounts
from sponsors.set_wise_keys import SetWiseKey

from ._bench import alternate, machine_line, spread, spread_line


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark the snapshot import against PostgreSQL COPY of the same rows (prints figures)."

    def add_arguments(self, parser):
        parser.add_argument("--interactions", type=int, default=100_000)
        parser.add_argument("--as-of", type=as_of_date, default=date(2026, 11, 20))
        parser.add_argument("--runs", type=int, default=5, help="Pairs of (COPY, import), alternated (default 5).")

    def handle(self, *, interactions, as_of, runs, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_import compares with PostgreSQL COPY: set DATABASE_URL to a PostgreSQL database")
        if interactions < 1:
            raise CommandError("--interactions must be at least 1")
        if runs < 1:
            raise CommandError("--runs must be at least 1")
        document = self._document(interactions, as_of)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench-snapshot.json"
            path.write_text(json.dumps(document))
            size_mb = path.stat().st_size / 1e6
            self.phases = []
            rows = self._rolled_back(lambda: self._import_and_read(path))      # warm-up, and the rows to COPY
            self.stdout.write(f"snapshot file: {size_mb:.1f} MB, {len(document['accounts'])} accounts, "
                              f"{self.counts['contacts']} contacts, {len(rows[0])} interactions, {len(rows[1])} "
                              f"participants; {runs} pairs, alternated, each side rolled back")
            self.phases = []
            copy_times, import_times, ratios = alternate(
                lambda: self._rolled_back(lambda: self._copy_baseline(*rows)),
                lambda: self._rolled_back(lambda: self._import(path)), runs=runs, warmup=0, log=self.stdout.write)
            fk_copy = [self._rolled_back(lambda: self._copy_baseline(*rows, foreign_keys=True)) for _ in range(runs)]
        n = len(rows[0])
        for phase in ("read+decode", "validate+parse", "sync (write)", "foreign-key checks"):
            self.stdout.write(spread_line(f"  import phase {phase}", [p[phase] for p in self.phases]))
        self.stdout.write(spread_line("import (whole path)", import_times))
        self.stdout.write(spread_line("COPY of the same rows", copy_times))
        self.stdout.write(spread_line("COPY into tables with our FKs", fk_copy))
        self.stdout.write(spread_line("ratio import / COPY", ratios, unit=""))
        median = spread(ratios)[1]
        self.stdout.write(f"median ratio {median:.2f} (target <= 3: {'meets' if median <= 3 else 'misses'}); "
                          f"median import {n / spread(import_times)[1]:,.0f} interactions/s; against COPY with "
                          f"the same foreign keys {spread(import_times)[1] / spread(fk_copy)[1]:.2f}")
        self.stdout.write(machine_line())
        self.stdout.write("(all rows rolled back; the database is unchanged)")

    def _document(self, interactions, as_of):
        """Demo accounts scaled so the file holds exactly ``interactions`` interactions."""
        accounts = max(1, interactions // 100)
        document = demo_snapshot(accounts=accounts, as_of=as_of, seed=42, interactions_scale=4.5)
        total = sum(len(a["interactions"]) for a in document["accounts"])
        while total < interactions:  # top up: repeat an account's history under new ids
            for entry in document["accounts"]:
                extra = [dict(i, id=f"{i['id']}_r{total}") for i in entry["interactions"][: interactions - total]]
                entry["interactions"].extend(extra)
                total += len(extra)
                if total >= interactions:
                    break
        for entry in reversed(document["accounts"]):  # trim the surplus from the end
            surplus = total - interactions
            if surplus <= 0:
                break
            cut = min(surplus, len(entry["interactions"]))
            del entry["interactions"][len(entry["interactions"]) - cut:]
            total -= cut
        for entry in document["accounts"]:
            entry["account"]["id"] = f"bench_{entry['account']['id']}"
        return document

    def _rolled_back(self, fn):
        """Run ``fn`` in a transaction that is rolled back; return its result."""
        out = []
        try:
            with transaction.atomic():
                out.append(fn())
                raise Rollback
        except Rollback:
            pass
        return out[0]

    @gc_paused()      # as ``manage.py import_snapshot`` runs it
    def _import(self, path) -> float:
        """The real path, timed by phase: read → decode → validate and parse → sync → the deferred
        foreign-key checks a commit would run.  Returns the whole time."""
        t0 = time.perf_counter()
        raw = path.read_bytes()
        data = snapshot_module.decode_snapshot(raw, source=str(path))
        t1 = time.perf_counter()
        snapshot = snapshot_module.parse_snapshot(data, source=str(path))
        t2 = time.perf_counter()
        sync_accounts(snapshot, source="bench-import")
        t3 = time.perf_counter()
        with connection.cursor() as cursor:  # run the deferred foreign-key checks a commit would run
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        t4 = time.perf_counter()
        self.phases.append({"read+decode": t1 - t0, "validate+parse": t2 - t1, "sync (write)": t3 - t2,
                            "foreign-key checks": t4 - t3})
        self.counts = {"contacts": sum(len(a.contacts) for a in snapshot.accounts)}
        return t4 - t0

    def _import_and_read(self, path):
        """Import once (untimed warm-up) and read back the interaction and participant rows it wrote."""
        self._import(path)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.id, i.account_id, i.external_id, i.type, i.occurred_at, i.direction, i.purpose, "
                "i.topics::text, i.outcome, i.responded_at, i.logged_by, i.created_at FROM sponsors_interaction i "
                "JOIN accounts_account a ON a.id = i.account_id WHERE a.source = 'bench-import'")
            interactions = cursor.fetchall()
            cursor.execute(
                "SELECT p.interaction_id, p.contact_id, p.interaction_occurred_at, p.interaction_direction, "
                "p.interaction_type, p.interaction_responded_at FROM sponsors_interactionparticipant p "
                "JOIN sponsors_interaction i ON i.id = p.interaction_id JOIN accounts_account a ON a.id = i.account_id "
                "WHERE a.source = 'bench-import'")
            participants = cursor.fetchall()
        return interactions, participants

    def _copy_baseline(self, interactions, participants, *, foreign_keys=False) -> float:
        """COPY the rows into scratch tables with the same columns, defaults and indexes as ours (WAL-
        logged, created in the rolled-back transaction); ``foreign_keys``: also our foreign keys (checked set-wise,
        sponsors/set_wise_keys.py), to scratch copies of the tables they point at (so their checks cost what ours
        do)."""
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_scratch_interaction (LIKE sponsors_interaction INCLUDING ALL)")
            cursor.execute(
                "CREATE TABLE bench_scratch_participant (LIKE sponsors_interactionparticipant INCLUDING ALL)")
            if foreign_keys:
                self._scratch_foreign_keys(cursor, interactions, participants)
            started = time.perf_counter()
            with cursor.cursor.copy(
                "COPY bench_scratch_interaction (id, account_id, external_id, type, occurred_at, direction, purpose, "
                "topics, outcome, responded_at, logged_by, created_at) FROM STDIN"
            ) as copy:
                for row in interactions:
                    copy.write_row(row)
            with cursor.cursor.copy("COPY bench_scratch_participant (interaction_id, contact_id, "
                                    "interaction_occurred_at, interaction_direction, interaction_type, "
                                    "interaction_responded_at) FROM STDIN") as copy:
                for row in participants:
                    copy.write_row(row)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            return time.perf_counter() - started

    @staticmethod
    def _scratch_foreign_keys(cursor, interactions, participants):
        cursor.execute("CREATE TABLE bench_scratch_account (id bigint PRIMARY KEY)")
        cursor.execute("CREATE TABLE bench_scratch_contact (id bigint PRIMARY KEY)")
        cursor.execute("INSERT INTO bench_scratch_account SELECT DISTINCT unnest(%s::bigint[])",
                       [[r[1] for r in interactions]])
        cursor.execute("INSERT INTO bench_scratch_contact SELECT DISTINCT unnest(%s::bigint[])",
                       [[r[1] for r in participants]])
        for table, column, target in (("interaction", "account_id", "account"),
                                      ("participant", "interaction_id", "interaction"),
                                      ("participant", "contact_id", "contact")):
            key = SetWiseKey(child=f"bench_scratch_{table}", column=column, parent=f"bench_scratch_{target}",
                             parent_key="id")
            for statement in key.triggers().values():      # checked as ours are: set-wise
                cursor.execute(statement)
