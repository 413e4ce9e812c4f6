"""``manage.py demo_logins [--port 8000]``: one active login per role for the demo — an admin, a manager and
a CSM — with fresh passwords, printed with what each one sees."""

import os
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Team, User

# The demo portfolio's people (sponsors/crm/demo.py): Sam Ortiz manages a team, Dana Reyes is a CSM on it.
DEMO_PEOPLE = (
    ("admin", "admin@localhost", "Ada", "Admin", User.Role.ADMIN, "every account, the admin, sponsor roles"),
    ("sam@vendor.example", "sam@vendor.example", "Sam", "Ortiz", User.Role.MANAGER, "the accounts of Sam's team"),
    ("dana@vendor.example", "dana@vendor.example", "Dana", "Reyes", User.Role.CSM, "Dana's own accounts"),
)


class Command(BaseCommand):
    help = "Create or reset one demo login per role (admin, manager, CSM) and print them."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
        parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD") or None,
                            help="One password for all three (default: $DEMO_PASSWORD, else a new random one each).")

    @transaction.atomic
    def handle(self, *, port, password, **options):
        lines = []
        for username, email, first, last, role, sees in DEMO_PEOPLE:
            secret = password or secrets.token_urlsafe(9)
            user = (User.objects.filter(email__iexact=email).first()
                    or User.objects.filter(username=username).first() or User(username=username))
            user.email, user.first_name, user.last_name, user.role = email, first, last, role
            user.is_active = True
            user.is_staff = user.is_superuser = role == User.Role.ADMIN
            user.set_password(secret)
            user.save()
            lines.append(f" {role.label:<8} {email:<22} {secret:<14} sees {sees}")
        if not Team.objects.filter(managers__email="sam@vendor.example").exists():
            self.stderr.write("Note: no team of Sam's yet — run `manage.py seed_demo` first for the manager's view.")
        rule = "=" * 78
        self.stdout.write(self.style.SUCCESS("\n".join([
            "", rule, f" Executive Sponsor Tracker demo: http://127.0.0.1:{port}/   (log in with the e-mail)",
            f" {'role':<8} {'e-mail':<22} {'password':<14}", *lines,
            f" Admin: http://127.0.0.1:{port}/admin/", rule, ""])))
