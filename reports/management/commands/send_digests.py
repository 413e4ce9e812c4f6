"""``manage.py send_digests [--dry-run] [--as-of DATE] [--to EMAIL]``: the weekly digests of the week whose
send day is ``--as-of`` (default: the latest send day, Monday), for everyone who gets one — or only
``--to``.  ``--dry-run`` prints each text version and writes nothing; otherwise each digest is written to
the outbox once per recipient and week (a re-run finds it written and says so) and sent by the workers,
and teams with a Slack channel get theirs there (not with ``--to``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.cli import as_of_date
from accounts.models import Team, User
from reports import digest_render
from reports import digest_service as ds


def chosen(to: str | None) -> list[User]:
    if not to:
        return list(ds.recipients())
    found = User.objects.filter(email__iexact=to.strip()).first()
    if found is None:
        raise CommandError(f"--to {to!r}: no user with that e-mail address")
    if not found.is_active:
        raise CommandError(f"--to {to!r}: the user is inactive")
    return [found]


class Command(BaseCommand):
    help = "Preview (--dry-run) or send the weekly digests of a week."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print the text versions, send nothing")
        parser.add_argument("--as-of", type=as_of_date, help="the send day (YYYY-MM-DD); default: the last one")
        parser.add_argument("--to", help="only this user's digest (their e-mail address)")

    def handle(self, *, dry_run, as_of, to, **options):
        week = as_of or ds.last_send_day(timezone.localdate())
        people = chosen(to)
        if not people:
            self.stdout.write("Nobody gets the weekly digest: managers do unless they opt out, others opt in "
                              "(Digest settings).")
            return
        for person in people:
            if dry_run:
                digest = ds.user_digest(person, week, save=False)
                self.stdout.write(f"=== To: {person.email}\nSubject: {digest_render.email(digest).subject}\n")
                self.stdout.write(digest_render.email(digest).text)
                continue
            if to and not person.gets_digest:
                raise CommandError(f"--to {to!r}: {person.email} does not get the weekly digest (opted out, "
                                   "or not a manager and not opted in)")
            self.stdout.write(f"{person.email}: {ds.write_digest(user_id=person.pk, week=week)}")
        if not dry_run and not to:
            for team in Team.objects.filter(slack_channel__enabled=True).order_by("name"):
                self.stdout.write(f"Slack, team {team.name}: {ds.write_team_digest(team_id=team.pk, week=week)}")
        self.stdout.write(f"Week of {week.isoformat()}: {len(people)} recipient(s){' (dry run)' if dry_run else ''}.")
