"""Every endpoint and method of /api/v1/ (as the schema lists them, plus the methods it does not offer):
anonymous callers get a 401; another team's objects are a 404 and never in a list; read-only fields
(owner, team, scores, external ids…) cannot be written — a resource the CRM and the rules own has no
PUT/PATCH/DELETE (405), and a create naming one of them is a 400 naming the field, with nothing written."""

from __future__ import annotations

import json

import pytest
import time_machine
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Account
from sponsors.models import Alert, Contact, Interaction, OrgChange, PlannedTouchpoint, ScoreSnapshot

from .api_support import NOW, bearer, build_world

pytestmark = pytest.mark.django_db

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = sorted((path, method.upper()) for path, item in SCHEMA["paths"].items() for method in item)
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
EVERY_PATH_AND_METHOD = sorted((path, method) for path in SCHEMA["paths"] for method in ALL_METHODS)
OBJECT_OPERATIONS = [(p, m) for p, m in OPERATIONS if "{id}" in p]
LISTS = [p for p, m in OPERATIONS if m == "GET" and
         any(param["name"] == "cursor" for param in SCHEMA["paths"][p]["get"].get("parameters", []))]
RESOURCE = {"accounts": "account", "contacts": "contact", "interactions": "interaction", "touchpoints": "touchpoint",
            "org-changes": "org_change", "alerts": "alert"}
MODELS = (Account, Contact, Interaction, PlannedTouchpoint, OrgChange, Alert, ScoreSnapshot)


@pytest.fixture
def world(cast):
    with time_machine.travel(NOW, tick=False):
        yield build_world(cast, weeks=1)


def url(path, world, side="mine"):
    if "{id}" not in path:
        return path
    return path.replace("{id}", str(world[side][RESOURCE[path.split("/")[3]]].pk))


def call(client, method, path, headers=None, body=None):
    return client.generic(method, path, json.dumps(body or {}) if method != "GET" else "",
                          content_type="application/json", **(headers or {}))


def db_state():
    state = {m.__name__: m.objects.count() for m in MODELS}
    state["contacts"] = list(Contact.objects.order_by("pk").values_list("sponsor", "status", "title"))
    state["alerts"] = list(Alert.objects.order_by("pk").values_list("status", "acknowledged_at"))
    state["org changes"] = list(OrgChange.objects.order_by("pk").values_list("state", "reviewed_at"))
    state["touchpoints"] = list(PlannedTouchpoint.objects.order_by("pk").values_list("status", flat=True))
    return state


def test_the_schema_lists_every_endpoint_this_test_walks():
    assert len(OPERATIONS) == 25
    assert set(LISTS) == {"/api/v1/accounts/", "/api/v1/contacts/", "/api/v1/interactions/",
                          "/api/v1/touchpoints/", "/api/v1/org-changes/", "/api/v1/alerts/"}
    assert len(OBJECT_OPERATIONS) == 15


@pytest.mark.parametrize(("path", "method"), EVERY_PATH_AND_METHOD)
def test_anonymous_callers_get_a_401(db, client, path, method):
    response = call(client, method, path.replace("{id}", "1"))
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["errors"][0]["code"] == "not_authenticated"


