"""``manage.py check_guardrails [--account ID] [--as-of YYYY-MM-DD]``: the daily sweep, from the shell."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from sponsors.alerts import evaluate_accounts


class Command(BaseCommand):
    help = ("Evaluate the guardrails (all accounts, or one), open/refresh/resolve alerts and queue the "
            "escalation e-mails — the same as the daily Celery sweep.")

    def add_arguments(self, parser):
        parser.add_argument("--account", action="append", default=[], metavar="ID",
                            help="An account's external id (CRM id) or database id; repeat for several.")
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="Evaluate as of this date (default: today).")

    def handle(self, *args, account, as_of, verbosity=1, **options):
        try:
            day = date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError:
            raise CommandError(f"--as-of must be a date as YYYY-MM-DD, got {as_of!r}") from None
        ids = None
        if account:
            ids = []
            for ref in account:
                q = Q(external_id=ref) | (Q(pk=int(ref)) if ref.isdigit() else Q(pk__in=[]))
                found = list(Account.objects.filter(q).values_list("pk", flat=True))
                if not found:
                    raise CommandError(f"--account {ref!r}: no account with that external id or id")
                ids.extend(found)
        result = evaluate_accounts(account_ids=ids, as_of=day)
        if not result.accounts:
            self.stdout.write("No accounts to evaluate: import a snapshot first (manage.py import_snapshot).")
            return
        self.stdout.write(self.style.SUCCESS(result.summary()))
        if verbosity >= 1:
            for alert in result.opened:
                self.stdout.write(f"  opened [{alert.severity}] {alert.code}: {alert.message}")
