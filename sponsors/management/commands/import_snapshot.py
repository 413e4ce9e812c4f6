"""``manage.py import_snapshot PATH [PATH …]``: load CRM snapshot files (docs/snapshot-format.md)."""

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from accounts.models import Account
from sponsors import signals
from sponsors.bulk import gc_paused
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
        parser.add_argument("--no-wait", action="store_true",
                            help="When another import or sync of the same source is running, refuse instead of "
                                 "waiting for it to finish.")

    def handle(self, *args, paths, source, no_progress, no_wait, **options):
        failed = [path for path in paths if not self._import(path, source=source, no_progress=no_progress,
                                                              wait=not no_wait)]
        if failed:
            raise CommandError(f"{len(failed)} of {len(paths)} file(s) not imported: {', '.join(failed)}")

    @gc_paused()      # read, decode, parse and sync are one piece of bulk work (sponsors/bulk.py)
    def _import(self, path, *, source, no_progress, wait) -> bool:
        """Import one file (one transaction); False, with every problem listed, when it is not imported."""
        started = time.perf_counter()
        try:
            snapshot = load_snapshot(path)
            total = len(snapshot.accounts) + snapshot.interaction_count
            show = not no_progress and total > 2000
            with tqdm(total=total, desc=f"Importing {path}", unit="row", disable=not show,
                      file=sys.stderr, leave=False) as bar:
                summary = sync_accounts(snapshot, source=source, progress=bar.update, wait=wait,
                                        on_wait=lambda message: self.stderr.write(f"{path}: {message}"))
        except SnapshotError as exc:
            self.stderr.write(self.style.ERROR(f"{path}: not imported, {len(exc.problems)} problem(s):"))
            for problem in exc.problems:
                self.stderr.write(f"  {problem}")
            return False
        elapsed = time.perf_counter() - started
        verdict = "imported" if summary.changed else "already up to date"
        self.stdout.write(self.style.SUCCESS(
            f"{path}: {verdict} — {len(snapshot.accounts)} accounts, {snapshot.interaction_count} "
            f"interactions in {elapsed:.1f}s"))
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        if summary.changed:
            _queue_account_refresh(snapshot, source)
        return True
