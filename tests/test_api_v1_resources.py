"""/api/v1/ resources as a client uses them: stored scores and trends, contacts with their four factors,
logging an interaction with a display label and the pages' refusals, planning, org-change review, alert
actions, the report, metrics, filters, ordering, cursor pagination, and a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from sponsors.models import Alert, Contact, Interaction, OrgChange, ScoreSnapshot
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.scores import recompute_scores
from sponsors.services.touchpoints import touchpoint_plan

from .api_support import NOW, TODAY, bearer, build_world, caller, other_team_document
from .guardrails_support import import_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    with time_machine.travel(NOW, tick=False):
        yield build_world(cast)


@pytest.fixture
def api(world, client):
    with time_machine.travel(NOW, tick=False):
        yield caller(world, client)


def test_an_account_reads_its_stored_score_and_12_week_trend(world, api):
    account = world["mine"]["account"]
    stored = ScoreSnapshot.objects.get(account=account, contact=None, as_of=TODAY)
    body = api("GET", f"/api/v1/accounts/{account.pk}/").json()
    assert (body["score"], body["level"], body["risk"], body["scored_on"]) == (stored.score, stored.level,
                                                                                 stored.risk, "2026-11-20")
    assert body["external_id"] == "acc_123" and body["tier_label"] == "Enterprise"
    assert body["method"] == stored.breakdown["method"] and body["cadence"]["cadence_days"] == 30
    weeks = [(TODAY - timedelta(days=7 * k)).isoformat() for k in range(11, -1, -1)]
    assert [p["as_of"] for p in body["trend"]] == weeks
    # Stored, not rescored: change the stored score and the API follows it.
    ScoreSnapshot.objects.filter(pk=stored.pk).update(score=7)
    assert api("GET", f"/api/v1/accounts/{account.pk}/").json()["score"] == 7


def test_a_contact_has_its_four_factors_with_notes_history_and_sponsor_role(world, api):
    priya = world["mine"]["contact"]
    body = api("GET", f"/api/v1/contacts/{priya.pk}/").json()
    assert body["sponsor_role"] == "primary" and body["is_executive"] is True
    assert [f["key"] for f in body["score"]["factors"]] == ["meeting_frequency", "responsiveness", "qbr_attendance",
                                                             "strategic_alignment"]
    assert sum(f["score"] for f in body["score"]["factors"]) == body["score"]["total"]
    assert [f["label"] for f in body["score"]["factors"]] == ["Meeting Frequency", "Responsiveness", "QBR Attendance",
                                                               "Strategic Alignment"]     # the stored key's words
    assert body["score"]["factors"][2]["note"] == "1/1 QBRs"
    history = api("GET", f"/api/v1/contacts/{priya.pk}/history/", days="15").json()
    assert [p["as_of"] for p in history["points"]] == ["2026-11-06", "2026-11-13", "2026-11-20"]
    assert api("GET", f"/api/v1/contacts/{priya.pk}/history/", days="0").json()["errors"][0]["attr"] == "days"


def test_logging_an_interaction_takes_the_label_and_refreshes_the_score(world, api, django_capture_on_commit_callbacks):
    mine = world["mine"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api("POST", "/api/v1/interactions/", {
            "account": mine["account"].pk, "contacts": [mine["contact"].pk], "type": "1:1", "direction": "Meeting",
            "occurred_at": "2026-11-19T15:00:00+01:00", "outcome": "Expansion agreed", "topics": ["Renewal"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type"], body["type_label"], body["direction"], body["logged_by"], body["external_id"]) == (
        "one_on_one", "1:1", "meeting", "dana@vendor.example", None)
    interaction = Interaction.objects.get(pk=body["id"])
    assert interaction.history.first().history_source == "api"
    # The account's refresh is queued on commit and a worker recomputes today's scores; do what it does,
    # then read the new score: one more 1:1 in the window (the document has one) and the QBR.
    recompute_scores(account_ids=[mine["account"].pk], as_of=TODAY)
    after = api("GET", f"/api/v1/contacts/{mine['contact'].pk}/").json()["score"]["factors"][0]["note"]
    assert after == "Target 12: Actual 3"


@pytest.mark.parametrize(("change", "attr", "words"), [
    ({"type": "lunch"}, "type", "“lunch” is not one of: one_on_one"),
    ({"direction": "outbound", "purpose": "operational", "type": "email"}, "purpose", "operational"),
    ({"occurred_at": "2026-11-25T10:00:00Z"}, "occurred_at", "This is in the future"),
    ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at", "is outside the dates this product handles"),
    ({"occurred_at": "2026-11-19 10:00"}, "occurred_at", "is not an ISO 8601 date-time with a zone"),
    ({"responded_at": "2026-11-01T10:00:00Z"}, "responded_at", "The reply cannot come before the message."),
    ({"contacts": [10**6]}, "contacts", "Not contacts of Northwind Health: 1000000."),
    ({"contacts": ["x"]}, "contacts.0", "A valid integer is required."),
    ({"account": None}, "account", "This field may not be null."),
])
def test_a_refused_interaction_names_the_field_and_writes_nothing(world, api, change, attr, words):
    mine = world["mine"]
    body = {"account": mine["account"].pk, "contacts": [mine["contact"].pk], "type": "call",
            "direction": "meeting", "occurred_at": "2026-11-19T10:00:00Z", **change}
    before = Interaction.objects.count()
    response = api("POST", "/api/v1/interactions/", body)
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert response.json()["type"] == "validation_error" and error["attr"] == attr and words in error["detail"]
    assert Interaction.objects.count() == before


def test_another_teams_account_in_a_body_is_a_400_like_a_missing_one(world, api):
    theirs = world["theirs"]
    body = {"account": theirs["account"].pk, "contacts": [theirs["contact"].pk], "type": "call",
            "direction": "meeting", "occurred_at": "2026-11-19T10:00:00Z"}
    response = api("POST", "/api/v1/interactions/", body)
    assert response.json()["errors"] == [{"code": "invalid", "detail": "No such account among yours.",
                                          "attr": "account"}]


def test_planning_a_touchpoint_returns_the_conflicts(world, api, cast):
    mine = world["mine"]
    body = {"account": mine["account"].pk, "contacts": [mine["contact"].pk], "type": "QBR",
            "planned_on": "2026-11-24"}
    first = api("POST", "/api/v1/touchpoints/", body, who="teammate")
    assert first.status_code == 201 and first.json()["conflicts"] == []
    second = api("POST", "/api/v1/touchpoints/", {**body, "planned_on": "2026-11-26"}).json()
    assert second["type"] == "qbr" and second["planned_by"]["email"] == "dana@vendor.example"
    assert second["conflicts"][0]["others"][0]["planner"] == "li@vendor.example"
    past = api("POST", "/api/v1/touchpoints/", {**body, "planned_on": "2026-11-19"}).json()
    assert past["errors"][0]["attr"] == "planned_on" and "is in the past" in past["errors"][0]["detail"]


def test_org_changes_are_confirmed_and_dismissed(world, api):
    change = world["mine"]["org_change"]
    pending = api("GET", "/api/v1/org-changes/", state="pending").json()["results"]
    assert [c["id"] for c in pending] == [change.pk]
    confirmed = api("POST", f"/api/v1/org-changes/{change.pk}/confirm/", {"title": "CIO"}).json()
    assert confirmed["state"] == "confirmed" and confirmed["reviewed_by"] == "dana@vendor.example"
    assert Contact.objects.get(pk=change.contact_id).title == "CIO"
    dismissed = api("POST", f"/api/v1/org-changes/{change.pk}/dismiss/").json()
    assert dismissed["state"] == "dismissed" and OrgChange.objects.get(pk=change.pk).state == "dismissed"
    assert api("POST", f"/api/v1/org-changes/{change.pk}/dismiss/", {"why": 1}).json()["errors"][0]["attr"] == "why"


def test_alerts_are_acknowledged_and_resolved_only_when_their_condition_cleared(world, api):
    alert = Alert.objects.get(account=world["mine"]["account"], code="single_threaded")
    acked = api("POST", f"/api/v1/alerts/{alert.pk}/acknowledge/").json()
    assert acked["status"] == "acknowledged" and acked["title"] == "Single-threaded"
    still = api("POST", f"/api/v1/alerts/{alert.pk}/resolve/")
    assert still.status_code == 409 and still.json()["errors"][0]["code"] == "conflict"
    assert "The condition still holds" in still.json()["errors"][0]["detail"]
    assert Alert.objects.get(pk=alert.pk).status == "acknowledged"
    stale = Alert.objects.create(account=alert.account, code="no_sponsor", severity="critical", message="m")
    resolved = api("POST", f"/api/v1/alerts/{stale.pk}/resolve/")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    unresolved = api("GET", "/api/v1/alerts/", status="unresolved").json()["results"]
    assert stale.pk not in [a["id"] for a in unresolved] and alert.pk in [a["id"] for a in unresolved]


def test_accepting_a_succession_without_a_proposal_is_a_409(world, api):
    alert = world["mine"]["alert"]
    response = api("POST", f"/api/v1/alerts/{alert.pk}/accept-succession/")
    assert response.status_code == 409 and "no backup sponsor was proposed" in response.json()["errors"][0]["detail"]


def test_the_report_is_the_reports_json(world, api):
    account = world["mine"]["account"]
    body = api("GET", f"/api/v1/accounts/{account.pk}/report/", as_of="2026-11-20").json()
    assert body["account"]["name"] == "Northwind Health" and body["as_of"] == "2026-11-20"
    assert api("GET", f"/api/v1/accounts/{account.pk}/report/", as_of="9999-12-31").json()["errors"][0]["attr"] == \
        "as_of"


def test_portfolio_metrics_have_their_trend(world, api):
    body = api("GET", "/api/v1/portfolio/metrics/", weeks="3").json()
    assert body["as_of"] == "2026-11-15" and body["accounts"] == 1
    rate = next(m for m in body["metrics"] if m["key"] == "exec_engagement_rate")
    assert [p["as_of"] for p in rate["trend"]] == ["2026-11-01", "2026-11-08", "2026-11-15"]
    assert rate["trend"][-1]["value"] == rate["value"]


def test_filters_and_updated_since_poll_incrementally(world, api):
    mine = world["mine"]["account"]
    assert [a["id"] for a in api("GET", "/api/v1/accounts/", tier="enterprise", owner="me").json()["results"]] == \
        [mine.pk]
    assert api("GET", "/api/v1/accounts/", tier="smb").json()["results"] == []
    assert api("GET", "/api/v1/accounts/", owner="dana@vendor.example").json()["results"][0]["id"] == mine.pk
    level = ScoreSnapshot.objects.get(account=mine, contact=None, as_of=TODAY).level
    assert len(api("GET", "/api/v1/accounts/", level=level).json()["results"]) == 1
    later = (NOW + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert api("GET", "/api/v1/accounts/", updated_since=later).json()["results"] == []
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        Account.objects.filter(pk=mine.pk).update(name="Northwind Health Systems")
        Account.objects.get(pk=mine.pk).save()
        polled = api("GET", "/api/v1/accounts/", updated_since=NOW.isoformat().replace("+00:00", " 00:00"))
    assert [a["name"] for a in polled.json()["results"]] == ["Northwind Health Systems"]
    bad = api("GET", "/api/v1/accounts/", updated_since="0001-01-01T00:00:00+14:00").json()
    assert bad["errors"][0]["attr"] == "updated_since"


def test_cursor_pages_never_skip_or_repeat(cast, client):
    with time_machine.travel(NOW, tick=False):
        world = build_world(cast, weeks=1)
        for i in range(7):
            doc = other_team_document()
            doc["accounts"][0]["account"].update(id=f"acc_{i}", name=f"Acme {i % 3}")
            doc["accounts"][0]["account"]["team"] = [{"email": "dana@vendor.example", "name": "Dana", "role": "csm"}]
            import_document(doc)
        seen, url, params = [], "/api/v1/accounts/", {"page_size": "3", "ordering": "-score"}
        while url:
            page = client.get(url, params, **bearer(world["tokens"]["csm"])).json()
            seen += [a["id"] for a in page["results"]]
            url, params = page["next"], {}
    assert len(seen) == len(set(seen)) == 8
    forged = client.get("/api/v1/accounts/", {"cursor": "cD1ub3Q"}, **bearer(world["tokens"]["csm"]))
    assert forged.status_code == 404 and forged.json()["errors"][0]["detail"] == "Invalid cursor"
    assert client.get("/api/v1/accounts/", {"page_size": "500"}, **bearer(world["tokens"]["csm"])).status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/accounts/", "/api/v1/interactions/", "/api/v1/alerts/"])
def test_an_ordering_the_list_does_not_offer_is_refused_by_name(world, api, path):
    refused = api("GET", path, ordering="-arr")
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["attr"] == "ordering" and "Cannot sort by -arr: sort by one of" in error["detail"]


@pytest.mark.parametrize("path, typo, meant", [("/api/v1/accounts/", "teir", "tier"),
                                               ("/api/v1/alerts/", "severty", "severity"),
                                               ("/api/v1/contacts/", "acount", "account")])
def test_a_query_parameter_the_list_does_not_take_is_refused_by_name(world, api, path, typo, meant):
    """A typo would otherwise answer the whole list as if it were filtered."""
    refused = api("GET", path, **{typo: "x", "page_size": "5"})
    assert refused.status_code == 400
    [error] = refused.json()["errors"]
    assert error["attr"] == typo and "Unknown parameter; this list takes:" in error["detail"]
    assert meant in error["detail"]
    assert api("GET", path, page_size="5").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/accounts/", "/api/v1/contacts/", "/api/v1/interactions/",
                                  "/api/v1/touchpoints/", "/api/v1/org-changes/", "/api/v1/alerts/"])
def test_a_list_costs_the_same_queries_whatever_the_page_size(cast, client, path):
    with time_machine.travel(NOW, tick=False):
        world = build_world(cast, weeks=2)
        for i in range(12):
            doc = other_team_document()
            doc["accounts"][0]["account"].update(id=f"acc_{i}", name=f"Account {i}")
            doc["accounts"][0]["account"]["team"] = [{"email": "dana@vendor.example", "name": "Dana", "role": "csm"}]
            import_document(doc)
            account = Account.objects.get(external_id=f"acc_{i}")
            touchpoint_plan(account=account, contacts=[account.contacts.get(external_id="c_3")],
                            planned_on=TODAY + timedelta(days=i), type="call", by=cast["csm"])
        recompute_scores(as_of=TODAY)
        evaluate_accounts(as_of=TODAY)
        client.get("/api/v1/me/", **bearer(world["tokens"]["csm"]))      # the token's last use is recorded once
        counts = []
        for size in ("1", "200"):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path, {"page_size": size}, **bearer(world["tokens"]["csm"]))
            assert response.status_code == 200
            counts.append((len(response.json()["results"]), len(queries)))
    (few, small), (many, large) = counts
    assert few == 1 and many > 10
    assert large == small <= 9, counts
