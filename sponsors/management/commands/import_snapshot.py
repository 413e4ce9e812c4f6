"""``manage.py import_snapshot PATH [PATH …]``: load CRM snapshot files (docs/snapshot-format.md)."""

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from accounts.models import Account
from sponsors import signals
from sponsors.crm.snapshot import SnapshotError, load_snapshot
from sponsors.crm.sync import sync_accounts


def _queue_account_refresh(snapshot, source):
    """The sync writes in bulk (no model signals): queue the touched accounts' refresh (scores, then
    guardrails) for when the import commits."""
    if not (getattr(settings, "REDIS_URL", "") or getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)):
        return
    ids = list(Account.objects.filter(source=source, external_id__in=[a.external_id for a in snapshot.accounts])
               .values_list("pk", flat=True))
    transaction.on_commit(lambda: signals.queue_account_refresh(ids), robust=True)


class Command(BaseCommand):
    help = "Import CRM snapshot files; each file is one transaction, and importing it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--source", default="snapshot",
                            help="Source name the account ids belong to (default: snapshot).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, paths, source, no_progress, **options):
        failed = []
        for path in paths:
            started = time.perf_counter()
            try:
                snapshot = load_snapshot(path)
            except SnapshotError as exc:
                failed.append(path)
                self.stderr.write(self.style.ERROR(f"{path}: not imported, {len(exc.problems)} problem(s):"))
                for problem in exc.problems:
                    self.stderr.write(f"  {problem}")
                continue
            total = len(snapshot.accounts) + snapshot.interaction_count
            show = not no_progress and total > 2000
            with tqdm(total=total, desc=f"Importing {path}", unit="row", disable=not show,
                      file=sys.stderr, leave=False) as bar:
                summary = sync_accounts(snapshot, source=source, progress=bar.update)
            elapsed = time.perf_counter() - started
            verdict = "imported" if summary.changed else "already up to date"
            self.stdout.write(self.style.SUCCESS(
                f"{path}: {verdict} — {len(snapshot.accounts)} accounts, {snapshot.interaction_count} "
                f"interactions in {elapsed:.1f}s"))
            for line in summary.lines():
                self.stdout.write(f"  {line}")
            if summary.changed:
                _queue_account_refresh(snapshot, source)
        if failed:
            raise CommandError(f"{len(failed)} of {len(paths)} file(s) not imported: {', '.join(failed)}")