@pytest.mark.parametrize(("path", "method"), OBJECT_OPERATIONS)
def test_another_teams_object_is_a_404_and_nothing_changes(world, client, path, method):
    before = db_state()
    with time_machine.travel(NOW, tick=False):
        response = call(client, method, url(path, world, "mine"), bearer(world["tokens"]["outsider"]),
                        {"role": "primary"} if path.endswith("/sponsor/") else None)
    assert response.status_code == 404, response.content
    assert response.json() == {"type": "client_error",
                               "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}]}
    assert db_state() == before
    # ...and the same request on their own object is not a 404: the 404 is about visibility.
    with time_machine.travel(NOW, tick=False):
        own = call(client, method, url(path, world, "theirs"), bearer(world["tokens"]["outsider"]),
                   {"role": "none"} if path.endswith("/sponsor/") else None)
    assert own.status_code != 404, (path, own.content)


@pytest.mark.parametrize("path", LISTS)
def test_another_teams_objects_are_never_listed(world, client, path):
    resource = RESOURCE[path.split("/")[3]]
    with time_machine.travel(NOW, tick=False):
        theirs = client.get(path, **bearer(world["tokens"]["outsider"])).json()["results"]
        mine = client.get(path, **bearer(world["tokens"]["csm"])).json()["results"]
        filtered = client.get(path, {"account": world["mine"]["account"].pk},
                              **bearer(world["tokens"]["outsider"])).json()
    theirs_ids, mine_ids = {r["id"] for r in theirs}, {r["id"] for r in mine}
    assert world["theirs"][resource].pk in theirs_ids and world["mine"][resource].pk not in theirs_ids
    assert world["mine"][resource].pk in mine_ids and world["theirs"][resource].pk not in mine_ids
    assert not theirs_ids & mine_ids
    if "account" in {param["name"] for param in SCHEMA["paths"][path]["get"]["parameters"]}:
        assert filtered["results"] == []


def test_what_the_user_sees_of_the_portfolio_is_their_own(world, client):
    with time_machine.travel(NOW, tick=False):
        me = client.get("/api/v1/me/", **bearer(world["tokens"]["outsider"])).json()
        metrics = client.get("/api/v1/portfolio/metrics/", **bearer(world["tokens"]["outsider"])).json()
        admin = client.get("/api/v1/me/", **bearer(world["tokens"]["admin"])).json()
    assert (me["email"], me["visible_accounts"], metrics["accounts"]) == ("olga@vendor.example", 1, 1)
    assert admin["visible_accounts"] == 2 and admin["is_admin"] is True


@pytest.mark.parametrize("path", sorted(SCHEMA["paths"]))
def test_nothing_is_replaced_edited_or_deleted(world, client, path):
    before = db_state()
    body = {"owner": world["theirs"]["account"].owner_id, "score": 100, "external_id": "x", "team": [],
            "level": "Champion", "name": "Renamed"}
    for method in ("PUT", "PATCH", "DELETE"):
        response = call(client, method, url(path, world), bearer(world["tokens"]["admin"]), body)
        assert response.status_code == 405, (method, response.content)
        assert response.json()["errors"][0]["code"] == "method_not_allowed"
    assert db_state() == before


READ_ONLY = {
    "/api/v1/interactions/": ("id", "external_id", "logged_by", "created_at"),
    "/api/v1/touchpoints/": ("id", "planned_by", "status", "created_at"),
}


@pytest.mark.parametrize(("path", "field"), [(p, f) for p, fields in READ_ONLY.items() for f in fields])
def test_a_read_only_field_in_a_create_is_a_400_naming_it(world, client, path, field):
    mine = world["mine"]
    body = {"account": mine["account"].pk, "contacts": [mine["contact"].pk], "type": "1:1", "direction": "meeting",
            "occurred_at": "2026-11-19T10:00:00Z", "planned_on": "2026-11-25", field: "sneaky"}
    if path.endswith("touchpoints/"):
        body.pop("occurred_at")
    else:
        body.pop("planned_on")
    before = db_state()
    with time_machine.travel(NOW, tick=False):
        response = call(client, "POST", path, bearer(world["tokens"]["csm"]), body)
    assert response.status_code == 400
    assert response.json() == {"type": "validation_error", "errors": [
        {"code": "unknown_field", "detail": f"{field} is read-only here.", "attr": field}]}
    assert db_state() == before


def test_sponsor_roles_stay_with_admins(world, client):
    marcus = Contact.objects.get(account=world["mine"]["account"], external_id="c_2")
    path = f"/api/v1/contacts/{marcus.pk}/sponsor/"
    with time_machine.travel(NOW, tick=False):
        for who in ("csm", "manager", "teammate"):
            refused = call(client, "POST", path, bearer(world["tokens"][who]), {"role": "none"})
            assert refused.status_code == 403
            assert refused.json()["errors"][0]["detail"] == "Only admins change sponsor roles."
        assert Contact.objects.get(pk=marcus.pk).sponsor == "backup"
        done = call(client, "POST", path, bearer(world["tokens"]["admin"]), {"role": "No role"})
    assert done.status_code == 200 and done.json()["sponsor_role"] is None
    assert Contact.objects.get(pk=marcus.pk).sponsor == ""
