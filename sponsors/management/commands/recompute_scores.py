"""``manage.py recompute_scores [--account ID] [--as-of DATE]``: what the Celery tasks do, from the shell."""


from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.cli import as_of_date, resolve_account
from accounts.vocabulary import ENGAGEMENT_LEVELS
from sponsors.services.scores import recompute_scores


def level_line(counter) -> str:
    return ", ".join(f"{level} {counter[level]}" for level in ENGAGEMENT_LEVELS if counter.get(level)) or "none"


class Command(BaseCommand):
    help = "Recompute engagement scores and store the day's snapshots (the whole portfolio, or one account)."

    def add_arguments(self, parser):
        parser.add_argument("--account", default=None,
                            help="Only this account: its external (CRM) id, or its pk (pk:12).")
        parser.add_argument("--as-of", type=as_of_date, default=None, help="Score as of this date (default today).")
        parser.add_argument("--weeks", type=int, default=0,
                            help="Also score the N weeks before, one day a week (builds history for trends).")

    def handle(self, *args, account, as_of, weeks, **options):
        if not 0 <= weeks <= 104:
            raise CommandError("--weeks must be between 0 and 104")
        as_of = as_of or timezone.localdate()
        target = resolve_account(account) if account else None
        for back in range(weeks, 0, -1):
            day = as_of - timedelta(weeks=back)
            earlier = recompute_scores(account_ids=None if target is None else [target.pk], as_of=day)
            self.stdout.write(f"History as of {day}: {earlier.snapshots} snapshot(s)")
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
