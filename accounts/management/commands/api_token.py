"""``manage.py api_token create --user EMAIL --name NAME`` prints a new personal API token (once: only its
digest is kept); ``list --user EMAIL`` shows a user's tokens with their last use; ``revoke --user EMAIL
PREFIX`` revokes the token whose shown prefix (``est_…``, as listed) it is.  The same door as the page
``/settings/api-tokens/`` (``accounts.tokens``)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.tokens import token_create, token_revoke, tokens_of


class Command(BaseCommand):
    help = "Create, list or revoke a user's personal API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token and print it (shown once).")
        create.add_argument("--user", required=True, help="The user's e-mail address.")
        create.add_argument("--name", required=True, help="What will use it, e.g. 'Slack bot'.")
        listing = sub.add_parser("list", help="A user's active tokens.")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (as listed).")
        revoke.add_argument("--user", required=True)
        revoke.add_argument("prefix")

    def handle(self, *, action, user, **options):
        person = User.objects.filter(email__iexact=user.strip(), is_active=True).order_by("pk").first()
        if person is None:
            raise CommandError(f"No active user with the e-mail {user!r}.")
        try:
            getattr(self, f"_{action}")(person, **options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None

    def _create(self, person, *, name, **options):
        token, raw = token_create(user=person, name=name)
        self.stderr.write(f"Token “{token.name}” for {person.email} — copy it now, it is not shown again:")
        self.stdout.write(raw)

    def _list(self, person, **options):
        tokens = list(tokens_of(person))
        if not tokens:
            self.stdout.write(f"{person.email} has no active tokens.")
        for t in tokens:
            used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never used"
            self.stdout.write(f"{t.prefix}…  {t.name}  created {t.created_at.isoformat(timespec='minutes')}  {used}")

    def _revoke(self, person, *, prefix, **options):
        matches = [t for t in tokens_of(person) if t.prefix == prefix.rstrip("…").rstrip(".")]
        if len(matches) != 1:
            raise CommandError(f"No single active token of {person.email} starts with {prefix!r} (see `list`).")
        token_revoke(token=matches[0], by=person)
        self.stdout.write(f"Revoked {matches[0].prefix}… ({matches[0].name}).")
