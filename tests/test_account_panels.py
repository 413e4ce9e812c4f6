"""The account report page's live panels: what changed since last week, open alerts, org changes
awaiting confirmation; their HTMX actions (acknowledge, accept succession, confirm, dismiss); who may
use them; escaping of CRM text.  On the spec's example account (Northwind Health): Priya Natarajan
is the primary sponsor, Marcus Holt the backup, Lena Fischer a director (not scored)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from accounts.models import Account
from accounts.vocabulary import FACTOR_LABELS
from sponsors.models import Alert, Contact, Interaction, InteractionParticipant, OrgChange, ScoreSnapshot
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.scores import recompute_scores

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 20)
WEEK_BEFORE = date(2026, 11, 13)
HTMX = {"HX-Request": "true"}
HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def northwind(cast, document, write_snapshot):
    """The spec's example account, imported; the cast's CSM (dana@) is on its team."""
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    return Account.objects.get(external_id="acc_123")


@pytest.fixture
def other_account(document, write_snapshot):
    """A second account whose team is not the cast's."""
    other = document["accounts"][0]
    other["account"].update(id="acc_999", name="Globex", owner={"email": "zed@vendor.example", "name": "Zed"},
                            team=[{"email": "zed@vendor.example", "name": "Zed", "role": "csm"}])
    call_command("import_snapshot", write_snapshot(document, "other.json"), "--no-progress", stdout=io.StringIO())
    return Account.objects.get(external_id="acc_999")


@pytest.fixture
def csm_client(client, cast):
    client.force_login(cast["csm"])
    return client


def contact(account, external_id):
    return Contact.objects.get(account=account, external_id=external_id)


def report(client, account, as_of=AS_OF):
    response = client.get(f"/accounts/{account.pk}/", {"as_of": as_of.isoformat()})
    assert response.status_code == 200
    return response.content.decode()


def panel(html, panel_id):
    """The HTML of one panel (``<section … id="panel_id">…</section>``)."""
    match = re.search(rf'<section [^>]*id="{panel_id}".*?</section>', html, re.S)
    assert match, f"no #{panel_id} in the page"
    return match.group(0)


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def pending_departure(account, contact_, **kw):
    fields = dict(account=account, contact=contact_, kind="departure", occurred_on=date(2026, 11, 17),
                  source="news", headline=f"{contact_.name} leaves for Globex", confidence=0.5,
                  state=OrgChange.State.PENDING, url="https://news.example/priya-leaves")
    return OrgChange.objects.create(**{**fields, **kw})


# --- what changed since last week ----------------------------------------------------------------

def snapshots(account, day):
    return {s.contact_id: s for s in ScoreSnapshot.objects.filter(account=account, as_of=day)}


def test_what_changed_shows_each_executive_then_and_now_with_the_factors_that_moved(northwind, csm_client):
    priya, marcus = contact(northwind, "c_1"), contact(northwind, "c_2")
    recompute_scores(account_ids=[northwind.pk], as_of=WEEK_BEFORE)
    Interaction.objects.filter(account=northwind, external_id="i_1").delete()       # Priya's 1:1: fewer meetings
    meeting = Interaction.objects.create(account=northwind, type="one_on_one", direction="meeting",
                                         occurred_at=datetime(2026, 11, 18, 15, tzinfo=UTC))
    InteractionParticipant.objects.create(interaction=meeting, contact=marcus)      # Marcus: one more
    recompute_scores(account_ids=[northwind.pk], as_of=AS_OF)
    then, now = snapshots(northwind, WEEK_BEFORE), snapshots(northwind, AS_OF)
    assert now[marcus.pk].score > then[marcus.pk].score and now[priya.pk].score < then[priya.pk].score

    html = panel(report(csm_client, northwind), "changes-panel")
    text = text_of(html)

    assert f"Scores of {AS_OF} against {WEEK_BEFORE}" in text
    overall_then, overall_now = then[None].score, now[None].score
    assert f"Overall: {overall_then} → {overall_now}/100" in text
    items = {text_of(m).split(" ")[0]: m for m in re.findall(r'<li class="exec-change">.*?</li>', html, re.S)}
    assert set(items) == {"Priya", "Marcus"}
    for person, up in ((marcus, True), (priya, False)):
        item = items[person.name.split()[0]]
        a, b = then[person.pk].score, now[person.pk].score
        assert f"{a} → {b}/100" in text_of(item)
        assert (f'<span class="delta delta-up">▲ {b - a}</span>' if up
                else f'<span class="delta delta-down">▼ {a - b}</span>') in item
        before = {f["key"]: f for f in then[person.pk].breakdown["factors"]}
        after = {f["key"]: f for f in now[person.pk].breakdown["factors"]}
        moved = [k for k in after if (before[k]["score"], before[k]["note"]) != (after[k]["score"], after[k]["note"])]
        assert moved and "meeting_frequency" in moved
        rows = re.findall(r"<tr>\s*<td>.*?</tr>", item, re.S)
        assert [text_of(r).split(" ")[0] for r in rows] == [FACTOR_LABELS[k].split(" ")[0] for k in moved]
        for key in moved:
            row = text_of(next(r for r in rows if FACTOR_LABELS[key] in r))
            assert f"{before[key]['score']} → {after[key]['score']}" in row
            assert before[key]["note"] in row and after[key]["note"] in row
    marcus_meetings = text_of(next(r for r in re.findall(r"<tr>\s*<td>.*?</tr>", items["Marcus"], re.S)
                                   if "Meeting" in r))
    assert "Target 12: Actual 0" in marcus_meetings and "Target 12: Actual 1" in marcus_meetings


