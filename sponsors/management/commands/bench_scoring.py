"""``manage.py bench_scoring [--accounts 5000] [--as-of DATE] [--rebuild]``: the scoring benchmark.

Builds (or reuses) a portfolio of N accounts with about 5 executives and 200 interactions each
(5,000 accounts: ~25,000 executives, ~1,000,000 interactions) straight into PostgreSQL with COPY,
then measures, in the same run and on the same tables:

* the full ``recompute_scores(as_of)`` — facts loader, scoring, snapshot write — and its query count;
* one bare SQL aggregate over interactions ⨝ participants (count and latest per contact);
* alternated ``--runs`` times (after a warm-up pair): min / median / max of each and of the ratio
  per pair (target: median ≤ 3).

Bench accounts have ``source="bench"``; a portfolio of exactly N of them is reused, any other
number is dropped and rebuilt.  PostgreSQL only.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.cli import as_of_date
from accounts.models import Account
from sponsors import signals
from sponsors.crm.demo import EXEC_TITLES, FIRST, GOALS, INITIATIVES, LAST, OTHER_TITLES, PRIORITIES, TOPICS, _pick
from sponsors.crm.upsert import next_ids
from sponsors.models import Contact, Interaction, InteractionParticipant, ScoreSnapshot
from sponsors.services.scores import recompute_scores

from ._bench import alternate, machine_line, spread, spread_line

SOURCE = "bench"
CHUNK_ACCOUNTS = 500
EXECUTIVES_PER_ACCOUNT = 5
INTERACTIONS_PER_ACCOUNT = (160, 240)     # uniform: 200 on average
HISTORY_DAYS = 540                        # a third of the history falls outside the 365-day window

BARE_SQL = (
    "SELECT p.contact_id, count(*), max(i.occurred_at) "
    "FROM sponsors_interactionparticipant p JOIN sponsors_interaction i ON i.id = p.interaction_id "
    "GROUP BY p.contact_id"
)
TABLES = ["accounts_account", "sponsors_contact", "sponsors_interaction", "sponsors_interactionparticipant",
          "accounts_goal", "accounts_strategicalignment", "sponsors_orgchange", "sponsors_scoresnapshot"]

MEETING_TYPES = ["one_on_one", "exec_dinner", "strategic_checkin", "call", "event"]
TIERS = [("enterprise", 0.3), ("mid_market", 0.4), ("smb", 0.3)]




def _copy(table, columns, rows):
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class Generator:
    """Bench rows, deterministic for (seed, as_of), written chunk by chunk with COPY."""

    def __init__(self, *, seed: int, as_of: date):
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.now = timezone.now()
        self.end = datetime.combine(as_of, datetime.min.time(), UTC) + timedelta(hours=18)

    def chunk(self, first: int, count: int) -> tuple[int, int, int]:
        """Generate and COPY accounts first … first+count-1; returns (contacts, interactions, participants)."""
        accounts, contacts, goals, alignment, plans = self._people(first, count)
        interactions, participants = self._interactions(plans)
        self._write(accounts, contacts, goals, alignment, interactions, participants)
        return len(contacts), len(interactions), len(participants)

    def _people(self, first: int, count: int):
        rng, now = self.rng, self.now
        account_ids = next_ids(Account, count)
        accounts, contacts, goals, alignment = [], [], [], []
        plans = []          # (account id, tier, [(contact id, weight, is_exec)])
        for offset, aid in enumerate(account_ids):
            index = first + offset
            tier = _pick(rng, TIERS)
            accounts.append((aid, SOURCE, f"bench_{index:06d}", f"Bench account {index:06d}", tier, "Software",
                             None, "", None, None, now, now))
            plans.append([aid, tier, []])
        contact_ids = iter(next_ids(Contact, count * (EXECUTIVES_PER_ACCOUNT + 2)))
        for plan in plans:
            aid, tier, people = plan
            no_sponsor = rng.random() < 0.04
            has_backup = rng.random() < 0.6
            n_delegates = rng.randint(1, 2)
            for k in range(EXECUTIVES_PER_ACCOUNT + n_delegates):
                cid = next(contact_ids)
                is_exec = k < EXECUTIVES_PER_ACCOUNT
                title, roles = rng.choice(EXEC_TITLES if is_exec else OTHER_TITLES)
                sponsor = ""
                if is_exec and k == 0 and not no_sponsor:
                    sponsor = "primary"
                elif is_exec and k == 1 and has_backup and not no_sponsor:
                    sponsor = "backup"
                if sponsor:
                    roles = ["executive_sponsor", *roles]
                status = "departed" if is_exec and rng.random() < 0.03 else "active"
                first_name, last_name = rng.choice(FIRST), rng.choice(LAST)
                priorities = rng.sample(PRIORITIES, 2)
                contacts.append((
                    cid, aid, f"c_{k + 1}", f"{first_name} {last_name}", title,
                    f"{first_name.lower()}.{last_name.lower()}@bench{aid}.example", json.dumps(roles), is_exec,
                    sponsor, self.as_of - timedelta(days=rng.randint(60, 2500)), json.dumps(priorities), "email",
                    "", status, None, now, now))
                # Who takes part in interactions: sponsors most, other executives less, delegates some.
                weight = {0: 5, 1: 3}.get(k, 2) if is_exec else 1.5
                # Some executives go quiet (a spread of levels rather than all alike).
                if is_exec and rng.random() < 0.25:
                    weight *= 0.15
                people.append((cid, weight, is_exec))
            for g in rng.sample(GOALS, 2):
                goals.append((aid, g, rng.choice(["on_track", "on_track", "at_risk", "off_track", "done"]),
                              round(rng.uniform(0.1, 1.0), 2)))
            for p in rng.sample(PRIORITIES, 3):
                alignment.append((aid, INITIATIVES[p], p, rng.choice(["high", "high", "medium", "low"])))

        return accounts, contacts, goals, alignment, plans

    def _interactions(self, plans):
        rng, now = self.rng, self.now
        interactions, participants = [], []
        sizes = [rng.randint(*INTERACTIONS_PER_ACCOUNT) for _ in plans]
        reviews_at_most = HISTORY_DAYS // 91 + 1
        interaction_ids = iter(next_ids(Interaction, sum(sizes) + reviews_at_most * len(plans)))
        for (aid, tier, people), n in zip(plans, sizes):
            ids = [p[0] for p in people]
            weights = [p[1] for p in people]
            execs = [p[0] for p in people if p[2]]
            # Business reviews: quarterly (semi-annual for SMB), with 2-3 people in the room.
            every = 182 if tier == "smb" else 91
            review_type = "business_review" if tier == "smb" else "qbr"
            day = rng.randint(5, every)
            while day < HISTORY_DAYS:
                iid = next(interaction_ids)
                at = self.end - timedelta(days=day, hours=rng.randint(0, 9))
                interactions.append((iid, aid, f"i_{iid}", review_type, at, "meeting", "strategic",
                                     '["Business review"]', "Reviewed value delivered", None, "csm@bench.example",
                                     now))
                for cid in set(rng.sample(execs, rng.randint(1, 2)) + [ids[-1]]):
                    participants.append((iid, cid, at, "meeting", review_type, None))
                day += every
            for _ in range(n):
                iid = next(interaction_ids)
                at = self.end - timedelta(days=rng.randint(0, HISTORY_DAYS), hours=rng.randint(0, 9),
                                          minutes=rng.choice((0, 15, 30, 45)))
                r = rng.random()
                responded = None
                if r < 0.35:
                    direction, itype = "meeting", rng.choice(MEETING_TYPES)
                elif r < 0.8:
                    direction, itype = "outbound", rng.choice(("email", "email", "call"))
                    if rng.random() < 0.7:
                        responded = at + timedelta(hours=rng.randint(1, 24 * 10))
                else:
                    direction = "inbound"
                    itype = rng.choice(("email", "call", "referral", "advocacy")) if rng.random() < 0.1 else "email"
                purpose = "operational" if rng.random() < 0.1 else "strategic"
                interactions.append((iid, aid, f"i_{iid}", itype, at, direction, purpose,
                                     json.dumps(rng.sample(TOPICS, 1)), "", responded, "csm@bench.example", now))
                participants.append((iid, rng.choices(ids, weights)[0], at, direction, itype, responded))

        return interactions, participants

    @staticmethod
    def _write(accounts, contacts, goals, alignment, interactions, participants):
        _copy("accounts_account", ["id", "source", "external_id", "name", "tier", "industry", "owner_id", "currency",
                                   "arr", "contract_start", "created_at", "updated_at"], accounts)
        _copy("sponsors_contact", ["id", "account_id", "external_id", "name", "title", "email", "roles",
                                   "is_executive", "sponsor", "in_role_since", "priorities",
                                   "communication_preference", "linkedin_url", "status", "departed_on",
                                   "created_at", "updated_at"], contacts)
        _copy("accounts_goal", ["account_id", "name", "status", "progress"], goals)
        _copy("accounts_strategicalignment", ["account_id", "our_initiative", "their_priority", "alignment"],
              alignment)
        _copy("sponsors_interaction", ["id", "account_id", "external_id", "type", "occurred_at", "direction",
                                       "purpose", "topics", "outcome", "responded_at", "logged_by", "created_at"],
              interactions)
        # With the copies of their interaction's fields, as the CRM sync writes them (sponsors/participant_copies.py).
        _copy("sponsors_interactionparticipant", ["interaction_id", "contact_id", "interaction_occurred_at",
                                                  "interaction_direction", "interaction_type",
                                                  "interaction_responded_at"], participants)


class Command(BaseCommand):
    help = "Benchmark the full score recompute against a bare SQL aggregate over the same interactions."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=5000, help="Portfolio size (default 5000).")
        parser.add_argument("--as-of", type=as_of_date, default=None, help="Score as of this date (default today).")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--rebuild", action="store_true", help="Drop and rebuild the bench portfolio.")
        parser.add_argument("--runs", type=int, default=9,
                            help="Pairs of (bare aggregate, full recompute) to time, alternated (default 9).")

    def handle(self, *args, accounts, as_of, seed, rebuild, runs, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_scoring needs PostgreSQL (set DATABASE_URL)")
        if accounts < 1:
            raise CommandError("--accounts must be at least 1")
        if runs < 1:
            raise CommandError("--runs must be at least 1")
        as_of = as_of or timezone.localdate()
        existing = Account.objects.filter(source=SOURCE).count()
        if existing == accounts and not rebuild:
            self.stdout.write(f"Reusing the bench portfolio of {accounts} accounts.")
        else:
            if existing:
                self._drop(existing)
            self._build(accounts, as_of=as_of, seed=seed)
        self._measure(as_of, runs)

    # --- build -------------------------------------------------------------------------------

    def _drop(self, existing):
        started = time.perf_counter()
        bench = "SELECT id FROM accounts_account WHERE source = %s"
        with transaction.atomic(), signals.paused(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM sponsors_interactionparticipant p USING sponsors_interaction i "
                           f"WHERE p.interaction_id = i.id AND i.account_id IN ({bench})", [SOURCE])
            cursor.execute(f"DELETE FROM sponsors_interaction WHERE account_id IN ({bench})", [SOURCE])
            cursor.execute(f"DELETE FROM sponsors_scoresnapshot WHERE account_id IN ({bench})", [SOURCE])
            Account.objects.filter(source=SOURCE).delete()
        self.stdout.write(f"Dropped the previous bench portfolio ({existing} accounts) in "
                          f"{time.perf_counter() - started:.1f}s.")

    def _build(self, n, *, as_of, seed):
        self.stdout.write(f"Building a bench portfolio of {n} accounts as of {as_of} …")
        generator = Generator(seed=seed, as_of=as_of)
        started = time.perf_counter()
        totals = [0, 0, 0]
        for first in range(0, n, CHUNK_ACCOUNTS):
            count = min(CHUNK_ACCOUNTS, n - first)
            t0 = time.perf_counter()
            with transaction.atomic():
                made = generator.chunk(first, count)
            totals = [a + b for a, b in zip(totals, made)]
            self.stdout.write(f"  accounts {first + 1}-{first + count}: {made[0]:,} contacts, {made[1]:,} "
                              f"interactions, {made[2]:,} participants ({time.perf_counter() - t0:.1f}s)")
        self.stdout.write(f"Built {n} accounts, {totals[0]:,} contacts, {totals[1]:,} interactions in "
                          f"{time.perf_counter() - started:.1f}s.")

    # --- measure -----------------------------------------------------------------------------

    def _analyze(self):
        with connection.cursor() as cursor:
            if connection.in_atomic_block:          # VACUUM cannot run in a transaction (the test suite)
                for table in TABLES:
                    cursor.execute(f"ANALYZE {table}")
            else:
                for table in TABLES:
                    cursor.execute(f"VACUUM ANALYZE {table}")

    def _bare(self):
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(BARE_SQL)
            cursor.fetchall()
            return time.perf_counter() - started

    def _recompute(self, days):
        """One nightly run: a day with no snapshots yet (the nightly recompute writes a new day; running
        the same day again would also delete, and bloat the table run after run)."""
        result = recompute_scores(as_of=next(days))
        self.results.append(result)
        return result.elapsed

    def _drop_days(self, days):
        """Untimed: remove the snapshots the runs wrote, and vacuum them away."""
        ScoreSnapshot.objects.filter(as_of__in=days).delete()
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE sponsors_scoresnapshot")

    def _measure(self, as_of, runs):
        self._analyze()
        accounts = Account.objects.count()
        contacts = Contact.objects.count()
        executives = Contact.objects.filter(is_executive=True).count()
        interactions = Interaction.objects.count()
        participants = InteractionParticipant.objects.count()
        self.stdout.write(f"Portfolio: {accounts:,} accounts, {contacts:,} contacts ({executives:,} executives), "
                          f"{interactions:,} interactions, {participants:,} participants")
        days = [as_of - timedelta(days=k) for k in range(1, runs + 2)]      # one per run, and the warm-up
        self._drop_days(days)
        with CaptureQueriesContext(connection) as queries:
            recompute_scores(as_of=as_of)                      # also warms the cache for both sides
        with connection.cursor() as cursor:
            cursor.execute(BARE_SQL)
            self.stdout.write(f"Bare SQL aggregate: {len(cursor.fetchall()):,} groups (count and latest "
                              f"interaction per contact)")
        self.results = []
        try:
            bare, full, ratios = alternate(self._bare, partial(self._recompute, iter(days)), runs=runs,
                                           log=self.stdout.write)
        finally:
            self._drop_days(days)
        last = self.results[-1]
        self.stdout.write(
            f"Full recompute: {len(queries)} queries; {last.accounts:,} accounts, {last.contacts:,} executives, "
            f"{last.snapshots:,} snapshots a day ({runs} runs, one day each before {as_of}, alternated with the "
            f"bare aggregate)")
        self.stdout.write(spread_line("bare SQL aggregate", bare))
        self.stdout.write(spread_line("full recompute", full))
        self.stdout.write(spread_line("  reading the facts", [r.timings["load"] for r in self.results]))
        self.stdout.write(spread_line("  scoring and writing", [r.timings["score_and_write"] for r in self.results]))
        self.stdout.write(spread_line("ratio recompute / bare aggregate", ratios, unit=""))
        median = spread(ratios)[1]
        self.stdout.write(f"median ratio {median:.2f} (target <= 3: {'meets' if median <= 3 else 'misses'})")
        self.stdout.write(machine_line())
        stored = ScoreSnapshot.objects.filter(as_of=as_of).count()
        if stored != last.snapshots:
            raise CommandError(f"{last.snapshots} snapshots a day written but {stored} stored for {as_of}")
