"""``manage.py seed_demo``: generate a demo portfolio, write it as a snapshot file, import it."""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.cli import as_of_date
from accounts.models import Team, User
from sponsors.crm.demo import CSMS, MANAGERS, demo_snapshot
from sponsors.crm.snapshot import SnapshotError, load_snapshot
from sponsors.crm.sync import sync_accounts


class Command(BaseCommand):
    help = "Generate a realistic demo portfolio as a snapshot file and load it through the importer."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=60, help="How many accounts (default 60).")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--as-of", type=as_of_date, default=None, help="Portfolio date (default today).")
        parser.add_argument("--interactions-scale", type=float, default=1.0,
                            help="Multiply each account's interaction history (for performance work).")
        parser.add_argument("--output", default=None, help="Where to write the snapshot (default var/).")

    def handle(self, *, accounts, seed, as_of, interactions_scale, output, **options):
        if accounts < 1:
            raise CommandError("--accounts must be at least 1")
        as_of = as_of or timezone.localdate()
        document = demo_snapshot(accounts=accounts, as_of=as_of, seed=seed, interactions_scale=interactions_scale)
        path = Path(output) if output else Path(settings.BASE_DIR) / "var" / f"demo-snapshot-{accounts}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document))
        try:
            snapshot = load_snapshot(path)
        except SnapshotError as exc:  # a bug in the generator, not user input
            raise CommandError(f"the generated snapshot is invalid: {exc}") from exc
        total = len(snapshot.accounts) + snapshot.interaction_count
        with transaction.atomic():
            with tqdm(total=total, desc="Loading demo portfolio", unit="row", file=sys.stderr,
                      disable=total < 5000, leave=False) as bar:
                summary = sync_accounts(snapshot, source="snapshot", progress=bar.update)
            self._teams()
        self.stdout.write(self.style.SUCCESS(
            f"Demo portfolio as of {as_of}: {len(snapshot.accounts)} accounts, {snapshot.interaction_count} "
            f"interactions (snapshot written to {path})."))
        for line in summary.lines():
            self.stdout.write(f"  {line}")

    def _teams(self):
        """Two CS teams, one per demo manager, so manager visibility has something to show."""
        users = {u.email: u for u in User.objects.filter(email__in=[e for e, _ in CSMS + MANAGERS])}
        for i, (manager_email, manager_name) in enumerate(MANAGERS):
            team, _ = Team.objects.get_or_create(name=f"{manager_name.split()[0]}'s team")
            if manager_email in users:
                team.managers.add(users[manager_email])
            team.members.add(*[users[e] for e, _ in CSMS[i::2] if e in users])
