"""The alerts inbox (``/alerts/``) and my calendar (``/calendar/``): whose alerts, in which order, acknowledge
and resolve in place (audited), org changes to review; planned and cadence-due touchpoints; the personal
iCalendar subscription URL — shown once, stored hashed, revocable.

Two accounts: Northwind (dana's, the cast's CSM, on the East team that sam manages) and Globex (zed's, no
team of the cast's).  "Now" is 2026-11-20 12:00 UTC."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from html import unescape as html_unescape

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from accounts.models import Account, User
from reports.models import CalendarFeedToken
from sponsors.models import Alert, Contact, OrgChange
from sponsors.services.scores import recompute_scores
from sponsors.services.touchpoints import touchpoint_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]
TODAY = date(2026, 11, 20)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def accounts(cast, document, write_snapshot):
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    other = document["accounts"][0]
    other["account"].update(id="acc_999", name="Globex", owner={"email": "zed@vendor.example", "name": "Zed"},
                            team=[{"email": "zed@vendor.example", "name": "Zed", "role": "csm"}])
    call_command("import_snapshot", write_snapshot(document, "o.json"), "--no-progress", stdout=io.StringIO())
    return Account.objects.get(external_id="acc_123"), Account.objects.get(external_id="acc_999")


def alert(account, code, severity, due_on=None, subject=""):
    return Alert.objects.create(account=account, code=code, severity=severity, due_on=due_on, subject=subject,
                                message=f"{code} at {account.name}")


def order_of(html):
    return [int(x) for x in re.findall(r'id="inbox-alert-(\d+)"', html)]


# --- the inbox -----------------------------------------------------------------------------------------------

def test_the_inbox_lists_the_teams_alerts_due_this_week_first_then_by_severity_and_due_date(accounts, client, cast):
    northwind, globex = accounts
    low_soon = alert(northwind, "single_threaded", "low", due_on=date(2026, 11, 24))
    critical = alert(northwind, "no_sponsor", "critical")
    high_later = alert(northwind, "no_exec_contact_90d", "high", due_on=date(2026, 12, 20))
    high_sooner = alert(northwind, "sponsor_disengaged", "high", due_on=date(2026, 12, 5), subject="c")
    overdue_medium = alert(northwind, "cadence_overdue", "medium", due_on=date(2026, 11, 18))
    theirs = alert(globex, "no_sponsor", "critical")
    Alert.objects.filter(pk=alert(northwind, "no_backup_sponsor", "medium").pk).update(status="resolved")

    client.force_login(cast["manager"])
    html = client.get("/alerts/").content.decode()

    # due this week (overdue included) first, most severe first; then the rest by severity, soonest due first
    assert order_of(html) == [overdue_medium.pk, low_soon.pk, critical.pk, high_sooner.pk, high_later.pk]
    assert theirs.pk not in order_of(html)
    assert "5 open alerts" in html and "2 due this week" in html
    assert "overdue since 2026-11-18" in html and "Sponsor disengaging" in html and "sponsor_disengaged</" not in html

    client.force_login(cast["outsider"])
    assert order_of(client.get("/alerts/").content.decode()) == []
    client.force_login(cast["admin"])
    assert theirs.pk in order_of(client.get("/alerts/", {"severity": "critical"}).content.decode())


def test_the_inbox_filters_by_kind_of_alert_and_by_the_accounts_owner(accounts, client, cast):
    northwind, globex = accounts
    Account.objects.filter(pk=globex.pk).update(owner=cast["teammate"])
    departed = alert(northwind, "sponsor_departed", "critical", due_on=date(2026, 11, 22), subject="contact:1")
    no_sponsor = alert(northwind, "no_sponsor", "critical")
    theirs = alert(globex, "no_sponsor", "critical")
    overdue = alert(globex, "cadence_overdue", "medium", due_on=date(2026, 11, 18))
    client.force_login(cast["admin"])

    def listed(**params):
        response = client.get("/alerts/", params)
        assert response.status_code == 200
        return order_of(response.content.decode())

    assert listed() == [departed.pk, overdue.pk, theirs.pk, no_sponsor.pk]            # newest first within a run
    assert listed(kind="no_sponsor") == [theirs.pk, no_sponsor.pk]
    assert listed(owner=cast["teammate"].pk) == [overdue.pk, theirs.pk]                 # Globex's owner
    assert listed(owner=cast["teammate"].pk, kind="no_sponsor", severity="critical") == [theirs.pk]
    pending_news(Contact.objects.filter(account=northwind).first(), "departure", "Left for a rival")
    assert "Left for a rival" in client.get("/alerts/").content.decode()
    assert "Left for a rival" not in client.get("/alerts/", {"owner": cast["teammate"].pk}).content.decode()
    client.force_login(cast["manager"])                 # through the visibility rule (the other read path)
    assert listed(kind="no_sponsor", owner=cast["teammate"].pk) == [theirs.pk]
    assert listed(kind="cadence_overdue") == [overdue.pk]
    client.force_login(cast["admin"])
    html = client.get("/alerts/", {"kind": "single_threaded"}).content.decode()
    assert "0 open alerts" in html and "No open alerts match these filters." in html
    # the filters are kept by the pager and offered by name, an owner only among those the user may see
    assert '<option value="sponsor_departed">Sponsor departed</option>' in html
    refused = client.get("/alerts/", {"owner": cast["outsider"].pk, "kind": "nap"})
    assert refused.status_code == 400 and "owner: Select a valid choice" in refused.content.decode()
    assert "kind: Select a valid choice" in refused.content.decode()
    # confirming it from the filtered inbox keeps the filter on the list that comes back
    page = client.get("/alerts/", {"owner": cast["csm"].pk, "page": 1}).content.decode()
    confirm = html_unescape(re.search(r'hx-post="(/alerts/org-changes/\d+/confirm/[^"]*)"', page).group(1))
    assert confirm.endswith(f"?owner={cast['csm'].pk}&page=1")
    after = client.post(confirm, headers=HTMX).content.decode()
    listed_after = order_of(after)        # the confirmation re-evaluated Northwind: its alerts, not Globex's
    assert listed_after and {a.account_id for a in Alert.objects.filter(pk__in=listed_after)} == {northwind.pk}
    # and a plain form post (no JavaScript) is sent back to the same filtered page
    acknowledge = html_unescape(re.search(r'action="(/alerts/\d+/acknowledge/[^"]*)"', page).group(1))
    assert client.post(acknowledge)["Location"] == f"/alerts/?owner={cast['csm'].pk}&page=1"


def test_a_manager_acknowledges_the_open_alerts_of_a_page_at_once(accounts, client, cast):
    northwind, globex = accounts
    first, second = alert(northwind, "no_sponsor", "critical"), alert(northwind, "cadence_overdue", "medium")
    seen = alert(northwind, "single_threaded", "low")
    Alert.objects.filter(pk=seen.pk).update(status="acknowledged", acknowledged_by=cast["csm"],
                                            acknowledged_at=timezone.now())
    theirs = alert(globex, "no_sponsor", "critical")                            # not on sam's teams
    client.force_login(cast["manager"])
    page = client.get("/alerts/", {"severity": ""}).content.decode()
    form = re.search(r'<form class="bulk-actions".*?</form>', page, re.S).group(0)
    assert sorted(int(x) for x in re.findall(r'name="alert" value="(\d+)"', form)) == [first.pk, second.pk]
    assert "Acknowledge the 2 open alerts on this page" in form
    assert 'action="/alerts/acknowledge-shown/?severity="' in form

    response = client.post("/alerts/acknowledge-shown/?severity=", {"alert": [first.pk, second.pk, seen.pk]},
                           headers=HTMX)
    assert response.status_code == 200
    assert "Acknowledged 2 alerts. 1 had been acknowledged or resolved already." in response.content.decode()
    for a in (first, second):
        a.refresh_from_db()
        assert (a.status, a.acknowledged_by) == ("acknowledged", cast["manager"])
        assert a.history.first().status == "acknowledged"                    # in the trail, each of them
    assert 'class="bulk-actions"' not in response.content.decode()          # nothing open left on the page

    before = list(Alert.objects.values_list("pk", "status").order_by("pk"))
    assert client.post("/alerts/acknowledge-shown/", {"alert": [theirs.pk]}).status_code == 404
    assert client.post("/alerts/acknowledge-shown/", {"alert": [first.pk, theirs.pk]}).status_code == 404
    refused = client.post("/alerts/acknowledge-shown/", {"alert": ["x"]})
    assert refused.status_code == 400 and refused.content.decode().startswith("alert:")
    assert client.post("/alerts/acknowledge-shown/", {}).status_code == 400
    assert client.post("/alerts/acknowledge-shown/", {"alert": [first.pk] * 26}).status_code == 400
    assert list(Alert.objects.values_list("pk", "status").order_by("pk")) == before      # nothing changed
    redirected = client.post("/alerts/acknowledge-shown/?kind=no_sponsor", {"alert": [first.pk]})
    assert redirected["Location"] == "/alerts/?kind=no_sponsor"              # a plain post: back to that view


def test_the_inbox_runs_the_same_queries_for_2_or_30_alerts_whoever_owns_or_acknowledged_them(
        accounts, client, cast, django_assert_max_num_queries):
    northwind, globex = accounts
    Account.objects.filter(pk=globex.pk).update(owner=cast["teammate"])
    User.objects.filter(pk=cast["teammate"].pk).update(first_name="Li", last_name="Wong")
    for i in range(2):
        alert(northwind, "no_sponsor", "critical", subject=f"s{i}")
    client.force_login(cast["admin"])
    with CaptureQueriesContext(connection) as few:
        assert client.get("/alerts/").status_code == 200

    severities = ("low", "medium", "high", "critical")
    more = [alert(globex if i % 2 else northwind, "cadence_overdue", severities[i % 4], subject=f"s{i}",
                  due_on=date(2026, 11, 10 + i % 15) if i % 3 else None) for i in range(2, 30)]
    Alert.objects.filter(pk__in=[a.pk for a in more[::3]]).update(
        status="acknowledged", acknowledged_by=cast["csm"], acknowledged_at=timezone.now())
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/alerts/").content.decode()
    assert len(order_of(html)) == 25
    assert "acknowledged by dana@vendor.example" in html and "owner Li Wong" in html and "Globex" in html


def test_acknowledge_and_resolve_in_place_and_the_trail_keeps_who(accounts, client, cast):
    northwind, globex = accounts
    a, b = alert(northwind, "no_sponsor", "critical"), alert(northwind, "single_threaded", "low")
    client.force_login(cast["csm"])

    row = client.post(f"/alerts/{a.pk}/acknowledge/", headers=HTMX).content.decode()
    assert row.lstrip().startswith(f'<li class="panel-item alert-item status-acknowledged" id="inbox-alert-{a.pk}"')
    assert "Acknowledged." in row and "acknowledged by dana@vendor.example" in row

    row = client.post(f"/alerts/{b.pk}/resolve/", headers=HTMX).content.decode()
    b.refresh_from_db()
    assert b.status == "resolved" and b.resolved_at is not None and b.details["resolved_by"] == "dana@vendor.example"
    assert "Resolved. If its condition still holds, the next check opens it again." in row
    assert ">Resolve</button>" not in row
    trail = b.history.order_by("-history_date", "-history_id").first()
    assert trail.history_user == cast["csm"] and trail.history_change_reason == "resolved by hand"

    plain = client.post(f"/alerts/{a.pk}/resolve/")
    assert plain.status_code == 302 and plain["Location"] == "/alerts/"
    assert client.post(f"/alerts/{a.pk}/snooze/").status_code == 404
    other = alert(globex, "no_sponsor", "critical")
    assert client.post(f"/alerts/{other.pk}/resolve/").status_code == 404
    other.refresh_from_db()
    assert other.status == "open"


def pending_news(contact, kind, headline) -> OrgChange:
    """A 50% news match about ``contact`` of 2026-11-18, waiting for a person to confirm or dismiss it."""
    return OrgChange.objects.create(account=contact.account, contact=contact, kind=kind, source="news",
                                    occurred_on=date(2026, 11, 18), headline=headline, confidence=0.5,
                                    state=OrgChange.State.PENDING)


def test_org_changes_awaiting_review_are_confirmed_from_the_inbox(accounts, client, cast):
    northwind, _ = accounts
    marcus = Contact.objects.get(account=northwind, external_id="c_2")
    change = pending_news(marcus, "departure", "Marcus Holt leaves")
    client.force_login(cast["csm"])
    assert "Marcus Holt leaves" in client.get("/alerts/").content.decode()

    html = client.post(f"/alerts/org-changes/{change.pk}/confirm/", headers=HTMX).content.decode()

    change.refresh_from_db()
    marcus.refresh_from_db()
    assert change.state == "confirmed" and marcus.status == "departed"
    assert "Confirmed: Marcus Holt leaves." in html and "Nothing awaiting review." in html
    # the guardrails ran: the backup's departure is an alert, sent along out of band
    assert Alert.objects.filter(account=northwind, code="sponsor_departed").exists()
    assert re.search(r'id="inbox-alerts"[^>]*hx-swap-oob="true"', html) and "Sponsor departed" in html


def test_a_news_promotion_confirmed_in_the_inbox_alerts_at_its_kinds_severity_as_confirmed(accounts, client, cast):
    """A 50% news match waits for a person; once they confirm it, its low confidence no longer lowers the alert."""
    northwind, _ = accounts
    change = pending_news(Contact.objects.get(account=northwind, external_id="c_1"), "promotion",
                          "Priya Natarajan named CEO")
    client.force_login(cast["csm"])
    client.post(f"/alerts/org-changes/{change.pk}/confirm/", headers=HTMX)
    alert = Alert.objects.get(account=northwind, code="org_change", org_change=change)
    assert alert.severity == "medium" and alert.message.endswith("via news (confirmed on review)")


# --- the calendar ----------------------------------------------------------------------------------------------

@pytest.fixture
def planned(accounts, cast):
    northwind, globex = accounts
    priya = Contact.objects.get(account=northwind, external_id="c_1")
    touchpoint_plan(account=northwind, contacts=[priya], planned_on=date(2026, 11, 27), type="qbr",
                    objective="Renewal plan", by=cast["csm"])
    recompute_scores(account_ids=[globex.pk], as_of=TODAY)   # Globex: last exec touch, the reply of 2026-11-11
    return northwind, globex


def test_the_calendar_lists_planned_and_cadence_due_touchpoints_of_the_users_accounts(planned, client, cast):
    client.force_login(cast["admin"])
    html = client.get("/calendar/").content.decode()
    rows = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip()
            for r in re.findall(r'<tr class="entry-.*?</tr>', html, re.S)]
    assert rows == ["Fri 2026-11-27 Northwind Health Planned QBR Priya Natarajan Renewal plan",
                    # 11-11 + 30; whom to meet: the primary sponsor of the CRM document (conftest)
                    "Fri 2026-12-11 Globex Due Executive touchpoint due Priya Natarajan (primary sponsor) "
                    "30-day cadence"]
    client.force_login(cast["csm"])
    assert "Globex" not in client.get("/calendar/").content.decode()


def test_todays_planned_touchpoint_links_to_logging_it(planned, client, cast):
    northwind, _ = planned
    priya = Contact.objects.get(account=northwind, external_id="c_1")
    today, _ = touchpoint_plan(account=northwind, contacts=[priya], planned_on=TODAY, type="one_on_one", by=cast["csm"])
    client.force_login(cast["csm"])
    rows = re.findall(r'<tr class="entry-planned.*?</tr>', client.get("/calendar/").content.decode(), re.S)
    assert f'href="/accounts/{northwind.pk}/?log_from={today.pk}#log-panel">log it</a>' in rows[0]
    assert "log it" not in rows[1]                                     # the QBR of 2026-11-27 has not happened


def test_a_due_touchpoint_names_the_primary_sponsor_or_says_there_is_none(planned, client, cast):
    northwind, globex = planned
    client.force_login(cast["admin"])
    Contact.objects.filter(account=globex, sponsor="primary").update(status="departed")   # a departed primary
    html = client.get("/calendar/").content.decode()
    due = re.search(r'<tr class="entry-due.*?</tr>', html, re.S).group(0)
    assert "Priya Natarajan" not in due and "no primary sponsor named" in due
    Contact.objects.filter(account=globex, sponsor="primary").update(status="active")
    departure = OrgChange.objects.create(account=globex, contact=Contact.objects.get(account=globex, sponsor="primary"),
                                         kind="departure", source="linkedin", occurred_on=date(2026, 11, 19))
    due = re.search(r'<tr class="entry-due.*?</tr>', client.get("/calendar/").content.decode(), re.S).group(0)
    assert "no primary sponsor named" in due                 # LinkedIn knows she has left before the CRM does
    departure.delete()
    response = client.post("/calendar/subscription/", {"action": "new"}, headers=HTMX)
    url = re.search(r'readonly value="([^"]+)"', response.content.decode()).group(1)
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(client.get(url.split("testserver", 1)[1]).content)
              .walk("VEVENT")}
    assert "With: Priya Natarajan (primary sponsor)" in str(events["Executive touchpoint due — Globex"]["DESCRIPTION"])


def test_contract_renewals_are_on_the_calendar_with_the_arr_at_stake_and_the_risk(planned, client, cast):
    northwind, globex = planned
    Account.objects.filter(pk=northwind.pk).update(renewal_date=date(2026, 12, 15))
    Account.objects.filter(pk=globex.pk).update(renewal_date=date(2026, 12, 11), arr=None)
    client.force_login(cast["admin"])
    html = client.get("/calendar/").content.decode()
    rows = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip()
            for r in re.findall(r'<tr class="entry-renewal.*?</tr>', html, re.S)]
    risk = globex.current_score.risk          # scored today by the fixture; Northwind is not
    assert rows == [f"Fri 2026-12-11 Globex Renewal of the contract Priya Natarajan (primary sponsor) "
                    f"ARR not on record; executive engagement at {risk} risk",
                    "Tue 2026-12-15 Northwind Health Renewal of the contract Priya Natarajan (primary sponsor) "
                    "ARR USD 480,000; not scored yet"]
    # on its day, after the touchpoint due at Globex that day
    assert html.index('class="entry-due') < html.index('class="entry-renewal')
    Account.objects.filter(pk=northwind.pk).update(renewal_date=date(2027, 1, 20))        # beyond the 60 days
    assert re.findall(r'<tr class="entry-renewal.*?</tr>', client.get("/calendar/").content.decode(), re.S) == [
        re.search(r'<tr class="entry-renewal.*?</tr>', html, re.S).group(0)]         # Globex's alone
    client.force_login(cast["csm"])
    assert "entry-renewal" not in client.get("/calendar/").content.decode()     # Globex is not dana's


def test_the_subscription_url_is_shown_once_stored_hashed_read_without_login_and_revocable(planned, client, cast):
    client.force_login(cast["admin"])
    html = client.post("/calendar/subscription/", {"action": "new"}, headers=HTMX).content.decode()
    url = re.search(r'id="feed-url" class="feed-url" type="text" readonly value="([^"]+)"', html).group(1)
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    token = CalendarFeedToken.objects.get(user=cast["admin"])
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest() and secret not in token.digest
    assert secret not in client.get("/calendar/").content.decode()          # shown once

    client.logout()
    response = client.get(url.split("testserver", 1)[1])
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert set(events) == {"QBR — Northwind Health", "Executive touchpoint due — Globex",
                           "Contract renewal — Northwind Health", "Contract renewal — Globex"}     # 2027-01-31
    assert events["QBR — Northwind Health"].decoded("DTSTART") == date(2026, 11, 27)
    token.refresh_from_db()
    assert token.last_used_at is not None

    client.force_login(cast["admin"])
    client.post("/calendar/subscription/", {"action": "new"})                # a new one ends the old
    client.logout()
    assert client.get(url.split("testserver", 1)[1]).status_code == 404
    client.force_login(cast["admin"])
    client.post("/calendar/subscription/", {"action": "revoke"})
    assert not CalendarFeedToken.objects.filter(user=cast["admin"]).exists()
    assert client.get("/calendar/feed/not-a-token.ics").status_code == 404


def test_a_deactivated_users_feed_stops(planned, client, cast):
    client.force_login(cast["csm"])
    html = client.post("/calendar/subscription/", {"action": "new"}, headers=HTMX).content.decode()
    path = re.search(r'value="http://testserver(/calendar/feed/[^"]+)"', html).group(1)
    client.logout()
    assert client.get(path).status_code == 200
    cast["csm"].is_active = False
    cast["csm"].save()
    assert client.get(path).status_code == 404
