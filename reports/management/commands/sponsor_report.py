"""``manage.py sponsor_report ACCOUNT_ID [--as-of DATE] --format md|html|pdf|json|ics [-o FILE]``.

An admin shell tool: it sees every account.  ACCOUNT_ID is the account's external (CRM) id or its
database id.  Without ``-o`` the report goes to stdout (PDF as raw bytes to stdout's binary buffer).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from reports.builder import build_sponsor_report
from reports.exports import FORMATS, export_report
from reports.params import BadParameter, parse_as_of


def find_account(identifier: str) -> Account:
    """By external id (any source), else by database id; unknown or ambiguous -> CommandError."""
    matches = list(Account.objects.filter(external_id=identifier)[:2])
    if len(matches) > 1:
        raise CommandError(f"account {identifier!r} is ambiguous: several sources use that external id; "
                           f"pass the database id instead")
    if matches:
        return matches[0]
    if identifier.isdigit():
        account = Account.objects.filter(pk=int(identifier)).first()
        if account is not None:
            return account
    raise CommandError(f"account {identifier!r} not found (use its external id, e.g. acc_00001, or its database id)")


class Command(BaseCommand):
    help = "Write one account's Executive Sponsor Report as Markdown, HTML, PDF, JSON or an .ics calendar."

    def add_arguments(self, parser):
        parser.add_argument("account_id", metavar="ACCOUNT_ID", help="External (CRM) id or database id.")
        parser.add_argument("--as-of", dest="as_of", default=None, help="Report date YYYY-MM-DD (default today).")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="md")
        parser.add_argument("-o", "--output", default=None, help="Write to FILE instead of stdout.")

    def handle(self, *, account_id, as_of, fmt, output, **options):
        try:
            day = parse_as_of(as_of, field="--as-of")
        except BadParameter as exc:
            raise CommandError(str(exc)) from None
        account = find_account(account_id)
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
