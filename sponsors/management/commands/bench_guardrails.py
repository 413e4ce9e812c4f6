"""``manage.py bench_guardrails [--runs 3] [--as-of DATE]``: the guardrail sweep at portfolio scale.

Over the portfolio ``bench_scoring`` builds (5,000 accounts, 25,000 executives, ~1,000,000
interactions; build it first), each run times, in the same process:

* the **first sweep**: ``evaluate_accounts`` over every account with no alert open yet (opens them
  all, about 30,000);
* the **steady-state sweep**: the next day's sweep over the same accounts with those alerts open
  (keeps, refreshes and resolves them) — the daily case;

with the **peak memory** of each: the resident set of this Python process and of its PostgreSQL
backend (Linux ``VmHWM``, reset before each sweep through ``/proc/<pid>/clear_refs``; the backend's
includes the shared buffers it touched).  Prints min / median / max of both sweeps and of the ratio
steady / first per run (target: steady-state under 15 s, no slower than the first, memory under
300 MB).  Only the bench accounts are swept; before, between and after the runs (untimed) their alerts
are deleted and vacuumed away.
PostgreSQL only; nothing here asserts a timing.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from accounts.cli import as_of_date
from accounts.models import Account
from sponsors.models import Alert
from sponsors.services.alerts import EVALUATION_BATCH_SIZE, WRITE_BATCH_SIZE, evaluate_accounts

from ._bench import machine_line, peak_rss_mb, reset_peak_rss, spread, spread_line
from .bench_scoring import SOURCE


class Command(BaseCommand):
    help = "Benchmark the guardrail sweep over the bench_scoring portfolio: first and steady-state sweep, memory."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3, help="Runs of (first sweep, steady-state sweep).")
        parser.add_argument("--as-of", type=as_of_date, default=None, help="First sweep's date (default today).")

    def handle(self, *args, runs, as_of, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_guardrails needs PostgreSQL (set DATABASE_URL)")
        if runs < 1:
            raise CommandError("--runs must be at least 1")
        self.ids = list(Account.objects.filter(source=SOURCE).order_by("pk").values_list("pk", flat=True))
        accounts = len(self.ids)
        if not accounts:
            raise CommandError("no bench portfolio: run `manage.py bench_scoring --accounts 5000` first")
        day = as_of or timezone.localdate()
        self.stdout.write(f"Portfolio: the {accounts:,} accounts of bench_scoring (only they are swept); "
                          f"{EVALUATION_BATCH_SIZE} accounts a batch, at most {WRITE_BATCH_SIZE} rows a statement")
        backend = self._backend_pid()
        figures = []
        try:
            for run in range(runs):
                self._clear()
                first = self._sweep(day, backend)
                open_alerts = self._alerts().exclude(status=Alert.Status.RESOLVED).count()
                steady = self._sweep(day + timedelta(days=1), backend)
                figures.append((first, steady))
                self.stdout.write(
                    f"  run {run + 1}/{runs}: first {first['seconds']:.2f}s ({first['opened']:,} opened), "
                    f"steady-state {steady['seconds']:.2f}s with {open_alerts:,} alerts open ({steady['kept']:,} "
                    f"kept, {steady['opened']:,} opened, {steady['resolved']:,} resolved); peak memory "
                    f"python {first['python_mb']:.0f}/{steady['python_mb']:.0f} MB, "
                    f"backend {self._mb(first['backend_mb'])}/{self._mb(steady['backend_mb'])} MB")
        finally:
            self._clear()
        self._report(figures)

    def _report(self, figures):
        firsts = [f["seconds"] for f, _s in figures]
        steadies = [s["seconds"] for _f, s in figures]
        self.stdout.write(spread_line("first sweep", firsts))
        self.stdout.write(spread_line("steady-state sweep", steadies))
        self.stdout.write(spread_line("ratio steady-state / first", [s / f for f, s in zip(firsts, steadies)],
                                      unit=""))
        python = [x["python_mb"] for pair in figures for x in pair]
        self.stdout.write(spread_line("peak memory, python process", python, unit=" MB", digits=0))
        backend = [x["backend_mb"] for pair in figures for x in pair if x["backend_mb"] is not None]
        if backend:
            self.stdout.write(spread_line("peak memory, postgres backend", backend, unit=" MB", digits=0))
        median_steady = spread(steadies)[1]
        verdict = "meets" if median_steady < 15 and median_steady <= spread(firsts)[1] * 1.1 else "misses"
        self.stdout.write(f"median steady-state sweep {median_steady:.2f}s (target < 15 s and no slower than the "
                          f"first: {verdict}); peak memory max {max(python + backend):.0f} MB (target < 300 MB)")
        self.stdout.write(machine_line())

    def _sweep(self, day, backend) -> dict:
        reset_peak_rss()
        if backend:
            reset_peak_rss(backend)
        started = time.perf_counter()
        result = evaluate_accounts(account_ids=self.ids, as_of=day)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "opened": len(result.opened), "kept": result.kept, "resolved": result.resolved,
                "python_mb": peak_rss_mb() or 0.0, "backend_mb": peak_rss_mb(backend) if backend else None}

    def _backend_pid(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        return pid if reset_peak_rss(pid) else None      # a server on another machine: Python side only

    def _clear(self):
        """Untimed: the bench accounts' alerts deleted (none open before a first sweep), vacuumed away."""
        self._alerts().delete()
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE sponsors_alert")

    def _alerts(self):
        return Alert.objects.filter(account__source=SOURCE)

    @staticmethod
    def _mb(value):
        return "n/a" if value is None else f"{value:.0f}"
