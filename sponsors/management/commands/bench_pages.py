"""``manage.py bench_pages [--accounts 5000] [--requests 40]``: the pages' benchmark.

On the ``bench_scoring`` portfolio (built first when missing: 5,000 accounts, ~25,000 executives, ~1,000,000
interactions), with today's scores stored (and 12 weeks of them for the account shown) and the guardrails'
alerts open, it serves the app from a WSGI server on a loopback port in this process and requests, as an
admin (who sees every account), alternately:

* the trivial page ``/ping/`` (the same middleware, session and user, nothing rendered), and
* the portfolio ``/``, an account's workspace ``/accounts/<id>/`` and the alerts inbox ``/alerts/``,

and prints p50 / p95 of each and the ratio of each page's p95 to the trivial page's (target: at most 3).
The views after a write are then measured again as a CSM on the account team of 50 of the accounts (the
shown one among them): what most users see, where every read goes through the visibility rule.
It measures; it asserts nothing.  What it adds (the day's snapshots and alerts of the bench accounts, a
bench user) is removed afterwards; the portfolio stays for the next run.  PostgreSQL only.

It talks to the pages over HTTP only: ``sponsors`` does not import the ``reports`` floor above it.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from datetime import timedelta
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import Account, AccountTeamMember, User
from sponsors.models import Alert, ScoreSnapshot
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.current_scores import refresh_current_scores
from sponsors.services.scores import recompute_scores

from . import bench_scoring
from ._bench import machine_line

BENCH_USER = "bench-pages@localhost"
BENCH_CSM = "bench-pages-csm@localhost"
CSM_ACCOUNTS = 50
TARGET = 3.0


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def p95(values) -> float:
    """The 95th percentile (inclusive method: interpolated between the closest ranks)."""
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


class Command(BaseCommand):
    help = "p50/p95 of the portfolio, account and inbox pages at N accounts against a trivial page, and the ratio."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=5000, help="Portfolio size (default 5000).")
        parser.add_argument("--requests", type=int, default=40, help="Timed requests per page (default 40).")
        parser.add_argument("--warmup", type=int, default=3, help="Untimed requests per page first (default 3).")
        parser.add_argument("--keep", action="store_true",
                            help="Leave the day's scores, alerts and the bench user in place (to look into a page).")

    def handle(self, *args, accounts, requests, warmup, keep, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_pages needs PostgreSQL (set DATABASE_URL)")
        if accounts < 1 or requests < 2 or warmup < 0:
            raise CommandError("--accounts must be at least 1, --requests at least 2, --warmup at least 0")
        self._portfolio(accounts)
        today = timezone.localdate()
        ids = list(Account.objects.filter(source=bench_scoring.SOURCE).order_by("pk").values_list("pk", flat=True))
        shown = ids[len(ids) // 2]
        started_at = timezone.now()
        self._scores_and_alerts(ids, shown, today)
        User.objects.filter(username__in=[BENCH_USER, BENCH_CSM]).delete()
        user = User.objects.create_user(username=BENCH_USER, email=BENCH_USER, role=User.Role.ADMIN)
        csm = User.objects.create_user(username=BENCH_CSM, email=BENCH_CSM, role=User.Role.CSM)
        middle = max(0, ids.index(shown) - CSM_ACCOUNTS // 2)
        AccountTeamMember.objects.bulk_create(AccountTeamMember(account_id=pk, user=csm, role="csm")
                                              for pk in ids[middle:middle + CSM_ACCOUNTS])
        try:
            self._measure(user, csm, shown, requests=requests, warmup=warmup)
        finally:
            if not keep:
                self._clean(ids, today, started_at)

    def _portfolio(self, n):
        scoring = bench_scoring.Command(stdout=self.stdout, stderr=self.stderr)
        existing = Account.objects.filter(source=bench_scoring.SOURCE).count()
        if existing == n:
            self.stdout.write(f"Reusing the bench portfolio of {n} accounts.")
        else:
            if existing:
                scoring._drop(existing)
            scoring._build(n, as_of=timezone.localdate(), seed=42)
        scoring._analyze()                 # fresh statistics, so PostgreSQL plans as it would in production

    def _scores_and_alerts(self, ids, shown, today):
        t0 = time.perf_counter()
        recompute_scores(account_ids=ids, as_of=today)
        for weeks in range(12, 0, -1):
            recompute_scores(account_ids=[shown], as_of=today - timedelta(weeks=weeks))
        result = evaluate_accounts(account_ids=ids, as_of=today)
        with connection.cursor() as cursor:
            for table in ("sponsors_scoresnapshot", "sponsors_currentscore", "sponsors_alert"):
                cursor.execute(f"VACUUM ANALYZE {table}")     # what autovacuum does soon after such a write
        self.stdout.write(f"Stored today's scores of {len(ids):,} accounts (12 weeks for account {shown}) and "
                          f"{len(result.opened):,} alerts opened in {time.perf_counter() - t0:.1f}s.")

    def _clean(self, ids, today, started_at):
        ScoreSnapshot.objects.filter(account_id__in=ids, as_of__gte=today - timedelta(weeks=12)).delete()
        refresh_current_scores(account_ids=ids, as_of=today)
        Alert.objects.filter(account_id__in=ids, opened_at__gte=started_at).delete()
        User.objects.filter(username__in=[BENCH_USER, BENCH_CSM]).delete()        # their team seats with them
        self.stdout.write("Removed the snapshots, alerts and users the benchmark added.")

    def _serve(self):
        settings.SECURE_SSL_REDIRECT = False           # plain HTTP on loopback, whatever the deployment says
        server = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=WSGIServer, handler_class=_Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        return server, thread

    def _measure(self, admin, csm, shown, *, requests, warmup):
        server, thread = self._serve()
        pages = {"portfolio": "/", "account": f"/accounts/{shown}/", "inbox": "/alerts/"}
        try:
            get, write_elsewhere = self._browser(admin, server.server_address[1])
            repeat = self._series(get, pages, requests=requests, warmup=warmup)
            changed = self._series(get, pages, requests=requests, warmup=warmup, before_page=write_elsewhere)
            get, write_elsewhere = self._browser(csm, server.server_address[1])
            as_csm = self._series(get, pages, requests=requests, warmup=warmup, before_page=write_elsewhere)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
        self.stdout.write("Repeat views (nothing written in between: a page unchanged since its last view is sent "
                          "as kept):")
        self._report(repeat, requests)
        self.stdout.write("Each view after a write elsewhere (every page rendered afresh):")
        self._report(changed, requests)
        self.stdout.write(f"The same as a CSM on the team of {CSM_ACCOUNTS} of the accounts (rendered afresh):")
        self._report(as_csm, requests)
        self.stdout.write(machine_line())

    @staticmethod
    def _browser(user, port):
        """``get(path) -> seconds`` as ``user``'s browser, and the write that makes the next view render afresh."""
        client = Client()
        client.force_login(user)
        cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}

        def get(path) -> float:
            """One GET as a browser sends it: with the cookies it was given (the session, the CSRF cookie)."""
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            header = "; ".join(f"{k}={v}" for k, v in cookies.items())
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": header, "Host": "127.0.0.1"})
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            for set_cookie in response.headers.get_all("Set-Cookie") or ():
                name, _, rest = set_cookie.partition("=")
                cookies[name.strip()] = rest.split(";", 1)[0]
            conn.close()
            if response.status != 200:
                raise CommandError(f"GET {path}: {response.status} {body[:200]!r}")
            return elapsed

        def write_elsewhere():
            """Another row is saved (as another user's save or a sync would): the next view of a page cannot be
            the kept one (reports/page_cache.py) and renders afresh."""
            User.objects.filter(pk=user.pk).update(last_login=timezone.now())

        return get, write_elsewhere

    @staticmethod
    def _series(get, pages, *, requests, warmup, before_page=None):
        times = {name: [] for name in ("trivial", *pages)}
        for name, path in pages.items():
            for _ in range(warmup):
                get("/ping/")
                get(path)
            for i in range(requests):            # alternated, the order flipped every pair
                order = (("trivial", "/ping/"), (name, path)) if i % 2 == 0 else ((name, path),
                                                                                       ("trivial", "/ping/"))
                for label, p in order:
                    if before_page is not None and label != "trivial":
                        before_page()
                    times[label].append(get(p))
        return times

    def _report(self, times, requests):
        trivial95 = p95(times["trivial"])
        self.stdout.write(f"{'page':<12} {'p50':>9} {'p95':>9} {'p95 / trivial p95':>18}   ({requests} requests each)")
        for name, values in times.items():
            p50, high = statistics.median(values), p95(values)
            ratio = high / trivial95
            verdict = "" if name == "trivial" else f"  target <= {TARGET:g}: {'meets' if ratio <= TARGET else 'misses'}"
            self.stdout.write(f"{name:<12} {p50 * 1000:7.1f}ms {high * 1000:7.1f}ms {ratio:17.2f}x{verdict}")
