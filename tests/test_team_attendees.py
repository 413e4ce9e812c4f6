"""Who of our side took part: an interaction logged (or a touchpoint planned) names the account-team members
who attended besides the customer's contacts — on the workspace forms, the API and the admin, through the
same service, which refuses anyone not on the account team (by name, on ``team_attendees``, nothing written).
The timeline and the planned list show them; the spec report's engagement calendar lists them as attendees."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import Account, AccountTeamMember
from sponsors.models import Contact, Interaction, PlannedTouchpoint
from sponsors.services.touchpoints import interaction_log, interaction_update, touchpoint_plan

from .api_support import NOW, bearer, build_world

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
WHEN = datetime(2026, 11, 19, 15, tzinfo=UTC)


@pytest.fixture
def northwind(cast, document, write_snapshot):
    """The spec's example account: Dana (CSM), Li (account executive) and Sam (manager) on its team."""
    with time_machine.travel(NOW, tick=False):
        call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
        yield Account.objects.get(external_id="acc_123")


def priya(account):
    return Contact.objects.get(account=account, external_id="c_1")


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --- the service --------------------------------------------------------------------------------------------

def test_an_interaction_keeps_who_of_the_team_attended(northwind, cast):
    with time_machine.travel(NOW, tick=False):
        logged = interaction_log(account=northwind, contacts=[priya(northwind)], occurred_at=WHEN, type="qbr",
                                 direction="meeting", team_attendees=[cast["csm"], cast["teammate"]], by=cast["csm"])
    assert set(logged.team_attendees.all()) == {cast["csm"], cast["teammate"]}


def test_someone_not_on_the_account_team_is_refused_by_name_and_nothing_is_written(northwind, cast):
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        interaction_log(account=northwind, contacts=[priya(northwind)], occurred_at=WHEN, type="qbr",
                        direction="meeting", team_attendees=[cast["csm"], cast["outsider"]], by=cast["csm"])
    assert refused.value.message_dict["team_attendees"] == [
        "olga@vendor.example is not on the account team of Northwind Health: add them to the team first."]
    assert not Interaction.objects.filter(external_id=None).exists()


def test_the_owner_counts_as_team_and_a_plan_keeps_its_attendees(northwind, cast):
    Account.objects.filter(pk=northwind.pk).update(owner=cast["outsider"])
    northwind.refresh_from_db()
    with time_machine.travel(NOW, tick=False):
        planned, _ = touchpoint_plan(account=northwind, contacts=[priya(northwind)], planned_on=date(2026, 12, 1),
                                     type="one_on_one", team_attendees=[cast["outsider"]], by=cast["csm"])
    assert list(planned.team_attendees.all()) == [cast["outsider"]]


def test_a_correction_keeps_an_attendee_who_has_left_the_team_but_adds_no_stranger(northwind, cast):
    with time_machine.travel(NOW, tick=False):
        logged = interaction_log(account=northwind, contacts=[priya(northwind)], occurred_at=WHEN, type="qbr",
                                 direction="meeting", team_attendees=[cast["teammate"]], by=cast["csm"])
        AccountTeamMember.objects.filter(account=northwind, user=cast["teammate"]).delete()
        edit = {"contacts": [priya(northwind)], "occurred_at": WHEN, "type": "qbr", "direction": "meeting"}
        interaction_update(interaction=logged, team_attendees=[cast["teammate"], cast["csm"]], by=cast["csm"], **edit)
        assert set(logged.team_attendees.all()) == {cast["teammate"], cast["csm"]}
        with pytest.raises(ValidationError) as refused:
            interaction_update(interaction=logged, team_attendees=[cast["outsider"]], by=cast["csm"], **edit)
    assert "olga@vendor.example is not on the account team" in refused.value.message_dict["team_attendees"][0]
    assert set(logged.team_attendees.all()) == {cast["teammate"], cast["csm"]}


# --- the workspace ------------------------------------------------------------------------------------------

def log_qbr(client, account, *team):
    """The CSM logs yesterday's QBR with Priya and these of our side, from the workspace's form."""
    return client.post(f"/accounts/{account.pk}/interactions/", {
        "log-type": "qbr", "log-occurred_at": "2026-11-19T15:00", "log-direction": "meeting",
        "log-purpose": "strategic", "log-participants": [str(priya(account).pk)],
        "log-team_attendees": [str(u.pk) for u in team]}, headers=HTMX)


def test_a_csm_names_who_of_the_team_came_and_the_timeline_shows_them(northwind, cast, client):
    client.force_login(cast["csm"])
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/accounts/{northwind.pk}/").content.decode()
        log_panel = re.search(r'<section [^>]*id="log-panel".*?</section>', page, re.S).group(0)
        assert "From our team" in log_panel
        assert f'value="{cast["teammate"].pk}"' in log_panel and "li@vendor.example (Account executive)" in log_panel
        assert f'value="{cast["outsider"].pk}"' not in log_panel        # not on the team: not offered

        response = log_qbr(client, northwind, cast["csm"], cast["teammate"])
        assert response.status_code == 200, response.content.decode()[:500]
        logged = Interaction.objects.get(external_id=None)
        assert set(logged.team_attendees.all()) == {cast["csm"], cast["teammate"]}
        timeline = text(re.search(rf'<li [^>]*id="interaction-{logged.pk}".*?</li>',
                                  client.get(f"/accounts/{northwind.pk}/").content.decode(), re.S).group(0))
    assert "with Priya Natarajan · our side: dana@vendor.example, li@vendor.example" in timeline


