"""Every page, fragment and action of the workspace, the inbox and the calendar answers 404 to a user outside
the account's team (as if the account did not exist), whether asked as a page or as an HTMX fragment; and
every write is refused without a CSRF token (403, nothing written), even to the account's own CSM."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Account
from sponsors.models import Alert, Contact, Interaction, OrgChange, PlannedTouchpoint
from sponsors.services.touchpoints import interaction_log, touchpoint_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]
HTMX = {"HX-Request": "true"}


@pytest.fixture
def ids(cast, document, write_snapshot):
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    account = Account.objects.get(external_id="acc_123")
    marcus = Contact.objects.get(account=account, external_id="c_2")
    logged = interaction_log(account=account, contacts=[marcus], occurred_at=datetime(2026, 11, 19, tzinfo=UTC),
                             type="call", direction="meeting", by=cast["csm"])
    alert = Alert.objects.create(account=account, code="no_sponsor", severity="critical", message="m")
    change = OrgChange.objects.create(account=account, contact=marcus, kind="departure", source="news",
                                      occurred_on=date(2026, 11, 18), confidence=0.5, state=OrgChange.State.PENDING)
    planned, _ = touchpoint_plan(account=account, contacts=[marcus], planned_on=date(2026, 11, 27), type="call",
                                 by=cast["csm"])
    return {"pk": account.pk, "i": logged.pk, "c": marcus.pk, "a": alert.pk, "o": change.pk, "t": planned.pk}


PAGES = [  # (GET url, HTMX target or None)
    ("/accounts/{pk}/", None),
    ("/accounts/{pk}/?page=2", "timeline"),
    ("/accounts/{pk}/report/", None),
    ("/accounts/{pk}/interactions/{i}/edit/", "interaction-{i}"),
    ("/accounts/{pk}/contacts/{c}/edit/", "contact-{c}"),
    ("/accounts/{pk}/touchpoints/check/?plan-planned_on=2026-11-25&plan-contacts={c}", "conflict-warning"),
]
WRITES = [  # (POST url, form)
    ("/accounts/{pk}/interactions/", {"log-type": "call", "log-occurred_at": "2026-11-19T10:00",
                                       "log-participants": "{c}", "log-direction": "meeting",
                                       "log-purpose": "strategic"}),
    ("/accounts/{pk}/interactions/{i}/edit/", {"edit-type": "qbr", "edit-occurred_at": "2026-11-19T10:00",
                                               "edit-participants": "{c}", "edit-direction": "meeting",
                                               "edit-purpose": "strategic"}),
    ("/accounts/{pk}/interactions/{i}/delete/", {}),
    ("/accounts/{pk}/touchpoints/", {"plan-planned_on": "2026-11-25", "plan-type": "call", "plan-contacts": "{c}",
                                     "plan-direction": "meeting", "plan-purpose": "strategic"}),
    ("/accounts/{pk}/touchpoints/{t}/cancel/", {}),
    ("/accounts/{pk}/contacts/", {"contact-name": "Eve", "contact-roles": "vp"}),
    ("/accounts/{pk}/contacts/{c}/edit/", {"edit-contact-name": "Marcus Holt", "edit-contact-roles": "vp",
                                           "edit-contact-title": "CFO"}),
    ("/accounts/{pk}/contacts/{c}/sponsor/", {"role": "none"}),
    ("/accounts/{pk}/contacts/{c}/departed/", {}),
    ("/accounts/{pk}/alerts/{a}/acknowledge/", {}),
    ("/accounts/{pk}/alerts/{a}/accept-succession/", {}),
    ("/accounts/{pk}/org-changes/{o}/confirm/", {}),
    ("/accounts/{pk}/org-changes/{o}/dismiss/", {}),
    ("/alerts/{a}/acknowledge/", {}),
    ("/alerts/acknowledge-shown/", {"alert": "{a}"}),
    ("/alerts/{a}/resolve/", {}),
    ("/alerts/org-changes/{o}/confirm/", {}),
    ("/alerts/org-changes/{o}/dismiss/", {}),
]


def state():
    """Everything a write could change."""
    return (list(Interaction.objects.values_list("pk", "type", "outcome").order_by("pk")),
            list(Contact.objects.values_list("pk", "name", "title", "sponsor", "status").order_by("pk")),
            list(Alert.objects.values_list("pk", "status").order_by("pk")),
            list(OrgChange.objects.values_list("pk", "state").order_by("pk")),
            list(PlannedTouchpoint.objects.values_list("pk", "status").order_by("pk")))


def fill(template, ids):
    return template.format(**ids)


@pytest.mark.parametrize(("url", "target"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_an_outsider_gets_404_for_every_page_and_fragment(ids, cast, client, url, target, htmx):
    headers = {**HTMX, **({"HX-Target": fill(target, ids)} if target else {})} if htmx else {}
    client.force_login(cast["csm"])
    assert client.get(fill(url, ids), headers=headers).status_code == 200          # the team sees it …
    client.force_login(cast["outsider"])
    assert client.get(fill(url, ids), headers=headers).status_code == 404          # … nobody else does


@pytest.mark.parametrize(("url", "form"), WRITES, ids=[w[0] for w in WRITES])
def test_an_outsider_gets_404_for_every_write_and_nothing_changes(ids, cast, client, url, form):
    before = state()
    client.force_login(cast["outsider"])
    data = {k: fill(v, ids) for k, v in form.items()}
    assert client.post(fill(url, ids), data, headers=HTMX).status_code == 404
    assert client.post(fill(url, ids), data).status_code == 404
    assert state() == before


@pytest.mark.parametrize(("url", "form"), [*WRITES, ("/calendar/subscription/", {"action": "new"})],
                         ids=[w[0] for w in WRITES] + ["/calendar/subscription/"])
def test_every_write_is_refused_without_a_csrf_token(ids, cast, url, form):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast["admin"])
    before = state()
    data = {k: fill(v, ids) for k, v in form.items()}
    response = strict.post(fill(url, ids), data, headers=HTMX)
    assert response.status_code == 403 and b"CSRF" in response.content
    assert state() == before
    from reports.models import CalendarFeedToken
    assert not CalendarFeedToken.objects.exists()


def test_the_inbox_and_the_calendar_show_an_outsider_nothing_of_the_account(ids, cast, client):
    client.force_login(cast["outsider"])
    inbox = client.get("/alerts/").content.decode()
    assert "No open alerts on your accounts" in inbox and "Nothing awaiting review." in inbox
    assert "Northwind" not in client.get("/calendar/").content.decode()
