"""``manage.py recompute_scores [--account ID] [--as-of DATE]``: what the Celery tasks do, from the shell."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Account
from sponsors.engagement import recompute_scores
from sponsors.facts import ENGAGEMENT_LEVELS


def parse_date(value):
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of: {value!r} is not a date (YYYY-MM-DD)") from exc


def resolve_account(value: str) -> Account:
    """An account by its CRM (external) id, or by primary key (``pk:12``, or a plain number that is
    nobody's external id)."""
    value = value.strip()
    if value.startswith("pk:"):
        pk = value[3:]
        if not pk.isdigit():
            raise CommandError(f"--account {value!r}: pk: must be followed by a number")
        found = Account.objects.filter(pk=int(pk)).first()
        if found is None:
            raise CommandError(f"--account {value!r}: no account with that pk")
        return found
    matches = list(Account.objects.filter(external_id=value).order_by("pk")[:5])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listed = ", ".join(f"{a.source}/{a.external_id} (pk:{a.pk})" for a in matches)
        raise CommandError(f"--account {value!r} is the external id of several accounts: {listed}; "
                           f"pass --account pk:N")
    if value.isdigit():
        found = Account.objects.filter(pk=int(value)).first()
        if found is not None:
            return found
    raise CommandError(f"--account {value!r}: no account with that external id or pk")


def level_line(counter) -> str:
    return ", ".join(f"{level} {counter[level]}" for level in ENGAGEMENT_LEVELS if counter.get(level)) or "none"


class Command(BaseCommand):
    help = "Recompute engagement scores and store the day's snapshots (the whole portfolio, or one account)."

    def add_arguments(self, parser):
        parser.add_argument("--account", default=None,
                            help="Only this account: its external (CRM) id, or its pk (pk:12).")
        parser.add_argument("--as-of", type=parse_date, default=None, help="Score as of this date (default today).")

    def handle(self, *args, account, as_of, **options):
        as_of = as_of or timezone.localdate()
        target = resolve_account(account) if account else None
        result = recompute_scores(account_ids=None if target is None else [target.pk], as_of=as_of)
        scope = f"account {target.name} ({target.source}/{target.external_id}, pk:{target.pk})" if target \
            else "the whole portfolio"
        self.stdout.write(self.style.SUCCESS(
            f"Scores as of {as_of} for {scope}: {result.accounts} account(s), {result.contacts} executive(s) "
            f"scored, {result.snapshots} snapshot(s) written in {result.elapsed:.2f}s"))
        self.stdout.write(f"  accounts by level: {level_line(result.account_levels)}")
        self.stdout.write(f"  executives by level: {level_line(result.contact_levels)}")
        t = result.timings
        self.stdout.write(f"  reading the facts {t['load']:.2f}s, scoring and writing {t['score_and_write']:.2f}s")
