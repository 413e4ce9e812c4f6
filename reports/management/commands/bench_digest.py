"""``manage.py bench_digest [--managers 50] [--accounts 5000] [--as-of DATE]``: build the weekly digest of
N managers over the ``bench_scoring`` portfolio (built first if missing) and print the time and the query
count per manager.

Setup (kept for the next run): N teams, each with a manager and a CSM who owns every N-th bench account
(5,000 accounts and 50 managers: 100 accounts each); the score snapshots of the digest's two days and the
alerts of the bench accounts.  Measured in one transaction rolled back at the end, so every run measures
the same: a first pass computes each scope's metrics of the week (no snapshot stored yet), a second reads
them.  PostgreSQL only.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.cli import as_of_date
from accounts.models import Account, Team, User
from reports import digest_render
from reports.digest_service import last_send_day, user_digest
from sponsors.models import Alert, ScoreSnapshot
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.scores import recompute_scores

SOURCE = "bench"


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark building the weekly digests of N managers over the bench_scoring portfolio."

    def add_arguments(self, parser):
        parser.add_argument("--managers", type=int, default=50)
        parser.add_argument("--accounts", type=int, default=5000, help="bench_scoring portfolio size")
        parser.add_argument("--as-of", type=as_of_date, help="the send day (default: the last Monday)")

    def handle(self, *, managers, accounts, as_of, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_digest needs PostgreSQL (set DATABASE_URL)")
        if managers < 1:
            raise CommandError("--managers must be at least 1")
        week = as_of or last_send_day(timezone.localdate())
        if Account.objects.filter(source=SOURCE).count() != accounts:
            call_command("bench_scoring", "--accounts", str(accounts), "--as-of", week.isoformat(),
                         stdout=self.stdout)
        people = self._teams(managers)
        self._history(week)
        try:
            with transaction.atomic():
                self._measure(people, week, "first pass (computes the week's metrics of each scope)")
                self._measure(people, week, "second pass (the week's metrics stored)")
                raise _Rollback
        except _Rollback:
            pass

    def _teams(self, n):
        """N bench teams with a manager and a CSM owning every N-th bench account."""
        people = []
        ids = list(Account.objects.filter(source=SOURCE).order_by("pk").values_list("pk", flat=True))
        with transaction.atomic():
            for k in range(n):
                manager, _ = User.objects.get_or_create(
                    username=f"bench-manager-{k:03d}", defaults={"email": f"bench-manager-{k:03d}@bench.example",
                                                                 "role": User.Role.MANAGER})
                csm, _ = User.objects.get_or_create(
                    username=f"bench-csm-{k:03d}", defaults={"email": f"bench-csm-{k:03d}@bench.example"})
                team, _ = Team.objects.get_or_create(name=f"Bench team {k:03d}")
                team.managers.add(manager)
                team.members.add(csm)
                Account.objects.filter(pk__in=ids[k::n]).update(owner=csm)
                people.append(manager)
        self.stdout.write(f"{n} managers, {len(ids) // n} accounts each.")
        return people

    def _history(self, week):
        """The score snapshots of the digest's two days, and the bench accounts' alerts (once)."""
        for day in (week - timedelta(days=1), week - timedelta(days=8)):
            if not ScoreSnapshot.objects.filter(as_of=day, account__source=SOURCE).exists():
                started = time.perf_counter()
                recompute_scores(as_of=day)
                self.stdout.write(f"Scores as of {day}: {time.perf_counter() - started:.1f}s")
        if not Alert.objects.filter(account__source=SOURCE).exists():
            started = time.perf_counter()
            evaluate_accounts(as_of=week - timedelta(days=1))
            self.stdout.write(f"Alerts evaluated: {time.perf_counter() - started:.1f}s")

    def _measure(self, people, week, label):
        times, counts, items = [], [], 0
        started = time.perf_counter()
        for manager in people:
            t0 = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                digest = user_digest(manager, week)
                digest_render.email(digest)
            times.append(time.perf_counter() - t0)
            counts.append(len(queries))
            items += digest.exceptions
        total = time.perf_counter() - started
        self.stdout.write(
            f"{label}: {len(people)} digests in {total:.2f}s; per manager {statistics.mean(times) * 1000:.0f} ms "
            f"mean, {statistics.median(times) * 1000:.0f} ms median, {max(times) * 1000:.0f} ms max; queries "
            f"per manager {min(counts)}..{max(counts)} (mean {statistics.mean(counts):.1f}); "
            f"{items} exception item(s) listed")
