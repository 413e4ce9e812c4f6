"""``manage.py bench_escalation [--departures 20]``: departure → escalation e-mail received, idle and under load.

Needs PostgreSQL with the ``bench_scoring`` portfolio and Redis (``REDIS_URL``).  The command starts
a local SMTP server on loopback (aiosmtpd) and two real Celery worker processes, as the README runs
them: ``-Q default`` (bulk work, 2 slots) and ``-Q notify`` (what a person waits for, 1 slot).  For
``--departures`` bench accounts it gives the account a CSM, marks its primary sponsor departed (a
saved contact: the signal queues the account's refresh) and times until the escalation e-mail is
received by the SMTP server:

* **idle**: nothing else queued;
* **under load**: while full portfolio recomputes keep both ``default`` slots busy (a new one is
  queued as soon as one ends, each for its own day).

Prints p50 / p95 / max of each (target: p95 under 5 s under load).  At the end the workers are
stopped and everything is put back: the sponsors active again, their scores recomputed, the bench's
alerts, e-mails, team members, CSM and the load runs' snapshots deleted, the queues purged.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AccountTeamMember, User
from sponsors import queue
from sponsors.models import Alert, Contact, OutboundEmail, ScoreSnapshot
from sponsors.services.scores import recompute_scores

from ._bench import machine_line
from .bench_scoring import SOURCE

ROOT = Path(__file__).resolve().parents[3]
CSM_EMAIL = "bench-csm@bench.example"
WAIT_SECONDS = 180
LOAD_SLOTS = 2                      # recomputes kept in flight: both slots of the default worker
WORKERS = {"default": 2, "notify": 1}
PAUSE_SECONDS = 0.5                 # between departures, so they spread over the recomputes


class Inbox:
    """aiosmtpd handler: when each message arrived, by subject."""

    def __init__(self):
        self.received = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        at = time.time()
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.received[str(msg["Subject"])] = at
        return "250 Message accepted for delivery"

    def arrival(self, text: str):
        with self.lock:
            return next((at for subject, at in self.received.items() if text in subject), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Command(BaseCommand):
    help = "Benchmark departure → escalation e-mail received, idle and while portfolio recomputes run."

    def add_arguments(self, parser):
        parser.add_argument("--departures", type=int, default=20, help="Departures timed in each phase.")

    def handle(self, *args, departures, **options):
        if connection.vendor != "postgresql" or not getattr(settings, "REDIS_URL", ""):
            raise CommandError("bench_escalation needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)")
        if departures < 1:
            raise CommandError("--departures must be at least 1")
        targets = self._targets(2 * departures)
        if len(targets) < 2 * departures:
            raise CommandError(f"need {2 * departures} bench accounts with an active primary sponsor, found "
                               f"{len(targets)}: run `manage.py bench_scoring --accounts 5000` first")
        self.inbox, self.load_days, self.in_flight = Inbox(), [], []
        logging.getLogger("mail.log").setLevel(logging.WARNING)       # aiosmtpd's per-command log
        port = free_port()
        controller = Controller(self.inbox, hostname="127.0.0.1", port=port)
        controller.start()
        workers = []
        try:
            self._prepare(targets)
            current_app.control.purge()
            workers = [self._start_worker(q, n, port) for q, n in WORKERS.items()]
            self._wait_ready(workers)
            self.workers = workers
            idle = []
            for account, contact in targets[:departures]:
                time.sleep(PAUSE_SECONDS)
                idle.append(self._departure(account, contact))
            loaded = self._under_load(targets[departures:])
        finally:
            for process, _name in workers:
                self._stop(process)
            controller.stop()
            self._restore(targets)
        self._report(idle, loaded)

    # --- the phases --------------------------------------------------------------------------

    def _departure(self, account, contact) -> float:
        """Mark the primary departed (the signal queues the refresh on commit); seconds until received."""
        started = time.time()
        with transaction.atomic():
            contact.status = "departed"
            contact.save(update_fields=["status", "updated_at"])
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            at = self.inbox.arrival(account.name)
            if at is not None:
                return at - started
            time.sleep(0.02)
        raise CommandError(f"no escalation e-mail for {account.name} within {WAIT_SECONDS}s")

    def _under_load(self, targets) -> list:
        """Departures while ``LOAD_SLOTS`` portfolio recomputes are in flight (topped up as they end)."""
        self._top_up()
        time.sleep(2)                                   # the workers have taken them and are reading
        self._show_active("at the start of the load phase")
        out = []
        for account, contact in targets:
            time.sleep(PAUSE_SECONDS)
            self._top_up()
            busy_before = sum(not r.ready() for r in self.in_flight)
            seconds = self._departure(account, contact)
            busy_after = sum(not r.ready() for r in self.in_flight)
            out.append((seconds, min(busy_before, busy_after)))
            self.stdout.write(f"  under load: {seconds:.2f}s ({busy_before}/{busy_after} recomputes in flight)")
        self._show_active("at the end of the load phase")
        return out

    def _show_active(self, when):
        names = [name for _p, name in self.workers if "-default-" in name]
        active = current_app.control.inspect(names, timeout=2.0).active() or {}
        running = [t["name"].rsplit(".", 1)[-1] for tasks in active.values() for t in tasks]
        self.stdout.write(f"  {when}, the default worker runs: {', '.join(running) or 'nothing'}")

    def _top_up(self):
        self.in_flight = [r for r in self.in_flight if not r.ready()]
        while len(self.in_flight) < LOAD_SLOTS:
            day = timezone.localdate() - timedelta(days=400 + len(self.load_days))
            self.load_days.append(day)
            self.in_flight.append(current_app.send_task(queue.RECOMPUTE_PORTFOLIO, args=[day.isoformat()]))

    def _report(self, idle, loaded):
        seconds = [s for s, _busy in loaded]
        self.stdout.write(self._line("idle", idle))
        self.stdout.write(self._line("while portfolio recomputes run", seconds))
        self.stdout.write(f"  {sum(1 for _s, busy in loaded if busy):,} of {len(loaded)} departures began and "
                          f"ended with a recompute in flight; {len(self.load_days)} recomputes queued in all")
        p95 = percentile(seconds, 95)
        self.stdout.write(f"p95 under load {p95:.2f}s (target < 5 s: {'meets' if p95 < 5 else 'misses'})")
        self.stdout.write(machine_line())

    @staticmethod
    def _line(label, values) -> str:
        return (f"departure → e-mail received, {label:<31} p50 {percentile(values, 50):6.2f}s  "
                f"p95 {percentile(values, 95):6.2f}s  max {max(values):6.2f}s  ({len(values)} departures)")

    # --- set-up and clean-up -----------------------------------------------------------------

    def _targets(self, n) -> list:
        """(account, primary sponsor) of n bench accounts spread over the portfolio, with no open alert."""
        alerted = Alert.objects.exclude(status=Alert.Status.RESOLVED).values("account_id")
        primaries = (Contact.objects.filter(account__source=SOURCE, sponsor="primary", status="active")
                     .exclude(account_id__in=alerted).select_related("account").order_by("account_id"))
        found = list(primaries)
        step = max(1, len(found) // max(n, 1))
        return [(c.account, c) for c in found[::step][:n]]

    def _prepare(self, targets):
        csm, _created = User.objects.get_or_create(username=CSM_EMAIL, defaults={
            "email": CSM_EMAIL, "first_name": "Bench", "last_name": "CSM", "is_active": False})
        AccountTeamMember.objects.bulk_create(
            [AccountTeamMember(account=account, user=csm, role="csm") for account, _c in targets],
            ignore_conflicts=True)

    def _restore(self, targets):
        ids = [account.pk for account, _c in targets]
        Contact.objects.filter(pk__in=[c.pk for _a, c in targets]).update(status="active")
        OutboundEmail.objects.filter(account_id__in=ids).delete()
        Alert.objects.filter(account_id__in=ids).delete()
        AccountTeamMember.objects.filter(account_id__in=ids, user__username=CSM_EMAIL).delete()
        User.objects.filter(username=CSM_EMAIL).delete()
        ScoreSnapshot.objects.filter(as_of__in=self.load_days).delete()
        recompute_scores(account_ids=ids, as_of=timezone.localdate())
        current_app.control.purge()

    # --- worker processes ---------------------------------------------------------------------

    def _start_worker(self, queue_name, concurrency, smtp_port):
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                            f"{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
            "EXEC_SPONSOR_QUIET_EMBEDDED": "1",
        }
        name = f"bench-{queue_name}-{os.getpid()}@{socket.gethostname()}"
        log = Path(tempfile.gettempdir()) / f"bench-escalation-{queue_name}.log"
        pool = ("--pool", "threads") if queue_name == "notify" else ()      # as the Procfile runs it
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue_name, "-c", str(concurrency),
                 *pool,
                 "-n", name, "--without-mingle", "--without-gossip", "-l", "WARNING"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.stdout.write(f"Started worker {name} (-Q {queue_name} -c {concurrency} {' '.join(pool)}; log {log})")
        return process, name

    def _wait_ready(self, workers):
        names = {name for _p, name in workers}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p, _n in workers):
                raise CommandError("a worker process exited at start")
            replies = current_app.control.ping(destination=sorted(names), timeout=1.0) or []
            if names <= {name for reply in replies for name in reply}:
                self.stdout.write(f"Workers up: {', '.join(sorted(names))}")
                return
        raise CommandError("the worker processes did not answer within 90 s")

    @staticmethod
    def _stop(process):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