def test_what_changed_says_when_nothing_moved(northwind, csm_client):
    recompute_scores(account_ids=[northwind.pk], as_of=WEEK_BEFORE)
    recompute_scores(account_ids=[northwind.pk], as_of=AS_OF)
    then, now = snapshots(northwind, WEEK_BEFORE), snapshots(northwind, AS_OF)
    assert {k: (s.score, s.breakdown.get("factors")) for k, s in then.items()} == \
           {k: (s.score, s.breakdown.get("factors")) for k, s in now.items()}

    text = text_of(panel(report(csm_client, northwind), "changes-panel"))

    assert "No change since 2026-11-13." in text
    assert "exec-change" not in text


def test_what_changed_without_history_a_week_back_says_how_scores_get_computed(northwind, csm_client):
    recompute_scores(account_ids=[northwind.pk], as_of=AS_OF)          # only "now", nothing a week before

    text = text_of(panel(report(csm_client, northwind), "changes-panel"))

    assert "No score history before 2026-11-13 yet" in text
    assert "python manage.py recompute_scores" in text


def test_what_changed_follows_the_pages_as_of(northwind, csm_client):
    recompute_scores(account_ids=[northwind.pk], as_of=WEEK_BEFORE)
    marcus = contact(northwind, "c_2")
    meeting = Interaction.objects.create(account=northwind, type="one_on_one", direction="meeting",
                                         occurred_at=datetime(2026, 11, 18, 15, tzinfo=UTC))
    InteractionParticipant.objects.create(interaction=meeting, contact=marcus)
    recompute_scores(account_ids=[northwind.pk], as_of=AS_OF)

    assert "Marcus Holt" in panel(report(csm_client, northwind, AS_OF), "changes-panel")
    as_of_then = text_of(panel(report(csm_client, northwind, WEEK_BEFORE), "changes-panel"))
    assert "No score history before 2026-11-06 yet" in as_of_then
    # a week after the last snapshot, "now" and "then" are the same old day: say the scores are stale
    later = text_of(panel(report(csm_client, northwind, date(2026, 11, 28)), "changes-panel"))
    assert "No scores computed since 2026-11-20" in later


# --- open alerts ---------------------------------------------------------------------------------

def test_open_alerts_are_listed_newest_first_with_severity_message_and_due_date(northwind, csm_client, cast):
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alerts = list(Alert.objects.filter(account=northwind).order_by("-opened_at", "-pk"))
    assert len(alerts) >= 2
    first, second = alerts[0], alerts[1]
    Alert.objects.filter(pk=second.pk).update(due_on=date(2026, 11, 27))
    resolved = Alert.objects.create(account=northwind, code="no_sponsor", severity="critical",
                                    message="Resolved long ago", status=Alert.Status.RESOLVED)

    html = panel(report(csm_client, northwind), "alerts-panel")

    order = [int(x) for x in re.findall(r'data-alert="(\d+)"', html)]
    assert order == [a.pk for a in alerts]
    assert resolved.pk not in order and "Resolved long ago" not in html
    assert f'<span class="sev sev-{first.severity}">{first.get_severity_display()}</span>' in html
    assert first.message in html and second.message in html
    assert "due 2026-11-27" in html
    assert html.count(">Acknowledge</button>") == len(alerts)