def test_an_attendee_not_offered_is_refused_beside_the_field_and_nothing_is_written(northwind, cast, client):
    client.force_login(cast["csm"])
    with time_machine.travel(NOW, tick=False):
        response = log_qbr(client, northwind, cast["outsider"])
    assert response.status_code == 400
    block = re.search(r'<div class="field field-team_attendees has-error">.*?</fieldset>.*?</p>',
                      response.content.decode(), re.S)
    assert block and "is not one of the available choices" in block.group(0)
    assert not Interaction.objects.filter(external_id=None).exists()


def test_a_plan_names_its_team_attendees_and_the_planned_list_report_and_calendar_show_them(northwind, cast, client):
    client.force_login(cast["csm"])
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"/accounts/{northwind.pk}/touchpoints/", {
            "plan-planned_on": "2026-12-02", "plan-type": "one_on_one", "plan-direction": "meeting",
            "plan-purpose": "strategic", "plan-contacts": [str(priya(northwind).pk)],
            "plan-team_attendees": [str(cast["manager"].pk)]}, headers=HTMX)
        assert response.status_code == 200, response.content.decode()[:500]
        assert list(PlannedTouchpoint.objects.get(account=northwind).team_attendees.all()) == [cast["manager"]]
        plan_panel = re.search(r'<section [^>]*id="plan-panel".*?</section>',
                               client.get(f"/accounts/{northwind.pk}/").content.decode(), re.S).group(0)
        assert "with Priya Natarajan · our side: sam@vendor.example" in text(plan_panel)
        report = client.get(f"/accounts/{northwind.pk}/report/").content.decode()
        calendar = client.get("/calendar/").content.decode()
    assert "sam@vendor.example" in text(report)
    assert "Priya Natarajan; our side: sam@vendor.example" in text(calendar)


# --- the API ------------------------------------------------------------------------------------------------

@pytest.fixture
def world(cast):
    with time_machine.travel(NOW, tick=False):
        yield build_world(cast)


def post(client, world, path, body, who="csm"):
    with time_machine.travel(NOW, tick=False):
        return client.post(path, body, content_type="application/json", **bearer(world["tokens"][who]))


def test_the_api_takes_team_attendees_and_reads_them_back(world, cast, client):
    mine = world["mine"]
    response = post(client, world, "/api/v1/interactions/", {
        "account": mine["account"].pk, "contacts": [mine["contact"].pk], "type": "qbr", "direction": "meeting",
        "occurred_at": "2026-11-19T15:00:00Z", "team_attendees": [cast["teammate"].pk, cast["csm"].pk]})
    assert response.status_code == 201, response.content
    assert response.json()["team_attendees"] == sorted([cast["teammate"].pk, cast["csm"].pk])
    with time_machine.travel(NOW, tick=False):
        again = client.get(f"/api/v1/interactions/{response.json()['id']}/", **bearer(world["tokens"]["csm"]))
    assert again.json()["team_attendees"] == sorted([cast["teammate"].pk, cast["csm"].pk])

    planned = post(client, world, "/api/v1/touchpoints/", {
        "account": mine["account"].pk, "contacts": [mine["contact"].pk], "type": "call",
        "planned_on": "2026-11-27", "team_attendees": [cast["manager"].pk]})
    assert planned.status_code == 201, planned.content
    assert planned.json()["team_attendees"] == [cast["manager"].pk]


@pytest.mark.parametrize(("who", "words"), [
    ("outsider", "olga@vendor.example is not on the account team of Northwind Health"),
    (None, "Not on the account team of Northwind Health: 999999."),
])
def test_the_api_refuses_an_attendee_off_the_team_naming_the_field(world, cast, client, who, words):
    mine = world["mine"]
    attendee = cast[who].pk if who else 999999
    before = Interaction.objects.count()
    response = post(client, world, "/api/v1/interactions/", {
        "account": mine["account"].pk, "contacts": [mine["contact"].pk], "type": "qbr", "direction": "meeting",
        "occurred_at": "2026-11-19T15:00:00Z", "team_attendees": [attendee]})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attr"] == "team_attendees" and words in error["detail"]
    assert Interaction.objects.count() == before


# --- the admin ----------------------------------------------------------------------------------------------

def admin_plan(admin_client, account, attendee):
    with time_machine.travel(NOW, tick=False):
        return admin_client.post("/admin/sponsors/plannedtouchpoint/add/", {
            "account": account.pk, "planned_on": "2026-12-03", "type": "one_on_one", "direction": "meeting",
            "purpose": "strategic", "objective": "", "contacts": [priya(account).pk],
            "team_attendees": [attendee.pk], "status": "planned"})


def test_a_plan_added_in_the_admin_keeps_its_team_attendees(northwind, admin_client, cast):
    response = admin_plan(admin_client, northwind, cast["teammate"])
    assert response.status_code == 302, response.content.decode()[:800]
    assert list(PlannedTouchpoint.objects.get(account=northwind).team_attendees.all()) == [cast["teammate"]]


def test_the_admin_refuses_an_attendee_off_the_team(northwind, admin_client, cast):
    response = admin_plan(admin_client, northwind, cast["outsider"])
    assert response.status_code == 200
    assert "olga@vendor.example is not on the account team of Northwind Health" in response.content.decode()
    assert not PlannedTouchpoint.objects.exists()
