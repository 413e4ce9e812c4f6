"""Logging a planned touchpoint once it has happened (the workspace's "Log it"): the log form is filled from the
plan, saving logs the interaction and marks the plan done in one transaction, and the planned list, the calendar
and the cards move on.  A plan whose day has passed and that nobody logged or cancelled stays listed for 30 days,
"not logged yet", instead of vanishing.

Northwind Health (tests/conftest.py): Priya Natarajan (COO, primary), Marcus Holt (VP Finance, backup); dana is
its CSM, li a teammate.  "Now" is Friday 2026-11-20 12:00 UTC."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import Account
from sponsors.models import Contact, Interaction, PlannedTouchpoint
from sponsors.services.touchpoints import interaction_log, touchpoint_cancel, touchpoint_plan

from .test_workspace import section, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]
HTMX = {"HX-Request": "true"}


@pytest.fixture
def northwind(cast, document, write_snapshot):
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    return Account.objects.get(external_id="acc_123")


def plan_on(account, day, *, by, contacts, type="qbr", objective="Renewal plan", team=()):
    """Plan as of that day (a plan is for today or later)."""
    with time_machine.travel(datetime(day.year, day.month, day.day, 8, tzinfo=UTC), tick=False):
        touchpoint, _ = touchpoint_plan(account=account, contacts=contacts, planned_on=day, type=type,
                                        objective=objective, team_attendees=team, by=by)
    return touchpoint


def test_log_it_fills_the_form_from_the_plan_and_saving_marks_it_done(northwind, client, cast):
    priya = Contact.objects.get(account=northwind, external_id="c_1")
    plan = plan_on(northwind, date(2026, 11, 18), by=cast["csm"], contacts=[priya], team=[cast["teammate"]])
    client.force_login(cast["csm"])

    page = client.get(f"/accounts/{northwind.pk}/").content.decode()
    planned = section(page, "plan-panel")
    assert "Not logged yet: 2026-11-18 QBR with Priya Natarajan" in text(planned)
    assert f'href="/accounts/{northwind.pk}/?log_from={plan.pk}#log-panel">Log it</a>' in planned

    form = section(client.get(f"/accounts/{northwind.pk}/", {"log_from": plan.pk}).content.decode(), "log-panel")
    assert "Logging the QBR planned for 2026-11-18: saving marks it done." in text(form)
    assert '<option value="qbr" selected>' in form
    assert 'value="2026-11-18T12:00"' in form                       # on its day, at this time of day
    assert re.search(rf'value="{priya.pk}"[^>]* checked', form)
    assert re.search(rf'value="{cast["teammate"].pk}"[^>]* checked', form)
    assert 'name="log-topics" value="Renewal plan"' in form
    assert f'name="log-touchpoint" value="{plan.pk}"' in form

    response = client.post(f"/accounts/{northwind.pk}/interactions/", {
        "log-type": "qbr", "log-occurred_at": "2026-11-18T15:00", "log-participants": [str(priya.pk)],
        "log-team_attendees": [str(cast["teammate"].pk)], "log-direction": "meeting", "log-purpose": "strategic",
        "log-topics": "Renewal plan", "log-outcome": "Renewal agreed", "log-touchpoint": str(plan.pk)},
        headers=HTMX)

    assert response.status_code == 200
    plan.refresh_from_db()
    assert plan.status == PlannedTouchpoint.Status.DONE
    logged = Interaction.objects.get(account=northwind, external_id=None)
    assert logged.type == "qbr" and logged.outcome == "Renewal agreed"
    html = response.content.decode()
    assert "The QBR planned for 2026-11-18 is done." in text(section(html, "log-panel"))
    assert re.search(r'id="plan-panel"[^>]*hx-swap-oob="true"', html)        # the planned list, updated
    assert "Nothing planned yet." in section(html, "plan-panel")


def test_a_plan_that_happens_early_is_logged_now(northwind, client, cast):
    priya = Contact.objects.get(account=northwind, external_id="c_1")
    plan = plan_on(northwind, date(2026, 11, 27), by=cast["csm"], contacts=[priya], type="one_on_one")
    client.force_login(cast["csm"])
    form = section(client.get(f"/accounts/{northwind.pk}/", {"log_from": plan.pk}).content.decode(), "log-panel")
    assert 'value="2026-11-20T12:00"' in form and '<option value="one_on_one" selected>' in form


def test_a_plan_is_logged_once_and_only_on_its_own_account(northwind, cast, document, write_snapshot):
    priya = Contact.objects.get(account=northwind, external_id="c_1")
    plan = plan_on(northwind, date(2026, 11, 20), by=cast["csm"], contacts=[priya])
    when = datetime(2026, 11, 20, 10, tzinfo=UTC)
    interaction_log(account=northwind, contacts=[priya], occurred_at=when, type="qbr", direction="meeting",
                    by=cast["csm"], fulfils=plan)
    with pytest.raises(ValidationError, match="already done: log this one on its own"):
        interaction_log(account=northwind, contacts=[priya], occurred_at=when, type="qbr", direction="meeting",
                        by=cast["csm"], fulfils=plan)
    assert Interaction.objects.filter(account=northwind, external_id=None).count() == 1      # nothing written

    cancelled = plan_on(northwind, date(2026, 11, 19), by=cast["csm"], contacts=[priya])
    touchpoint_cancel(touchpoint=cancelled, by=cast["csm"])
    with pytest.raises(ValidationError, match="already cancelled"):
        interaction_log(account=northwind, contacts=[priya], occurred_at=when, type="qbr", direction="meeting",
                        by=cast["csm"], fulfils=cancelled)

    other = document["accounts"][0]
    other["account"].update(id="acc_999", name="Globex")
    call_command("import_snapshot", write_snapshot(document, "o.json"), "--no-progress", stdout=io.StringIO())
    globex = Account.objects.get(external_id="acc_999")
    theirs = plan_on(globex, date(2026, 11, 20), by=cast["admin"],
                     contacts=[Contact.objects.get(account=globex, external_id="c_1")])
    with pytest.raises(ValidationError, match=f"No planned touchpoint {theirs.pk} at Northwind Health"):
        interaction_log(account=northwind, contacts=[priya], occurred_at=when, type="qbr", direction="meeting",
                        by=cast["csm"], fulfils=theirs)
    theirs.refresh_from_db()
    assert theirs.status == PlannedTouchpoint.Status.PLANNED


def test_a_form_naming_another_accounts_plan_is_refused_above_the_form(northwind, client, cast):
    priya = Contact.objects.get(account=northwind, external_id="c_1")
    client.force_login(cast["csm"])
    response = client.post(f"/accounts/{northwind.pk}/interactions/", {
        "log-type": "qbr", "log-occurred_at": "2026-11-18T15:00", "log-participants": [str(priya.pk)],
        "log-direction": "meeting", "log-purpose": "strategic", "log-touchpoint": "999999"}, headers=HTMX)
    assert response.status_code == 400
    assert "No planned touchpoint 999999 at Northwind Health." in section(response.content.decode(), "log-panel")
    assert not Interaction.objects.filter(account=northwind, external_id=None).exists()


def test_an_unlogged_plan_leaves_the_list_after_30_days_and_never_counts_as_next(northwind, client, cast):
    priya = Contact.objects.get(account=northwind, external_id="c_1")
    plan_on(northwind, date(2026, 10, 21), by=cast["csm"], contacts=[priya], objective="Old")     # 30 days ago
    plan_on(northwind, date(2026, 10, 20), by=cast["csm"], contacts=[priya], objective="Older")   # 31
    client.force_login(cast["csm"])
    html = client.get(f"/accounts/{northwind.pk}/").content.decode()
    planned = text(section(html, "plan-panel"))
    assert "Not logged yet: 2026-10-21 QBR" in planned and "2026-10-20" not in planned
    assert "next planned 2026-10-21" not in text(html)                 # the cards look ahead only
