"""``manage.py bench_import``: how fast the snapshot import is, against PostgreSQL's own COPY.

Builds a snapshot file with ``--interactions`` interactions (default 100,000), imports it through
the real path (read → parse → validate → sync, one transaction) and, in the same run, COPYs the
very same interaction and participant rows into scratch tables shaped like ours.  Prints both
times, rows per second and their ratio.  Everything is rolled back at the end: the database is
left as it was.  Needs PostgreSQL (set DATABASE_URL).
"""

import json
import tempfile
import time
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.cli import as_of_date
from sponsors.crm import snapshot as snapshot_module
from sponsors.crm.demo import demo_snapshot
from sponsors.crm.sync import sync_accounts


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark the snapshot import against PostgreSQL COPY of the same rows (prints figures)."

    def add_arguments(self, parser):
        parser.add_argument("--interactions", type=int, default=100_000)
        parser.add_argument("--as-of", type=as_of_date, default=date(2026, 11, 20))

    def handle(self, *, interactions, as_of, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_import compares with PostgreSQL COPY: set DATABASE_URL to a PostgreSQL database")
        if interactions < 1:
            raise CommandError("--interactions must be at least 1")
        document = self._document(interactions, as_of)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench-snapshot.json"
            path.write_text(json.dumps(document))
            size_mb = path.stat().st_size / 1e6
            try:
                with transaction.atomic():
                    figures = self._measure(path)
                    raise Rollback
            except Rollback:
                pass
        n = figures["interactions"]
        self.stdout.write(f"snapshot file: {size_mb:.1f} MB, {len(document['accounts'])} accounts, "
                          f"{figures['contacts']} contacts, {n} interactions, {figures['participants']} participants")
        for phase in ("read+decode", "validate+parse", "sync (write)", "foreign-key checks"):
            self.stdout.write(f"  import phase {phase:<18} {figures[phase]:7.2f} s")
        self.stdout.write(f"import (whole path):            {figures['import']:7.2f} s  "
                          f"{n / figures['import']:,.0f} interactions/s")
        self.stdout.write(f"PostgreSQL COPY of the same rows: {figures['copy']:7.2f} s  "
                          f"{n / figures['copy']:,.0f} interactions/s")
        ratio = figures["import"] / figures["copy"]
        verdict = "meets" if ratio <= 3 else "misses"
        self.stdout.write(f"ratio import/COPY: {ratio:.2f} (target <= 3: {verdict})")
        without_fk = (figures["import"] - figures["foreign-key checks"]) / figures["copy"]
        self.stdout.write(f"  (the scratch tables have no foreign keys; without our deferred foreign-key checks "
                          f"the ratio would be {without_fk:.2f})")
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

    def _measure(self, path):
        figures = {}
        t0 = time.perf_counter()
        raw = path.read_bytes()
        data = snapshot_module.orjson.loads(raw)
        t1 = time.perf_counter()
        snapshot = snapshot_module.parse_snapshot(data, source=str(path))
        t2 = time.perf_counter()
        sync_accounts(snapshot, source="bench-import")
        t3 = time.perf_counter()
        with connection.cursor() as cursor:  # run the deferred foreign-key checks a commit would run
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        t4 = time.perf_counter()
        figures.update({"read+decode": t1 - t0, "validate+parse": t2 - t1, "sync (write)": t3 - t2,
                        "foreign-key checks": t4 - t3, "import": t4 - t0})
        figures["interactions"] = snapshot.interaction_count
        figures["contacts"] = sum(len(a.contacts) for a in snapshot.accounts)
        figures["copy"], figures["participants"] = self._copy_baseline()
        return figures

    def _copy_baseline(self):
        """COPY the rows the import just wrote into scratch tables with the same columns and indexes."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.id, i.account_id, i.external_id, i.type, i.occurred_at, i.direction, i.purpose, "
                "i.topics::text, i.outcome, i.responded_at, i.logged_by, i.created_at FROM sponsors_interaction i "
                "JOIN accounts_account a ON a.id = i.account_id WHERE a.source = 'bench-import'")
            interactions = cursor.fetchall()
            cursor.execute(
                "SELECT p.interaction_id, p.contact_id FROM sponsors_interactionparticipant p "
                "JOIN sponsors_interaction i ON i.id = p.interaction_id JOIN accounts_account a ON a.id = i.account_id "
                "WHERE a.source = 'bench-import'")
            participants = cursor.fetchall()
            # Ordinary (WAL-logged) tables with the same columns, defaults and indexes as ours.
            cursor.execute("CREATE TABLE bench_scratch_interaction (LIKE sponsors_interaction INCLUDING ALL)")
            cursor.execute(
                "CREATE TABLE bench_scratch_participant (LIKE sponsors_interactionparticipant INCLUDING ALL)")
            started = time.perf_counter()
            with cursor.cursor.copy(
                "COPY bench_scratch_interaction (id, account_id, external_id, type, occurred_at, direction, purpose, "
                "topics, outcome, responded_at, logged_by, created_at) FROM STDIN"
            ) as copy:
                for row in interactions:
                    copy.write_row(row)
            with cursor.cursor.copy("COPY bench_scratch_participant (interaction_id, contact_id) FROM STDIN") as copy:
                for row in participants:
                    copy.write_row(row)
            elapsed = time.perf_counter() - started
        return elapsed, len(participants)