def test_an_acknowledged_alert_says_by_whom_and_when(northwind, csm_client, cast):
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alert = Alert.objects.filter(account=northwind).first()
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.ACKNOWLEDGED, acknowledged_by=cast["teammate"],
                                             acknowledged_at=datetime(2026, 11, 19, 10, tzinfo=UTC))

    html = panel(report(csm_client, northwind), "alerts-panel")
    item = re.search(rf'<li [^>]*data-alert="{alert.pk}".*?</li>', html, re.S).group(0)

    assert "acknowledged by li@vendor.example on 2026-11-19" in text_of(item)
    assert ">Acknowledge</button>" not in item


def test_no_alerts_shows_the_empty_state(northwind, csm_client):
    html = panel(report(csm_client, northwind), "alerts-panel")
    assert ("No open alerts — guardrails are checked daily (or run <code>python manage.py check_guardrails</code>)"
            in html)
    assert "data-alert=" not in html


def test_acknowledge_through_htmx_returns_the_panel_and_acknowledges(northwind, csm_client, cast):
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alert = Alert.objects.filter(account=northwind, status=Alert.Status.OPEN).first()

    response = csm_client.post(f"/accounts/{northwind.pk}/alerts/{alert.pk}/acknowledge/",
                               {"as_of": AS_OF.isoformat()}, headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith('<section class="panel panel-alerts" id="alerts-panel"')
    assert "<html" not in html and "changes-panel" not in html
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED and alert.acknowledged_by == cast["csm"]
    assert "Alert acknowledged." in html
    item = re.search(rf'<li [^>]*data-alert="{alert.pk}".*?</li>', html, re.S).group(0)
    assert f"acknowledged by dana@vendor.example on {alert.acknowledged_at.date().isoformat()}" in text_of(item)


def test_acknowledge_without_htmx_redirects_back_to_the_report_with_a_message(northwind, csm_client):
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alert = Alert.objects.filter(account=northwind, status=Alert.Status.OPEN).first()

    response = csm_client.post(f"/accounts/{northwind.pk}/alerts/{alert.pk}/acknowledge/", {"as_of": "2026-11-20"})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{northwind.pk}/"
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    page = csm_client.get(response["Location"]).content.decode()
    assert '<li class="message message-success" role="status">Alert acknowledged.</li>' in page


# --- org changes awaiting confirmation -------------------------------------------------------------

def test_pending_org_changes_show_headline_source_confidence_date_contact_and_evidence(northwind, csm_client):
    priya, marcus = contact(northwind, "c_1"), contact(northwind, "c_2")
    change = pending_departure(northwind, priya)
    sneaky = pending_departure(northwind, marcus, headline="Marcus Holt to retire", confidence=0.35,
                               url="", evidence={"link": "javascript:alert(1)"}, occurred_on=date(2026, 11, 10))
    confirmed = OrgChange.objects.get(account=northwind, external_id="oc_1")            # from the snapshot
    assert confirmed.state == OrgChange.State.CONFIRMED

    html = panel(report(csm_client, northwind), "org-changes-panel")

    assert [int(x) for x in re.findall(r'data-org-change="(\d+)"', html)] == [change.pk, sneaky.pk]
    item = text_of(re.search(rf'<li [^>]*data-org-change="{change.pk}".*?</li>', html, re.S).group(0))
    assert item.startswith("Priya Natarajan leaves for Globex")
    assert "Departure · News · 50% confidence · 2026-11-17 · Priya Natarajan" in item
    assert '<a href="https://news.example/priya-leaves" target="_blank" rel="noopener noreferrer">evidence</a>' in html
    assert "35% confidence" in html
    assert "javascript:" not in html and html.count(">evidence</a>") == 1
    assert confirmed.headline not in html
    assert html.count(">Confirm</button>") == 2 and html.count(">Dismiss</button>") == 2


def test_nothing_pending_shows_the_empty_state(northwind, csm_client):
    assert "Nothing awaiting confirmation." in panel(report(csm_client, northwind), "org-changes-panel")


@time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False)
def test_confirming_a_departure_marks_the_contact_departed_and_refreshes_the_alerts(northwind, csm_client, cast):
    priya = contact(northwind, "c_1")
    change = pending_departure(northwind, priya)
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    assert not Alert.objects.filter(account=northwind, code="sponsor_departed").exists()   # pending: no alert

    response = csm_client.post(f"/accounts/{northwind.pk}/org-changes/{change.pk}/confirm/",
                               {"as_of": AS_OF.isoformat()}, headers=HTMX)

    assert response.status_code == 200
    change.refresh_from_db()
    priya.refresh_from_db()
    assert change.state == OrgChange.State.CONFIRMED and change.reviewed_by == cast["csm"]
    assert priya.status == Contact.Status.DEPARTED and priya.departed_on == date(2026, 11, 17)
    alert = Alert.objects.get(account=northwind, code="sponsor_departed", status=Alert.Status.OPEN)
    assert alert.details["proposed_primary_name"] == "Marcus Holt"
    # the view evaluated the guardrails already: evaluating again (as the queued task will) keeps that alert
    again = evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    assert again.opened == [] and Alert.objects.get(account=northwind, code="sponsor_departed").pk == alert.pk

    html = response.content.decode()
    assert html.strip().startswith('<section class="panel panel-org-changes" id="org-changes-panel"')
    org_panel, alerts_html = panel(html, "org-changes-panel"), panel(html, "alerts-panel")
    assert "Nothing awaiting confirmation." in org_panel
    assert "Confirmed: Priya Natarajan leaves for Globex. Priya Natarajan is now marked departed." in org_panel
    assert 'id="alerts-panel" aria-labelledby="alerts-panel-title" hx-swap-oob="true"' in alerts_html
    assert f'data-alert="{alert.pk}"' in alerts_html
    # a CSM sees the proposed succession; only an admin is offered the button (server-enforced too)
    assert "An admin can make Marcus Holt the primary sponsor." in alerts_html
    assert "the primary sponsor</button>" not in alerts_html


