"""``manage.py sync_crm [--connection NAME] [--full]``: what the schedule does, from the shell, with a progress bar."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from sponsors.crm.connections import sync_unavailable
from sponsors.crm.runs import sync_connection
from sponsors.models import CrmConnection, CrmSyncRun


class Command(BaseCommand):
    help = "Sync CRM connections now (incrementally, or --full), showing progress and the run log."

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="one connection by name (default: every enabled one)")
        parser.add_argument("--full", action="store_true", help="re-read everything, ignoring the watermarks")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, connection=None, full=False, no_progress=False, **options):
        if problem := sync_unavailable():
            raise CommandError(problem)
        connections = CrmConnection.objects.filter(name=connection) if connection else \
            CrmConnection.objects.filter(enabled=True)
        connections = list(connections.order_by("name"))
        if not connections:
            raise CommandError(f"no connection named {connection!r} (crm_connection list)" if connection else
                               "no enabled CRM connection: add one with crm_connection add")
        failed = 0
        for c in connections:
            with tqdm(desc=c.name, unit="rec", disable=no_progress, file=sys.stderr, leave=False) as bar:
                def progress(run, bar=bar):
                    bar.total = max(run.total, run.done) or None
                    bar.set_postfix_str(run.stage, refresh=False)
                    bar.update(run.done - bar.n)

                run = sync_connection(c, full=full, trigger="cli", progress=None if no_progress else progress)
            failed += run.status in (CrmSyncRun.Status.FAILED, CrmSyncRun.Status.BUSY)
            self._report(c, run)
        if failed:
            raise CommandError(f"{failed} of {len(connections)} sync(s) did not complete")

    def _report(self, connection, run):
        style = self.style.ERROR if run.status in (CrmSyncRun.Status.FAILED, CrmSyncRun.Status.BUSY) else \
            self.style.WARNING if run.problem_count else self.style.SUCCESS
        took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0
        self.stdout.write(style(f"{connection.name}: {run.get_status_display()} — {run.pages} pages, "
                                f"{run.accounts_changed} account(s) changed, in {took:.1f}s"))
        if run.error:
            self.stdout.write(f"  {run.error}")
        for stream, counts in run.counts.items():
            if stream != "sync":
                self.stdout.write(f"  {stream}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        for table, counts in run.counts.get("sync", {}).items():
            self.stdout.write(f"  {table}: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v))
        for problem in run.problems[:20]:
            self.stdout.write(f"  skipped {problem['object']} {problem['id']}: {problem['message']}")
        if run.problem_count > 20:
            self.stdout.write(f"  … and {run.problem_count - 20} more (admin: CRM sync runs)")
