"""A small world for the /api/v1/ tests: dana's team's account (the spec's example, scored on 12 weekly days,
with alerts, a pending org change and a planned touchpoint) and one of olga's (another team), and a token
per person.  Time stands still at NOW (2026-11-20 12:00 UTC)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta

from accounts.models import Account
from accounts.tokens import token_create
from sponsors.models import Alert, Contact, Interaction, OrgChange
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.scores import recompute_scores
from sponsors.services.touchpoints import touchpoint_plan
from tests.conftest import BASE_DOCUMENT

from .guardrails_support import import_document

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def other_team_document():
    doc = copy.deepcopy(BASE_DOCUMENT)
    rec = doc["accounts"][0]
    rec["account"].update(id="acc_olga", name="Globex Outsider", owner={"email": "olga@vendor.example",
                                                                       "name": "Olga Other"},
                          team=[{"email": "olga@vendor.example", "name": "Olga Other", "role": "csm"}])
    for c in rec["contacts"]:
        c["email"] = c.get("email", "").replace("northwind", "globex")
    return doc


def build_world(cast, *, weeks: int = 12) -> dict:
    import_document(BASE_DOCUMENT)
    import_document(other_team_document())
    mine, theirs = Account.objects.get(external_id="acc_123"), Account.objects.get(external_id="acc_olga")
    for back in range(weeks - 1, -1, -1):
        recompute_scores(as_of=TODAY - timedelta(days=7 * back))
    evaluate_accounts(as_of=TODAY)
    objects = {}
    for key, account in (("mine", mine), ("theirs", theirs)):
        lena = Contact.objects.get(account=account, external_id="c_3")
        OrgChange.objects.create(account=account, contact=lena, kind="role_change", occurred_on=date(2026, 11, 19),
                                 source="news", headline=f"{lena.name} moves", confidence=0.4, state="pending")
        touchpoint, _ = touchpoint_plan(account=account, contacts=[lena], planned_on=TODAY + timedelta(days=3),
                                        type="call", direction="meeting", purpose="strategic", by=cast["csm"])
        objects[key] = {
            "account": account, "contact": Contact.objects.get(account=account, external_id="c_1"),
            "interaction": Interaction.objects.filter(account=account).first(),
            "touchpoint": touchpoint,
            "org_change": OrgChange.objects.filter(account=account, state="pending").first(),
            "alert": Alert.objects.filter(account=account).exclude(status="resolved").first(),
        }
    tokens = {name: token_create(user=user, name="tests")[1] for name, user in cast.items()}
    return {"mine": objects["mine"], "theirs": objects["theirs"], "tokens": tokens}


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def caller(world, client):
    """``call(method, path, body=None, who="csm", **params)``: the API as ``who`` with their token (a JSON body,
    or query parameters for a GET)."""
    def call(method, path, body=None, who="csm", **params):
        headers = bearer(world["tokens"][who])
        if method == "GET":
            return client.get(path, params, **headers)
        return client.generic(method, path, json.dumps(body) if body is not None else "",
                              content_type="application/json", **headers)
    return call