@time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False)
def test_accepting_the_succession_makes_the_backup_primary(northwind, csm_client, cast):
    priya, marcus = contact(northwind, "c_1"), contact(northwind, "c_2")
    change = pending_departure(northwind, priya)
    csm_client.post(f"/accounts/{northwind.pk}/org-changes/{change.pk}/confirm/", headers=HTMX)
    alert = Alert.objects.get(account=northwind, code="sponsor_departed", status=Alert.Status.OPEN)
    url = f"/accounts/{northwind.pk}/alerts/{alert.pk}/accept-succession/"
    assert csm_client.post(url, headers=HTMX).status_code == 403          # sponsor roles are admins'
    marcus.refresh_from_db()
    assert marcus.sponsor == Contact.Sponsor.BACKUP

    admin = Client()
    admin.force_login(cast["admin"])
    response = admin.post(url, {"as_of": AS_OF.isoformat()}, headers=HTMX)

    assert response.status_code == 200
    marcus.refresh_from_db()
    priya.refresh_from_db()
    assert marcus.sponsor == Contact.Sponsor.PRIMARY and priya.sponsor == ""
    alert.refresh_from_db()
    assert alert.details["succession_accepted_by"] == "ada@vendor.example"
    html = response.content.decode()
    assert html.strip().startswith('<section class="panel panel-alerts" id="alerts-panel"')
    assert "Marcus Holt is now the primary sponsor" in html
    assert "the primary sponsor</button>" not in html           # accepted: the button is gone


def test_accepting_a_succession_nobody_proposed_changes_nothing_and_says_why(northwind, client, cast):
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alert = Alert.objects.filter(account=northwind).exclude(code="sponsor_departed").first()
    before = dict(Contact.objects.filter(account=northwind).values_list("pk", "sponsor"))
    client.force_login(cast["admin"])

    response = client.post(f"/accounts/{northwind.pk}/alerts/{alert.pk}/accept-succession/", headers=HTMX)

    assert response.status_code == 200
    assert "Not changed: no backup sponsor was proposed" in response.content.decode()
    assert dict(Contact.objects.filter(account=northwind).values_list("pk", "sponsor")) == before


def test_dismissing_a_change_keeps_the_contact_and_empties_the_panel(northwind, csm_client, cast):
    priya = contact(northwind, "c_1")
    change = pending_departure(northwind, priya)

    response = csm_client.post(f"/accounts/{northwind.pk}/org-changes/{change.pk}/dismiss/", headers=HTMX)

    assert response.status_code == 200
    change.refresh_from_db()
    priya.refresh_from_db()
    assert change.state == OrgChange.State.DISMISSED and change.reviewed_by == cast["csm"] and change.fingerprint
    assert priya.status == Contact.Status.ACTIVE
    html = response.content.decode()
    assert "Nothing awaiting confirmation." in panel(html, "org-changes-panel")
    assert "Dismissed: Priya Natarajan leaves for Globex." in html


def test_a_change_reviewed_meanwhile_is_not_reviewed_again(northwind, csm_client, cast):
    change = pending_departure(northwind, contact(northwind, "c_1"))
    OrgChange.objects.filter(pk=change.pk).update(state=OrgChange.State.DISMISSED, reviewed_by=cast["teammate"])

    response = csm_client.post(f"/accounts/{northwind.pk}/org-changes/{change.pk}/confirm/", headers=HTMX)

    change.refresh_from_db()
    assert change.state == OrgChange.State.DISMISSED and change.reviewed_by == cast["teammate"]
    assert contact(northwind, "c_1").status == Contact.Status.ACTIVE
    assert "This change was already dismissed." in response.content.decode()


