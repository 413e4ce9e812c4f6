"""The account workspace (``/accounts/<id>/``): the header and the executive cards read from stored scores;
logging an interaction inline (errors beside their fields, the operational-to-executive refusal on the
form, the cards, the overall score and "what changed" coming back out of band); editing and deleting what
one logged (audited); planning a touchpoint with the conflict warning before and after saving; adding and
editing an executive; the timeline's pages and filters.

On the spec's example account (Northwind Health, enterprise: 12 executive meetings a year is the target):
Priya Natarajan (COO, primary) had a 1:1 on 2026-11-03 and a QBR on 2026-10-01; Marcus Holt (VP Finance,
backup) had only an e-mail he answered; Lena Fischer is a director (not an executive).  "Now" is
2026-11-20 12:00 UTC."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from accounts.models import Account
from accounts.vocabulary import FACTOR_LABELS
from sponsors.models import Contact, Interaction, OrgChange, PlannedTouchpoint, ScoreSnapshot
from sponsors.services.scores import recompute_scores
from sponsors.services.touchpoints import interaction_log, touchpoint_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]

TODAY = date(2026, 11, 20)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def northwind(cast, document, write_snapshot):
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    account = Account.objects.get(external_id="acc_123")
    recompute_scores(account_ids=[account.pk], as_of=date(2026, 11, 13))
    recompute_scores(account_ids=[account.pk], as_of=TODAY)
    return account


@pytest.fixture
def csm(client, cast):
    client.force_login(cast["csm"])
    return client


def contact(account, external_id):
    return Contact.objects.get(account=account, external_id=external_id)


def section(html, element_id, tag="section"):
    match = re.search(rf'<{tag} [^>]*id="{element_id}".*?</{tag}>', html, re.S)
    assert match, f"no #{element_id}"
    return match.group(0)


def card(html, person):
    match = re.search(rf'<li class="exec-card[^"]*" data-contact="{person.pk}".*?\n    </li>', html, re.S)
    assert match, f"no card for {person.name}"
    return match.group(0)


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def field_error(html, prefix, name):
    """The error shown beside a form field (inside its ``field-<name>`` block)."""
    block = re.search(rf'<div class="field field-{name} has-error">.*?</div>\s*(?=<div class="field|<button)', html,
                      re.S)
    assert block, f"no error beside {prefix}-{name}"
    return text(re.search(r'<p class="field-error"[^>]*>(.*?)</p>', block.group(0), re.S).group(1))


def log(client, account, **fields):
    data = {"type": "one_on_one", "occurred_at": "2026-11-19T15:00", "direction": "meeting",
            "purpose": "strategic", "topics": "Renewal, Expansion", "outcome": "Agreed on a pilot", **fields}
    return client.post(f"/accounts/{account.pk}/interactions/", {f"log-{k}": v for k, v in data.items()},
                       headers=HTMX)


# --- the page ---------------------------------------------------------------------------------------------

def test_the_header_and_cards_show_the_stored_scores_with_factor_bars_and_a_trend(northwind, csm):
    html = csm.get(f"/accounts/{northwind.pk}/").content.decode()
    own = ScoreSnapshot.objects.get(account=northwind, contact=None, as_of=TODAY)
    header = section(html, "account-header")
    assert "Enterprise" in header and "USD 480,000" in header and "2027-01-31" in header and "in 72 days" in header
    assert "dana@vendor.example <small" in header and "(CSM)" in header            # the team, CSM first
    assert header.index("dana@vendor.example") < header.index("sam@vendor.example")
    assert f'<span class="big" id="overall-score">{own.score}</span>/100' in header
    assert header.count("<polyline") == 1                      # the overall 12-week trend (two weekly points)

    priya = contact(northwind, "c_1")
    snap = ScoreSnapshot.objects.get(contact=priya, as_of=TODAY)
    c = card(html, priya)
    assert f'<span class="big card-score">{snap.score}</span>/100' in c and "Primary sponsor" in c
    for factor in snap.breakdown["factors"]:
        width = round(100 * factor["score"] / 25)
        assert f'aria-label="{FACTOR_LABELS[factor["key"]]}: {factor["score"]} of 25"' in c
        assert f'<rect class="bar-fill" width="{width}"' in c
    assert "Target 12: Actual 2" in c                           # the 1:1 and the QBR
    assert "Last touch 2026-11-03 (17 days ago)" in text(c)
    assert "next due 2026-12-03" in text(c)                     # + the 30-day enterprise cadence
    assert "Lena Fischer" not in section(html, "executives")   # a director gets no card


def test_an_account_never_scored_says_so_instead_of_zeroes(cast, document, write_snapshot, csm):
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    account = Account.objects.get(external_id="acc_123")
    html = csm.get(f"/accounts/{account.pk}/").content.decode()
    assert "Not scored yet" in section(html, "account-header")
    assert "not scored yet" in section(html, "executives") and "no history yet" in section(html, "executives")


# --- logging an interaction --------------------------------------------------------------------------------

def test_logging_a_1_1_updates_the_card_the_overall_score_and_what_changed_out_of_band(northwind, csm, cast):
    marcus = contact(northwind, "c_2")
    before = ScoreSnapshot.objects.get(contact=marcus, as_of=TODAY)
    assert "Target 12: Actual 0" in str(before.breakdown["factors"])

    response = log(csm, northwind, participants=[str(marcus.pk)])

    assert response.status_code == 200
    [logged] = Interaction.objects.filter(account=northwind, external_id=None)
    assert logged.type == "one_on_one" and logged.logged_by == "dana@vendor.example"
    assert list(logged.participants.all()) == [marcus] and logged.topics == ["Renewal", "Expansion"]
    assert logged.history.get().history_user == cast["csm"]           # audited: who logged it
    after = ScoreSnapshot.objects.get(contact=marcus, as_of=TODAY)   # rescored at once, today
    assert after.score > before.score

    html = response.content.decode()
    assert html.lstrip().startswith('<section class="panel" id="log-panel"')
    assert "Logged: 1:1 on 2026-11-19." in section(html, "log-panel")
    for oob in ("account-header", "executives", "changes-panel", "alerts-panel", "timeline"):
        assert re.search(rf'id="{oob}"[^>]*hx-swap-oob="true"', html), oob
    c = card(html, marcus)
    assert f'<span class="big card-score">{after.score}</span>' in c and "Target 12: Actual 1" in c
    assert "Marcus Holt" in section(html, "changes-panel")            # then (a week ago) → now
    assert response["HX-Retarget"] == "#log-panel"


def test_an_operational_call_with_an_executive_is_refused_beside_purpose(northwind, csm):
    priya = contact(northwind, "c_1")
    response = log(csm, northwind, participants=[str(priya.pk)], type="call", direction="outbound",
                   purpose="operational")
    assert response.status_code == 400
    html = response.content.decode()
    error = field_error(html, "log", "purpose")
    assert "Priya Natarajan" in error and "operational" in error
    assert 'value="operational" selected' in html                     # what was typed stays
    assert not Interaction.objects.filter(account=northwind, external_id=None).exists()


@pytest.mark.parametrize(("fields", "name", "words"), [
    ({}, "participants", "Choose at least one person."),
    ({"occurred_at": "2026-11-25T10:00"}, "occurred_at", "in the future"),
    ({"occurred_at": "0001-01-01T10:00"}, "occurred_at", "outside the dates this product handles"),
    ({"direction": "outbound", "responded_at": "2026-11-18T10:00"}, "responded_at", "cannot come before"),
    ({"type": "telegram"}, "type", "Select a valid choice"),
])
def test_bad_input_is_named_beside_its_field_and_nothing_is_written(northwind, csm, fields, name, words):
    marcus = contact(northwind, "c_2")
    data = {"participants": [str(marcus.pk)], **fields} if name != "participants" else fields
    response = log(csm, northwind, **data)
    assert response.status_code == 400
    assert words in field_error(response.content.decode(), "log", name)
    assert not Interaction.objects.filter(account=northwind, external_id=None).exists()


def test_a_contact_of_another_account_is_not_a_choice(northwind, csm, cast):
    other = Account.objects.create(source="x", external_id="x1", name="Globex", tier="smb")
    stranger = Contact.objects.create(account=other, name="Eve", roles=["vp"])
    response = log(csm, northwind, participants=[str(stranger.pk)])
    assert response.status_code == 400
    assert "is not one of the available choices" in field_error(response.content.decode(), "log", "participants")


def test_a_departure_confirmed_before_the_crm_knows_shows_on_the_card_and_leaves_the_forms(northwind, csm):
    """THE rule of who has left (a confirmed departure counts before the CRM's status): the card says
    Departed with no further touch due, the stored scores count her out, and neither the log nor the plan
    form offers her; a log naming her anyway is refused beside the field."""
    priya, lena = contact(northwind, "c_1"), contact(northwind, "c_3")          # a sponsor and a director
    for person in (priya, lena):
        OrgChange.objects.create(account=northwind, contact=person, kind="departure", source="linkedin",
                                 occurred_on=date(2026, 11, 18), state=OrgChange.State.CONFIRMED)
    recompute_scores(account_ids=[northwind.pk], as_of=TODAY)
    assert Contact.objects.get(pk=priya.pk).status == Contact.Status.ACTIVE        # the CRM has not caught up

    html = csm.get(f"/accounts/{northwind.pk}/").content.decode()
    c = card(html, priya)
    assert "exec-card departed" in c and "Departed" in c and "no further touch" in text(c)
    assert "next due" not in text(c)
    assert ScoreSnapshot.objects.get(contact=priya, as_of=TODAY).breakdown["contact"]["status"] == "departed"
    for panel in ("log-panel", "plan-panel"):
        for person in (priya, lena):
            assert f'value="{person.pk}"' not in section(html, panel), (panel, person.name)
    assert f'value="{contact(northwind, "c_2").pk}"' in section(html, "plan-panel")   # the others stay
    response = log(csm, northwind, participants=[str(priya.pk)])
    assert response.status_code == 400
    assert "is not one of the available choices" in field_error(response.content.decode(), "log", "participants")


# --- editing and deleting what one logged ------------------------------------------------------------------

def test_the_logger_edits_their_interaction_and_the_trail_says_so(northwind, csm, cast):
    marcus, priya = contact(northwind, "c_2"), contact(northwind, "c_1")
    mine = interaction_log(account=northwind, contacts=[marcus], occurred_at=datetime(2026, 11, 19, 15, tzinfo=UTC),
                           type="call", direction="meeting", by=cast["csm"])
    form = csm.get(f"/accounts/{northwind.pk}/interactions/{mine.pk}/edit/", headers=HTMX).content.decode()
    assert 'id="interaction-' in form and 'name="edit-type"' in form and 'value="call" selected' in form

    response = csm.post(f"/accounts/{northwind.pk}/interactions/{mine.pk}/edit/",
                        {"edit-type": "one_on_one", "edit-occurred_at": "2026-11-19T16:30", "edit-direction": "meeting",
                         "edit-purpose": "strategic", "edit-participants": [str(marcus.pk), str(priya.pk)],
                         "edit-topics": "", "edit-outcome": "Moved to a 1:1"}, headers=HTMX)

    assert response.status_code == 200 and response["HX-Retarget"] == "#log-panel"
    mine.refresh_from_db()
    assert mine.type == "one_on_one" and mine.outcome == "Moved to a 1:1"
    assert set(mine.participants.all()) == {marcus, priya}
    latest = mine.history.order_by("-history_date", "-history_id").first()
    assert latest.history_change_reason == "edited" and latest.history_user == cast["csm"]


def test_a_teammate_cannot_edit_or_delete_what_someone_else_logged_nor_anyone_an_import(northwind, client, cast):
    marcus = contact(northwind, "c_2")
    mine = interaction_log(account=northwind, contacts=[marcus], occurred_at=datetime(2026, 11, 19, 15, tzinfo=UTC),
                           type="call", direction="meeting", by=cast["csm"])
    client.force_login(cast["teammate"])
    page = client.get(f"/accounts/{northwind.pk}/").content.decode()
    assert f"/interactions/{mine.pk}/edit/" not in page                  # no button for them
    response = client.post(f"/accounts/{northwind.pk}/interactions/{mine.pk}/delete/", headers=HTMX)
    assert "Not deleted: Logged by dana@vendor.example: only they (or an admin) can change it." in text(
        response.content.decode())
    assert Interaction.objects.filter(pk=mine.pk).exists()
    imported = Interaction.objects.get(account=northwind, external_id="i_1")
    client.force_login(cast["admin"])
    response = client.post(f"/accounts/{northwind.pk}/interactions/{imported.pk}/delete/", headers=HTMX)
    assert "came from the CRM" in response.content.decode() and Interaction.objects.filter(pk=imported.pk).exists()


def test_the_timeline_names_who_logged_an_entry_when_they_are_on_the_account_team(northwind, client, cast):
    """The record keeps the logger's e-mail address; people read a name when it is someone they work with."""
    marcus = contact(northwind, "c_2")
    cast["csm"].first_name, cast["csm"].last_name = "Dana", "Reyes"
    cast["csm"].save()
    when = datetime(2026, 11, 19, 15, tzinfo=UTC)
    interaction_log(account=northwind, contacts=[marcus], occurred_at=when, type="call", direction="meeting",
                    by=cast["csm"])
    interaction_log(account=northwind, contacts=[marcus], occurred_at=when, type="email", direction="outbound",
                    by=cast["outsider"])                           # olga: not on the account team
    client.force_login(cast["manager"])
    for html in (client.get(f"/accounts/{northwind.pk}/").content.decode(),
                 client.get(f"/accounts/{northwind.pk}/?type=call", headers={**HTMX, "HX-Target": "timeline"})
                 .content.decode()):
        timeline = text(section(html, "timeline"))
        assert "logged by Dana Reyes" in timeline and "logged by dana@vendor.example" not in timeline
    assert "logged by olga@vendor.example" in text(section(client.get(f"/accounts/{northwind.pk}/").content.decode(),
                                                           "timeline"))


def test_deleting_removes_the_interaction_rescored_and_keeps_it_in_the_trail(northwind, csm, cast):
    marcus = contact(northwind, "c_2")
    mine = interaction_log(account=northwind, contacts=[marcus], occurred_at=datetime(2026, 11, 19, 15, tzinfo=UTC),
                           type="one_on_one", direction="meeting", by=cast["csm"])
    recompute_scores(account_ids=[northwind.pk], as_of=TODAY)
    assert "Target 12: Actual 1" in str(ScoreSnapshot.objects.get(contact=marcus, as_of=TODAY).breakdown)

    response = csm.post(f"/accounts/{northwind.pk}/interactions/{mine.pk}/delete/", headers=HTMX)

    assert response.status_code == 200 and "Interaction deleted." in response.content.decode()
    assert not Interaction.objects.filter(pk=mine.pk).exists()
    assert "Target 12: Actual 0" in str(ScoreSnapshot.objects.get(contact=marcus, as_of=TODAY).breakdown)
    gone = Interaction.history.filter(id=mine.pk, history_type="-").get()
    assert gone.history_user == cast["csm"] and gone.history_change_reason == "deleted"


# --- planning a touchpoint ---------------------------------------------------------------------------------

def test_the_conflict_warning_shows_before_saving_and_after(northwind, csm, cast):
    priya = contact(northwind, "c_1")
    touchpoint_plan(account=northwind, contacts=[priya], planned_on=date(2026, 11, 27), type="qbr",
                    by=cast["teammate"])
    form = {"plan-planned_on": "2026-11-30", "plan-type": "one_on_one", "plan-contacts": [str(priya.pk)],
            "plan-direction": "meeting", "plan-purpose": "strategic", "plan-objective": "Renewal"}

    preview = csm.get(f"/accounts/{northwind.pk}/touchpoints/check/", form, headers=HTMX).content.decode()
    assert preview.lstrip().startswith('<div id="conflict-warning"')
    assert "li@vendor.example" in preview and "2026-11-27" in preview and "Priya Natarajan" in preview
    assert PlannedTouchpoint.objects.count() == 1                      # the check writes nothing
    far = csm.get(f"/accounts/{northwind.pk}/touchpoints/check/", {**form, "plan-planned_on": "2026-12-20"})
    assert "notice-warn conflict" not in far.content.decode()

    response = csm.post(f"/accounts/{northwind.pk}/touchpoints/", form, headers=HTMX)

    assert response.status_code == 200 and PlannedTouchpoint.objects.count() == 2
    plan = section(response.content.decode(), "plan-panel")
    assert "Planned: 1:1 on 2026-11-30." in plan and 'class="notice notice-warn conflict"' in plan
    assert "li@vendor.example" in plan
    assert "next planned 2026-11-27" in text(card(response.content.decode(), priya))


def test_planning_in_the_past_or_operational_with_an_executive_is_refused_beside_the_field(northwind, csm):
    priya = contact(northwind, "c_1")
    base = {"plan-type": "call", "plan-contacts": [str(priya.pk)], "plan-direction": "outbound",
            "plan-purpose": "strategic"}
    past = csm.post(f"/accounts/{northwind.pk}/touchpoints/", {**base, "plan-planned_on": "2026-11-19"}, headers=HTMX)
    assert past.status_code == 400
    assert "is in the past" in field_error(past.content.decode(), "plan", "planned_on")
    operational = csm.post(f"/accounts/{northwind.pk}/touchpoints/",
                           {**base, "plan-planned_on": "2026-11-25", "plan-purpose": "operational"}, headers=HTMX)
    assert "Priya Natarajan" in field_error(operational.content.decode(), "plan", "purpose")
    assert not PlannedTouchpoint.objects.exists()


# --- executives --------------------------------------------------------------------------------------------

def test_a_csm_adds_an_executive_and_edits_their_title_roles_and_preferences(northwind, csm, cast):
    response = csm.post(f"/accounts/{northwind.pk}/contacts/",
                        {"contact-name": "Ines Duarte", "contact-title": "CFO", "contact-roles": ["c_level"],
                         "contact-communication_preference": "phone", "contact-priorities": "Cost, Growth"},
                        headers=HTMX)
    assert response.status_code == 200
    ines = Contact.objects.get(account=northwind, name="Ines Duarte")
    assert ines.is_executive and ines.priorities == ["Cost", "Growth"] and ines.sponsor == ""
    assert "Added Ines Duarte." in section(response.content.decode(), "sponsors-panel")

    response = csm.post(f"/accounts/{northwind.pk}/contacts/{ines.pk}/edit/",
                        {"edit-contact-name": "Ines Duarte", "edit-contact-title": "Chief Financial Officer",
                         "edit-contact-roles": ["c_level", "executive_sponsor"],
                         "edit-contact-communication_preference": "in person"}, headers=HTMX)
    assert response.status_code == 200
    ines.refresh_from_db()
    assert ines.title == "Chief Financial Officer" and ines.communication_preference == "in person"
    assert "Title: CFO → Chief Financial Officer, by dana@vendor.example (details edited)" in response.content.decode()


def test_removing_a_sponsors_executive_roles_is_refused_beside_roles(northwind, csm):
    marcus = contact(northwind, "c_2")
    response = csm.post(f"/accounts/{northwind.pk}/contacts/{marcus.pk}/edit/",
                        {"edit-contact-name": "Marcus Holt", "edit-contact-roles": ["director"]}, headers=HTMX)
    assert response.status_code == 400
    assert "remove the sponsor role before" in field_error(response.content.decode(), "edit-contact", "roles")
    marcus.refresh_from_db()
    assert marcus.roles == ["vp"]


def test_the_sponsors_panel_reads_the_crms_preference_codes_as_words(northwind, csm):
    panel = text(section(csm.get(f"/accounts/{northwind.pk}/").content.decode(), "sponsors-panel"))
    assert "Prefers: In person" in panel and "in_person" not in panel        # Priya's, from the CRM document


def test_a_csm_is_not_offered_sponsor_roles_and_is_refused_them(northwind, csm):
    marcus = contact(northwind, "c_2")
    html = section(csm.get(f"/accounts/{northwind.pk}/").content.decode(), "sponsors-panel")
    assert "Make primary" not in html and "Admins name primary and backup sponsors." in html
    assert csm.post(f"/accounts/{northwind.pk}/contacts/{marcus.pk}/sponsor/", {"role": "primary"}).status_code == 403


# --- the timeline -------------------------------------------------------------------------------------------

def test_the_timeline_pages_and_filters_by_person_and_type(northwind, csm, cast):
    marcus = contact(northwind, "c_2")
    for day in range(1, 13):                                   # 12 calls with Marcus + the 3 imported
        interaction_log(account=northwind, contacts=[marcus], occurred_at=datetime(2026, 9, day, 10, tzinfo=UTC),
                        type="call", direction="meeting", by=cast["csm"])
    html = csm.get(f"/accounts/{northwind.pk}/").content.decode()
    timeline = section(html, "timeline")
    assert timeline.count('class="timeline-item"') == 10 and "Page 1 of 2 (15 interactions)" in timeline

    second = csm.get(f"/accounts/{northwind.pk}/", {"page": 2}, headers={**HTMX, "HX-Target": "timeline"})
    body = second.content.decode()
    assert body.lstrip().startswith('<section class="panel" id="timeline"') and "<html" not in body
    assert body.count('class="timeline-item"') == 5

    calls = csm.get(f"/accounts/{northwind.pk}/", {"person": marcus.pk, "type": "call"},
                    headers={**HTMX, "HX-Target": "timeline"}).content.decode()
    assert calls.count('class="timeline-item"') == 10 and "(12 interactions)" in calls
    emails = csm.get(f"/accounts/{northwind.pk}/", {"person": marcus.pk, "type": "email"},
                     headers={**HTMX, "HX-Target": "timeline"}).content.decode()
    assert emails.count('class="timeline-item"') == 1
    assert "No interactions match these filters." in csm.get(
        f"/accounts/{northwind.pk}/", {"type": "referral"}, headers={**HTMX, "HX-Target": "timeline"}).content.decode()
