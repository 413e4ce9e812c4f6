"""/api/v1/: logging an interaction that a planned touchpoint foresaw marks the plan done (the pages' "Log it"),
with the same refusals; and the alerts filter by their account's owner as the inbox does.

The world of tests/api_support.py: Northwind Health (dana's, "mine") and Globex Outsider (olga's, "theirs"),
each with a call planned with Lena Fischer for 2026-11-23.  "Now" is 2026-11-20 12:00 UTC."""

from __future__ import annotations

import pytest
import time_machine

from accounts.models import User
from sponsors.models import Alert, Interaction, PlannedTouchpoint

from .api_support import NOW, build_world, caller

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    with time_machine.travel(NOW, tick=False):
        yield build_world(cast, weeks=1)


@pytest.fixture
def api(world, client):
    with time_machine.travel(NOW, tick=False):
        yield caller(world, client)


def log_body(world, **extra):
    mine = world["mine"]
    lena = mine["touchpoint"].contacts.get()
    return {"account": mine["account"].pk, "contacts": [lena.pk], "type": "call", "direction": "meeting",
            "occurred_at": "2026-11-20T09:00:00Z", **extra}


def test_logging_with_its_plan_marks_the_plan_done_once(world, api):
    plan = world["mine"]["touchpoint"]
    response = api("POST", "/api/v1/interactions/", log_body(world, touchpoint=plan.pk))
    assert response.status_code == 201, response.content
    plan.refresh_from_db()
    assert plan.status == PlannedTouchpoint.Status.DONE
    assert api("GET", f"/api/v1/touchpoints/{plan.pk}/").json()["status"] == "done"

    before = Interaction.objects.count()
    again = api("POST", "/api/v1/interactions/", log_body(world, touchpoint=plan.pk))
    error = again.json()["errors"][0]
    assert again.status_code == 400 and error["attr"] == "touchpoint" and "is already done" in error["detail"]
    assert Interaction.objects.count() == before                      # nothing written


def test_another_accounts_plan_is_refused_by_name_and_left_as_it_was(world, api):
    theirs = world["theirs"]["touchpoint"]
    response = api("POST", "/api/v1/interactions/", log_body(world, touchpoint=theirs.pk))
    error = response.json()["errors"][0]
    assert response.status_code == 400 and error["attr"] == "touchpoint"
    assert error["detail"] == f"No planned touchpoint {theirs.pk} at Northwind Health."
    theirs.refresh_from_db()
    assert theirs.status == PlannedTouchpoint.Status.PLANNED


def test_alerts_filter_by_their_accounts_owner(world, api, cast):
    dana, olga = cast["csm"], User.objects.get(email="olga@vendor.example")
    mine, theirs = world["mine"]["account"], world["theirs"]["account"]
    assert Alert.objects.filter(account=mine).exists() and Alert.objects.filter(account=theirs).exists()

    def accounts(who="admin", **params):
        return {a["account"] for a in api("GET", "/api/v1/alerts/", who=who, **params).json()["results"]}

    assert accounts() == {mine.pk, theirs.pk}
    assert accounts(owner=str(olga.pk)) == {theirs.pk}
    assert accounts(owner="DANA@vendor.example") == {mine.pk}
    assert accounts(who="csm", owner="me") == {mine.pk} and accounts(who="admin", owner="me") == set()
    assert accounts(owner=str(dana.pk), who="csm") == {mine.pk}
    assert accounts(owner=str(olga.pk), who="csm") == set()          # the owner filter never widens what one sees