def test_confirm_without_htmx_redirects_back_with_a_message(northwind, csm_client):
    change = pending_departure(northwind, contact(northwind, "c_2"), kind="role_change", headline="Marcus moves")

    response = csm_client.post(f"/accounts/{northwind.pk}/org-changes/{change.pk}/confirm/", {"as_of": "bogus"})

    assert response.status_code == 302 and response["Location"] == f"/accounts/{northwind.pk}/"
    change.refresh_from_db()
    assert change.state == OrgChange.State.CONFIRMED
    assert "Confirmed: Marcus moves." in csm_client.get(response["Location"]).content.decode()


# --- who may act ----------------------------------------------------------------------------------

def action_urls(account, alert, change):
    return [f"/accounts/{account.pk}/alerts/{alert.pk}/acknowledge/",
            f"/accounts/{account.pk}/alerts/{alert.pk}/accept-succession/",
            f"/accounts/{account.pk}/org-changes/{change.pk}/confirm/",
            f"/accounts/{account.pk}/org-changes/{change.pk}/dismiss/"]


def test_an_outsider_gets_404_and_nothing_changes(northwind, client, cast):
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alert = Alert.objects.filter(account=northwind).first()
    change = pending_departure(northwind, contact(northwind, "c_1"))
    client.force_login(cast["outsider"])

    for url in action_urls(northwind, alert, change):
        assert client.post(url, headers=HTMX).status_code == 404, url

    alert.refresh_from_db()
    change.refresh_from_db()
    assert alert.status == Alert.Status.OPEN and change.state == OrgChange.State.PENDING


def test_actions_are_post_only_and_need_a_login(northwind, client, cast):
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alert = Alert.objects.filter(account=northwind).first()
    change = pending_departure(northwind, contact(northwind, "c_1"))
    urls = action_urls(northwind, alert, change)

    for url in urls:
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url
    client.force_login(cast["csm"])
    for url in urls:
        assert client.get(url).status_code == 405, url
    alert.refresh_from_db()
    change.refresh_from_db()
    assert alert.status == Alert.Status.OPEN and change.state == OrgChange.State.PENDING


def test_another_accounts_alert_or_change_is_a_404_under_this_account(northwind, other_account, client, cast):
    evaluate_accounts(account_ids=[other_account.pk], as_of=AS_OF)
    foreign_alert = Alert.objects.filter(account=other_account).first()
    foreign_change = pending_departure(other_account, contact(other_account, "c_1"))
    client.force_login(cast["admin"])              # may see both accounts, yet the ids must match the account

    for url in action_urls(northwind, foreign_alert, foreign_change):
        assert client.post(url, headers=HTMX).status_code == 404, url

    foreign_alert.refresh_from_db()
    foreign_change.refresh_from_db()
    assert foreign_alert.status == Alert.Status.OPEN and foreign_change.state == OrgChange.State.PENDING


def test_actions_need_the_csrf_token_that_the_page_puts_on_body(northwind, cast):
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    alert = Alert.objects.filter(account=northwind).first()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["csm"])
    page = report(browser, northwind)
    token = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", page).group(1)
    url = f"/accounts/{northwind.pk}/alerts/{alert.pk}/acknowledge/"

    assert browser.post(url, headers=HTMX).status_code == 403
    assert browser.post(url, headers={**HTMX, "X-CSRFToken": token}).status_code == 200
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED


# --- escaping ---------------------------------------------------------------------------------------

@time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False)
def test_hostile_crm_text_is_shown_escaped(northwind, csm_client):
    change = pending_departure(northwind, contact(northwind, "c_2"), kind="role_change", headline=HOSTILE,
                               url="https://news.example/?q=<b>")
    evaluate_accounts(account_ids=[northwind.pk], as_of=AS_OF)
    Alert.objects.filter(account=northwind).update(message=f"Heads up {HOSTILE}")

    page = report(csm_client, northwind)
    assert HOSTILE not in page
    assert HOSTILE_ESCAPED in panel(page, "org-changes-panel")
    assert f"Heads up {HOSTILE_ESCAPED}" in panel(page, "alerts-panel")
    assert 'href="https://news.example/?q=&lt;b&gt;"' in page

    response = csm_client.post(f"/accounts/{northwind.pk}/org-changes/{change.pk}/confirm/", headers=HTMX)
    html = response.content.decode()
    assert HOSTILE not in html
    assert f"Confirmed: {HOSTILE_ESCAPED}." in html
