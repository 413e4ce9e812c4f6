"""``manage.py bench_sync [--contacts 5000] [--engagements 50000] [--runs 1]``: the HubSpot sync's cost of
writing, against fetching and parsing the same pages.

A HubSpot-shaped server (``GeneratedHubSpot``: companies of 50 contacts, engagements of four kinds, each
with a contact and its company) runs in a child process on loopback.  Baseline: the connector reads every
stream through the search endpoint and the v4 associations (windows re-anchored under 10,000 results) and maps
each record, writing nothing.  Subject: the full sync — the same fetching, each page stored with its watermark
in its own transaction, then every account rebuilt and upserted through ``sync_accounts`` (rescoring not
queued).  Each subject run starts from an empty connection and is removed afterwards (its rows deleted and
the tables vacuumed, outside the timing).  ``--warmup`` pairs (default 1) run first uncounted, then ``--runs``
pairs (default 3), baseline and subject alternating.  Prints min / median / max of the records per second of
both and of their ratio (target: ≤ 2).  The issue's size is ``--contacts 50000 --engagements 500000``."""

import multiprocessing
import socket

from django.core.management.base import BaseCommand, CommandError
from django.db import connection as db

from accounts.models import Account
from sponsors.config import rules_config
from sponsors.crm.connectors.hubspot import HubSpotConnector
from sponsors.crm.connectors.hubspot_fake import serve_generated
from sponsors.crm.runs import sync_connection
from sponsors.models import CrmConnection, CrmSyncRun

from ._bench import alternate, machine_line, spread_line, timed

NAME = "bench-hubspot"
# What a run writes, by account (deleted in this order).
TABLES = (("sponsors_interactionparticipant", "interaction_id IN (SELECT id FROM sponsors_interaction "
                                              "WHERE account_id = ANY(%s))"),
          ("sponsors_orgchange", "account_id = ANY(%s)"), ("sponsors_interaction", "account_id = ANY(%s)"),
          ("sponsors_scoresnapshot", "account_id = ANY(%s)"), ("sponsors_alert", "account_id = ANY(%s)"),
          ("sponsors_contact", "account_id = ANY(%s)"), ("accounts_accountteammember", "account_id = ANY(%s)"),
          ("accounts_valuemetric", "account_id = ANY(%s)"), ("accounts_account", "id = ANY(%s)"))
TOKEN = "pat-na1-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark the HubSpot sync against fetching and parsing the same pages (records/s and the ratio)."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=5000)
        parser.add_argument("--engagements", type=int, default=50000)
        parser.add_argument("--runs", type=int, default=3, help="pairs of fetch-only and sync (default 3)")
        parser.add_argument("--warmup", type=int, default=1,
                            help="pairs run first and not counted (default 1: the server's first pass builds its "
                                 "indexes, the database's caches fill)")

    def handle(self, *args, contacts, engagements, runs, warmup, **options):
        if db.vendor != "postgresql":
            raise CommandError("bench_sync needs PostgreSQL (DATABASE_URL)")
        port, ready = free_port(), multiprocessing.get_context("fork").Event()
        server = multiprocessing.get_context("fork").Process(
            target=serve_generated, args=(contacts, engagements, port, ready), daemon=True)
        server.start()
        try:
            if not ready.wait(timeout=60):
                raise CommandError("the HubSpot-shaped server did not start")
            self._bench(f"http://127.0.0.1:{port}", contacts, engagements, runs, warmup)
        finally:
            server.terminate()
            server.join(timeout=10)
            self._clean()

    def _bench(self, base, contacts, engagements, runs, warmup):
        self._clean()
        connection = CrmConnection.objects.create(name=NAME, kind="hubspot", base_url=base)
        records = {"n": 0}

        def connector():
            return HubSpotConnector(token=TOKEN, conf=rules_config().crm, base_url=base)

        def fetch_only():
            c, n = connector(), 0
            for stream in c.streams:
                for page in c.fetch(stream, None):
                    n += len(page.items) + len(page.problems)
            records["n"] = n

        def sync():
            run = sync_connection(connection, full=True, trigger="bench", connector=connector(), refresh=False)
            if run.status != CrmSyncRun.Status.SUCCEEDED:
                raise CommandError(f"the sync did not succeed: {run.status} {run.error}")

        def subject():
            seconds = timed(sync)
            self._clean_data(connection)
            return seconds

        self.stdout.write(f"bench_sync: {contacts:,} contacts, {engagements:,} engagements from {base} "
                          f"(page size {rules_config().crm.page_size})")
        self.stdout.write(machine_line())
        base_t, subj_t, ratios = alternate(lambda: timed(fetch_only), subject, runs=runs, warmup=warmup,
                                           log=self.stdout.write)
        n = records["n"]
        self.stdout.write(f"records per run: {n:,}")
        self.stdout.write(spread_line("fetch + parse (no writes)", base_t))
        self.stdout.write(spread_line("full sync (fetch, store, upsert)", subj_t))
        self.stdout.write(spread_line("fetch + parse, records/s", [n / t for t in base_t], unit="", digits=0))
        self.stdout.write(spread_line("full sync, records/s", [n / t for t in subj_t], unit="", digits=0))
        self.stdout.write(spread_line("ratio sync / fetch (target <= 2)", ratios, unit="x"))

    def _clean_data(self, connection):
        """Remove what a run wrote in plain SQL (the bench's rows need no audit trail, cascade or signal)."""
        accounts = list(Account.objects.filter(source=connection.name).values_list("pk", flat=True))
        with db.cursor() as cursor:
            for table, where in TABLES:
                cursor.execute(f"DELETE FROM {table} WHERE {where}", [accounts])
            cursor.execute("DELETE FROM sponsors_crmrecord WHERE connection_id = %s", [connection.pk])
            cursor.execute("DELETE FROM sponsors_crmcursor WHERE connection_id = %s", [connection.pk])
            # The deleted rows' space is reclaimed before the next run (autovacuum may be off, as on the bench
            # machine): otherwise every run writes into tables and indexes bloated by the runs before it.
            cursor.execute(f"VACUUM {', '.join(table for table, _where in TABLES)}, sponsors_crmrecord, "
                           "sponsors_crmcursor, sponsors_crmpendingaccount")

    def _clean(self):
        for connection in CrmConnection.objects.filter(name=NAME):
            self._clean_data(connection)
            connection.delete()
