"""``manage.py check_guardrails [--account ID] [--as-of YYYY-MM-DD]``: the daily sweep, from the shell."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.cli import as_of_date, resolve_account
from sponsors.services.alerts import evaluate_accounts


class Command(BaseCommand):
    help = ("Evaluate the guardrails (all accounts, or one), open/refresh/resolve alerts and queue the "
            "escalation e-mails — the same as the daily Celery sweep.")

    def add_arguments(self, parser):
        parser.add_argument("--account", action="append", default=[], metavar="ID",
                            help="An account's CRM id, pk:N or database id; repeat for several.")
        parser.add_argument("--as-of", type=as_of_date, metavar="YYYY-MM-DD",
                            help="Evaluate as of this date (default: today).")

    def handle(self, *args, account, as_of, verbosity=1, **options):
        day = as_of or timezone.localdate()
        ids = [resolve_account(ref).pk for ref in account] or None
        result = evaluate_accounts(account_ids=ids, as_of=day)
        if not result.accounts:
            self.stdout.write("No accounts to evaluate: import a snapshot first (manage.py import_snapshot).")
            return
        self.stdout.write(self.style.SUCCESS(result.summary()))
        if verbosity >= 1:
            for alert in result.opened:
                self.stdout.write(f"  opened [{alert.severity}] {alert.code}: {alert.message}")
