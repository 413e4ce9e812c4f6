"""``manage.py sponsor_report ACCOUNT_ID [--as-of DATE] --format md|html|pdf|json|ics [-o FILE]``.

An admin shell tool: it sees every account.  ACCOUNT_ID is the account's external (CRM) id or its
database id.  Without ``-o`` the report goes to stdout (PDF as raw bytes to stdout's binary buffer).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.cli import as_of_date, resolve_account
from reports.builder import build_sponsor_report
from reports.exports import FORMATS, export_report
from reports.render_json import load_schema


class Command(BaseCommand):
    help = "Write one account's Executive Sponsor Report as Markdown, HTML, PDF, JSON or an .ics calendar."

    def add_arguments(self, parser):
        parser.add_argument("account_id", metavar="ACCOUNT_ID", nargs="?",
                            help="CRM (external) id, pk:N or database id.")
        parser.add_argument("--schema", action="store_true",
                            help="Print the report's JSON Schema (with the alert codes filled in) instead.")
        parser.add_argument("--as-of", dest="as_of", type=as_of_date, default=None,
                            help="Report date YYYY-MM-DD (default today).")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="md")
        parser.add_argument("-o", "--output", default=None, help="Write to FILE instead of stdout.")

    def handle(self, *, account_id, as_of, fmt, output, schema, **options):
        if schema:
            self.stdout.write(json.dumps(load_schema(), indent=2, ensure_ascii=False))
            return
        if not account_id:
            raise CommandError("ACCOUNT_ID is required (or pass --schema)")
        day = as_of or timezone.localdate()
        account = resolve_account(account_id, label="account")
        export = export_report(build_sponsor_report(account=account, as_of=day), fmt)
        if output:
            path = Path(output)
            path.write_bytes(export.content)
            self.stderr.write(f"Wrote {export.filename} ({len(export.content)} bytes) to {path}")
            return
        if fmt == "pdf":
            buffer = getattr(getattr(self.stdout, "_out", None), "buffer", None)
            if buffer is None:
                raise CommandError("--format pdf: stdout is not a binary stream; use -o FILE")
            buffer.write(export.content)
            buffer.flush()
            return
        self.stdout.write(export.content.decode(), ending="")
