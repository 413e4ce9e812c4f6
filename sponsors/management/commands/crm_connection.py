"""``manage.py crm_connection add NAME --kind hubspot|salesforce [--base-url URL] [--api-prefix P]
[--token-env VAR | --token-stdin] [--option KEY=JSON …]`` and ``crm_connection list``."""

import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sponsors.crm.connections import connection_create
from sponsors.models import CrmConnection


class Command(BaseCommand):
    help = "Add a CRM connection (HubSpot or Salesforce), or list them with their last run."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a connection")
        add.add_argument("name", help="also the source name of its accounts, e.g. hubspot")
        add.add_argument("--kind", required=True, choices=CrmConnection.Kind.values)
        add.add_argument("--base-url", default="", help="HubSpot: default https://api.hubapi.com; Salesforce: the "
                                                        "instance URL")
        add.add_argument("--api-prefix", default="", help="HubSpot: default /crm/v3; Salesforce: the API version")
        add.add_argument("--token-env", default="", help="read the token from this environment variable at run time")
        add.add_argument("--token-stdin", action="store_true",
                         help="read the token (or JSON credentials) from standard input and store it encrypted")
        add.add_argument("--analytics-url", default="")
        add.add_argument("--analytics-csv", default="")
        add.add_argument("--option", action="append", default=[], metavar="KEY=JSON",
                         help='a property mapping, e.g. --option \'company_properties={"tier": "segment"}\'')
        sub.add_parser("list", help="list the connections and their last run")

    def handle(self, *args, action, **options):
        if action == "list":
            return self._list()
        mappings = {}
        for pair in options["option"]:
            key, _, value = pair.partition("=")
            try:
                mappings[key.strip()] = json.loads(value)
            except ValueError:
                raise CommandError(f"--option {key}: {value!r} is not JSON") from None
        token = sys.stdin.read().strip() if options["token_stdin"] else ""
        try:
            connection = connection_create(
                name=options["name"], kind=options["kind"], base_url=options["base_url"],
                api_prefix=options["api_prefix"], token=token, token_env=options["token_env"], options=mappings,
                analytics_url=options["analytics_url"], analytics_csv=options["analytics_csv"])
        except ValidationError as exc:
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}"
                                         for field, msgs in exc.message_dict.items())) from None
        secret = (f"token from ${connection.token_env}" if connection.token_env
                  else f"token stored encrypted ({connection.credential_hint})" if connection.credential_hint
                  else "no credentials yet (add them in the admin)")
        self.stdout.write(self.style.SUCCESS(f"added {connection} — {secret}; sync it with: "
                                             f"python manage.py sync_crm --connection {connection.name}"))

    def _list(self):
        connections = list(CrmConnection.objects.order_by("name"))
        if not connections:
            self.stdout.write("No CRM connections yet: python manage.py crm_connection add NAME --kind hubspot "
                              "--token-env HUBSPOT_TOKEN")
            return
        for c in connections:
            last = c.runs.order_by("-started_at").first()
            run = (f"last run {last.started_at:%Y-%m-%d %H:%M} {last.get_status_display()}"
                   f"{': ' + last.error if last.error else ''}" if last else "never synced")
            state = "" if c.enabled else " (disabled)"
            self.stdout.write(f"{c.name}\t{c.get_kind_display()}{state}\t{c.base_url or 'default URL'}\t{run}")
