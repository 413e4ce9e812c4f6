"""``manage.py demo_admin``: create (or reset) the demo's admin login and print it."""

import os
import secrets

from django.core.management.base import BaseCommand

from accounts.models import User


class Command(BaseCommand):
    help = "Create or reset the superuser 'admin' for the demo and print its password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default=os.environ.get("DEMO_ADMIN_PASSWORD") or None,
                            help="Default: $DEMO_ADMIN_PASSWORD, else a new random one.")

    def handle(self, *, username, password, **options):
        password = password or secrets.token_urlsafe(9)
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@localhost", "role": User.Role.ADMIN})
        user.is_staff = user.is_superuser = user.is_active = True
        user.role = User.Role.ADMIN
        user.set_password(password)
        user.save()
        line = "=" * 64
        self.stdout.write(self.style.SUCCESS(
            f"\n{line}\n Executive Sponsor Tracker demo: http://127.0.0.1:8000/\n"
            f" Log in as  {username}  /  {password}\n Admin:     http://127.0.0.1:8000/admin/\n{line}\n"))
