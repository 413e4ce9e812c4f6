"""``manage.py store_portfolio_metrics [--weeks 12] [--as-of DATE]``: store the five portfolio metrics of every
scope (all accounts, each team, each manager's and CSM's accounts) for the last N weeks' Sundays — what the
weekly job stores once a week, all at once (``make demo`` runs it so the portfolio's trends show at once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.cli import as_of_date
from reports import metric_history as mh


class Command(BaseCommand):
    help = "Store the portfolio metrics of every scope for the last N weeks (one day a week, Sundays)."

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=12, help="weeks, one Sunday apart (default 12)")
        parser.add_argument("--as-of", type=as_of_date, default=None, help="the last Sunday (default: last Sunday)")

    def handle(self, *, weeks, as_of, **options):
        if not 1 <= weeks <= 104:
            raise CommandError(f"--weeks {weeks}: give 1 to 104 weeks")
        last = mh.week_end(as_of or timezone.localdate())
        for day in mh.weekly_days(last, weeks):
            result = mh.store_all_scopes(as_of=day)
            self.stdout.write(f"Metrics as of {result['as_of']}: {result['scopes']} scope(s) stored")
