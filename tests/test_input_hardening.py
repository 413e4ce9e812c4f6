"""Each bad input of issue 14, one by one: a 400 (or the importer's problem list) that names the field
or JSON path, and nothing written.  ``test_fuzz_inputs.py`` drives the same doors with generated
hostile values."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.inputs import InputError, decode_json, parse_date, parse_datetime, safe_url
from accounts.models import Account, User
from sponsors.models import Alert, Contact, OrgChange, OutboundEmail, PlannedTouchpoint, WebhookDelivery
from sponsors.orgchanges.webhook import MAX_BODY_BYTES, sign
from sponsors.outbox.email import render_email

from .guardrails_support import import_document

pytestmark = pytest.mark.django_db
SECRET = "s3cret-for-tests"
WEBHOOK = "/webhooks/job-changes/jobwatch/"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
EXTREME_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"]


@pytest.fixture
def world(cast, document, client):
    import_document(document)
    client.force_login(cast["csm"])           # dana@ is on the account team of the document's account
    return {"account": Account.objects.get(), "client": client, **cast}


def db_state():
    return {model.__name__: model.objects.count() for model in (
        Account, User, Contact, OrgChange, Alert, OutboundEmail, PlannedTouchpoint, WebhookDelivery)}


# --- the product date range -----------------------------------------------------------------------

@pytest.mark.parametrize("value", EXTREME_DATES)
def test_the_one_date_parser_keeps_dates_inside_the_product_range(value):
    with pytest.raises(InputError, match=r"^when: .* outside the dates this product handles"):
        parse_date(value, field="when")
    with pytest.raises(InputError, match="outside the dates"):
        parse_datetime(f"{value}T00:00:00+14:00", field="when")
    assert parse_date("1900-01-01", field="x") == date(1900, 1, 1)
    assert parse_date("2200-12-31", field="x") == date(2200, 12, 31)


def report_urls(account):
    pk = account.pk
    return ["/", f"/accounts/{pk}/report/", *(f"/accounts/{pk}/report.{f}" for f in ("md", "html", "pdf", "json",
                                                                                       "ics")),
            "/api/accounts/", f"/api/accounts/{pk}/report/"]


@pytest.mark.parametrize("value", EXTREME_DATES + ["2026-02-30", "２０２６-01-01", "tomorrow"])
def test_every_report_endpoint_answers_a_bad_as_of_with_a_400_naming_it(world, value):
    for url in report_urls(world["account"]):
        response = world["client"].get(url, {"as_of": value})
        assert response.status_code == 400, (url, response.status_code)
        assert "as_of" in response.content.decode(), url


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2026-02-30"])
def test_planning_a_touchpoint_at_either_end_of_the_calendar_is_a_400_naming_planned_on(world, value):
    contact = Contact.objects.get(external_id="c_1")
    before = db_state()
    response = world["client"].post("/api/touchpoints/", {
        "account": world["account"].pk, "contacts": [contact.pk], "planned_on": value, "type": "one_on_one"},
        content_type="application/json")
    assert response.status_code == 400 and "planned_on" in response.json()
    assert db_state() == before


@pytest.mark.parametrize("body,where", [
    (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
    (b'{"account": NaN}', "JSON parse error"),
    (b'{"account": 1e400}', "JSON parse error"),
    (b'{"objective": "a\\u0000b"}', "objective"),
    (b'\xff\xfe{"a": 1}', "UTF-8"),
    (json.dumps({"account": 10**30, "contacts": [1], "planned_on": "2026-12-01", "type": "call"}).encode(), "account"),
    (json.dumps({"account": 1, "contacts": [1], "planned_on": "2026-12-01", "type": "lunch"}).encode(), "type"),
    (json.dumps({"account": 1, "contacts": [1], "planned_on": "2026-12-01", "type": "call", "objective": "o" * 501})
     .encode(), "objective"),
], ids=["deep", "NaN", "1e400", "NUL", "not UTF-8", "huge id", "unknown type", "overlong objective"])
def test_hostile_api_bodies_are_400s(world, body, where):
    before = db_state()
    response = world["client"].post("/api/touchpoints/", body, content_type="application/json")
    assert response.status_code == 400 and where in response.content.decode()
    assert db_state() == before


def test_an_unknown_alert_status_filter_is_a_400_not_silently_ignored(world):
    response = world["client"].get("/api/alerts/", {"status": "everything"})
    assert response.status_code == 400 and "status" in response.json()


# --- the webhook ------------------------------------------------------------------------------------

@pytest.fixture
def hook(world):
    with override_settings(EXEC_SPONSOR_WEBHOOK_SECRETS={"jobwatch": SECRET}):
        with time_machine.travel(NOW, tick=False):
            yield world["client"]


def deliver(client, raw, *, signature=None, timestamp=None):
    ts = timestamp or str(int(NOW.timestamp()))
    raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    return client.generic("POST", WEBHOOK, raw, content_type="application/json",
                          headers={"X-Timestamp": ts, "X-Signature": signature or sign(SECRET, ts, raw)})


GOOD = {"id": "evt_1", "event": "job_change", "person": {"name": "Priya Natarajan"},
        "previous": {"company": "Northwind Health"}, "current": {"company": "Globex"}, "occurred_on": "2026-11-19"}


@pytest.mark.parametrize("change,status,names", [
    ({"event": "job_offer"}, 400, "event"),
    ({"occurred_on": "9999-12-31"}, 400, "occurred_on"),
    ({"occurred_on": "2026-02-30"}, 400, "occurred_on"),
    ({"confidence": 1.5}, 400, "confidence"),
    ({"confidence": "high"}, 400, "confidence"),
    ({"person": {"name": "x" * 256}}, 400, "person.name"),
    ({"person": {"name": "Pri\u0000ya"}}, 400, "person.name"),
    ({"person": {"linkedin_url": "javascript:alert(1)"}}, 400, "person.linkedin_url"),
    ({"person": {}}, 400, "person"),
    ({"id": "e" * 129}, 400, "id"),
    ({"extra": {"deep": [[[[[[[[[[1]]]]]]]]]]}}, 400, "nested deeper"),
])
def test_signed_but_unacceptable_payloads_are_refused_before_storing(hook, change, status, names):
    response = deliver(hook, {**GOOD, **change})
    assert response.status_code == status and names in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("raw,names", [
    (b"[" * 20_000 + b"]" * 20_000, "nested deeper"),
    (json.dumps(GOOD).replace('"occurred_on"', '"confidence": NaN, "occurred_on"').encode(), "malformed JSON"),
    (json.dumps({**GOOD, "note": "a\u0000b"}).encode(), "note: contains a NUL character"),
    (b"\xff" + json.dumps(GOOD).encode(), "UTF-8"),
], ids=["deep", "NaN", "NUL", "not UTF-8"])
def test_signed_hostile_json_is_a_400(hook, raw, names):
    response = deliver(hook, raw)
    assert response.status_code == 400 and names in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_a_body_over_the_limit_is_a_413_and_is_not_stored(hook):
    raw = json.dumps({**GOOD, "padding": "x" * (2 * 1024 * 1024)}).encode()
    response = deliver(hook, raw)
    assert response.status_code == 413 and f"{MAX_BODY_BYTES:,}" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("signature,timestamp,status", [
    ("ünïcödé", None, 401), ("ß" * 64, None, 401), ("0" * 63, None, 401), ("\u0661" * 64, None, 401),
    (None, "١٧٦٣", 400), (None, "9" * 5000, 400), (None, "-5", 400),
])
def test_odd_signature_and_timestamp_headers_never_raise(hook, signature, timestamp, status):
    response = deliver(hook, GOOD, signature=signature, timestamp=timestamp)
    assert response.status_code == status
    assert not WebhookDelivery.objects.exists()


def test_a_good_delivery_is_still_accepted(hook):
    assert deliver(hook, GOOD).status_code == 202 and WebhookDelivery.objects.count() == 1


# --- the snapshot importer ------------------------------------------------------------------------

def second_account(document):
    extra = json.loads(json.dumps(document["accounts"][0]))
    extra["account"]["id"] = "acc_456"
    document["accounts"].append(extra)
    return extra


BAD_SNAPSHOTS = [
    ("an overlong account name", lambda d: second_account(d)["account"].update(name="N" * 256),
     "accounts[1].account.name", "at most 255"),
    ("an overlong title", lambda d: second_account(d)["contacts"][0].update(title="T" * 256),
     "accounts[1].contacts[0].title", "at most 255"),
    ("an overlong LinkedIn URL", lambda d: second_account(d)["contacts"][0].update(
        linkedin_url="https://www.linkedin.com/in/" + "x" * 500), "accounts[1].contacts[0].linkedin_url", "at most"),
    ("a javascript: URL", lambda d: second_account(d)["org_changes"][0].update(url="javascript:alert(1)"),
     "accounts[1].org_changes[0].url", "http(s) URL"),
    ("an overlong owner e-mail", lambda d: second_account(d)["account"]["owner"].update(
        email="x" * 150 + "@vendor.example"), "accounts[1].account.owner.email", "at most 150"),
    ("an e-mail that grows in lower case", lambda d: second_account(d)["interactions"][0].update(
        logged_by="İ" * 200), "accounts[1].interactions[0].logged_by", "in lower case"),
    ("an overlong external id", lambda d: second_account(d)["contacts"][2].update(id="c" * 129),
     "accounts[1].contacts[2].id", "at most 128"),
    ("a huge integer id", lambda d: second_account(d)["account"].update(id=10**20), "accounts[1].account.id",
     "out of range"),
    ("a NUL character", lambda d: second_account(d)["contacts"][0].update(name="Pri\u0000ya"),
     "accounts[1].contacts[0].name", "NUL"),
    ("a NUL character in evidence", lambda d: second_account(d)["org_changes"][0].update(note={"a\u0000": 1}),
     "accounts[1].org_changes[0].note.a\\u0000", "NUL"),
    ("deep evidence", lambda d: second_account(d)["org_changes"][0].update(raw=json.loads("[" * 40 + "]" * 40)),
     "accounts[1].org_changes[0].raw" + "[0]" * 31, "nested deeper"),
    ("ARR of 1e20", lambda d: second_account(d)["account"]["contract"].update(arr=1e20),
     "accounts[1].account.contract.arr", "maximum"),
    ("dashboard views of 2**40", lambda d: second_account(d)["metrics"].update(executive_dashboard_views=2**40),
     "accounts[1].metrics.executive_dashboard_views", "maximum"),
    ("a BC date-time", lambda d: second_account(d)["interactions"][0].update(occurred_at="0001-01-01T00:00:00+14:00"),
     "accounts[1].interactions[0].occurred_at", "outside the dates"),
    ("a far-future date", lambda d: second_account(d)["org_changes"][0].update(occurred_on="9999-12-31"),
     "accounts[1].org_changes[0].occurred_on", "outside the dates"),
    ("an impossible exported_at", lambda d: d.update(exported_at="2026-02-30T09:00:00Z"), "exported_at",
     "not a real date-time"),
]


@pytest.mark.parametrize("what,mutate,path,words", BAD_SNAPSHOTS, ids=[b[0] for b in BAD_SNAPSHOTS])
def test_bad_snapshot_values_are_listed_with_their_path_and_nothing_is_written(document, write_snapshot, what,
                                                                               mutate, path, words):
    mutate(document)
    before = db_state()
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO(), stderr=err)
    lines = [line.strip() for line in err.getvalue().splitlines()]
    assert any(line.startswith(f"{path}:") and words in line for line in lines), err.getvalue()
    assert db_state() == before


@pytest.mark.parametrize("raw,words", [
    ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ('{"format": "exec-sponsor-snapshot/1", "accounts": [], "x": NaN}', "malformed JSON"),
    ('{"format": "exec-sponsor-snapshot/1", "accounts": [], "x": 1e400}', "malformed JSON"),
    (b'{"format": "exec-sponsor-snapshot/1", "accounts": [\xff]}', "not UTF-8"),
], ids=["deep", "NaN", "1e400", "not UTF-8"])
def test_undecodable_snapshot_files_are_a_problem_not_a_traceback(tmp_path, raw, words):
    path = tmp_path / "bad.json"
    path.write_bytes(raw if isinstance(raw, bytes) else raw.encode())
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_snapshot", str(path), "--no-progress", stdout=io.StringIO(), stderr=err)
    assert words in err.getvalue()


# --- one safe-URL rule ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url,kept", [
    ("https://news.example/a", True), ("HTTP://news.example", True), ("javascript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False), ("java\tscript:alert(1)", False), (" javascript:alert(1)", False),
    ("data:text/html,<script>", False), ("//evil.example", False), ("/relative", False), ("https://", False),
    ("http://[::1", False), (None, False), (5, False),
])
def test_the_safe_url_rule(url, kept):
    assert (safe_url(url) != "") is kept


@pytest.mark.parametrize("url,linked", [("javascript:alert(document.cookie)", False),
                                        ("https://news.example/priya", True)])
def test_the_escalation_email_links_only_http_urls(world, url, linked):
    account = world["account"]
    change = OrgChange(account=account, kind="departure", occurred_on=date(2026, 11, 18), source="news", url=url,
                       headline="Priya left", confidence=0.9)
    alert = Alert(account=account, code="sponsor_departed", severity="critical", message="Priya left", pk=1)
    details = {"sponsor_role": "primary", "contact_name": "Priya", "succession_steps": ["Meet the backup"]}
    rendered = render_email("sponsor_departed", {"account": account, "alert": alert, "org_change": change,
                                                 "details": details})
    assert (f'href="{url}"' in rendered.html) is linked
    assert (url in rendered.text) is linked
    assert "javascript:" not in rendered.html + rendered.text


def test_decode_json_names_the_path_of_what_no_column_can_hold():
    with pytest.raises(InputError) as bad:
        decode_json(b'{"a": [1, {"b\\u0000": 2}]}')
    assert bad.value.field == "a[1].b\\u0000" and "NUL" in bad.value.message
