"""The job-change webhook: HMAC-SHA256 over "<timestamp>.<body>", 300 s tolerance, replays refused;
the raw payload is stored and processing turns it into org changes."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from accounts.models import User
from sponsors.models import Alert, Contact, OrgChange, WebhookDelivery
from sponsors.orgchanges.review import org_change_confirm
from sponsors.orgchanges.webhook import process_webhook_delivery, sign
from sponsors.services.alerts import evaluate_accounts

from .guardrails_support import AS_OF, account, import_document

pytestmark = pytest.mark.django_db
SECRET = "s3cret-for-tests"
URL = "/webhooks/job-changes/jobwatch/"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def setup(document):
    import_document(document)
    with override_settings(EXEC_SPONSOR_WEBHOOK_SECRETS={"jobwatch": SECRET}):
        with time_machine.travel(NOW, tick=False):
            yield


def payload(**overrides):
    body = {
        "id": "evt_1", "event": "job_change",
        "person": {"name": "Priya Natarajan", "email": "PRIYA@northwind.example", "linkedin_url": ""},
        "previous": {"company": "Northwind Health", "title": "Chief Operating Officer"},
        "current": {"company": "Globex Corporation", "title": "CEO"},
        "occurred_on": "2026-11-19", "confidence": 0.95,
    }
    body.update(overrides)
    return body


def post(client, body, *, timestamp=None, secret=SECRET, signature=None, url=URL):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = str(int(NOW.timestamp()) if timestamp is None else timestamp)
    headers = {"X-Timestamp": ts, "X-Signature": signature or sign(secret, ts, raw)}
    return client.post(url, data=raw, content_type="application/json", headers=headers)


def process_all():
    return [process_webhook_delivery(delivery_id=d.pk) for d in WebhookDelivery.objects.order_by("pk")]


def test_it_stores_a_good_delivery_and_processing_records_the_departure(client):
    body = payload()
    response = post(client, body)

    assert response.status_code == 202, response.content
    assert response.json() == {"delivery": "evt_1", "duplicate": False}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.provider, delivery.delivery_id, delivery.payload) == ("jobwatch", "evt_1", body)
    assert delivery.processed_at is None

    outcome = process_all()[0]

    priya = Contact.objects.get(external_id="c_1")
    change = OrgChange.objects.get(source="webhook")
    assert outcome == f"departure (confirmed) for {priya.name}"
    assert (change.kind, change.contact, change.state, change.confidence) == ("departure", priya, "confirmed", 0.95)
    assert (change.old_value, change.new_value) == ("Northwind Health", "Globex Corporation")
    assert change.occurred_on == date(2026, 11, 19)
    assert change.evidence["payload"] == body
    assert (priya.status, priya.departed_on) == ("departed", date(2026, 11, 19))
    delivery.refresh_from_db()
    assert delivery.processed_at is not None and delivery.error == ""

    evaluate_accounts(account_ids=[account().pk], as_of=AS_OF)
    alert = Alert.objects.get(code="sponsor_departed", status="open")
    assert alert.contact == priya
    assert alert.details["proposed_primary_name"] == "Marcus Holt"


@pytest.mark.parametrize("case", ["wrong secret", "tampered body", "garbage signature"])
def test_it_refuses_a_bad_signature(client, case):
    raw = json.dumps(payload()).encode()
    ts = str(int(NOW.timestamp()))
    if case == "wrong secret":
        response = post(client, raw, secret="not-the-secret")
    elif case == "tampered body":
        response = post(client, raw.replace(b"Globex", b"Gl0bex"), signature=sign(SECRET, ts, raw))
    else:
        response = post(client, raw, signature="deadbeef")

    assert response.status_code == 401
    assert "X-Signature" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_it_refuses_missing_headers_unknown_providers_and_other_methods(client):
    raw = json.dumps(payload()).encode()
    assert client.post(URL, data=raw, content_type="application/json").status_code == 401
    assert post(client, raw, url="/webhooks/job-changes/unknown/").status_code == 404
    assert client.get(URL).status_code == 405
    assert post(client, raw, timestamp="yesterday").status_code == 400
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("offset, accepted", [(-300, True), (-301, False), (300, True), (301, False)])
def test_it_accepts_timestamps_within_300_seconds_only(client, offset, accepted):
    response = post(client, payload(), timestamp=int(NOW.timestamp()) + offset)

    assert response.status_code == (202 if accepted else 401)
    assert WebhookDelivery.objects.exists() is accepted
    if not accepted:
        assert "replay refused" in response.json()["error"]


def test_a_replayed_delivery_is_stored_and_processed_once(client):
    assert post(client, payload()).status_code == 202
    process_all()

    again = post(client, payload(), timestamp=int(NOW.timestamp()) + 10)      # re-signed, same id

    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert WebhookDelivery.objects.count() == 1
    assert process_all() == ["already processed"]
    assert OrgChange.objects.filter(source="webhook").count() == 1


def test_a_low_confidence_change_waits_for_a_csm(client):
    post(client, payload(confidence=0.5))
    process_all()

    change = OrgChange.objects.get(source="webhook")
    priya = Contact.objects.get(external_id="c_1")
    assert change.state == "pending" and priya.status == "active"
    evaluate_accounts(account_ids=[account().pk], as_of=AS_OF)
    assert not Alert.objects.filter(code="sponsor_departed").exists()

    org_change_confirm(change=change, by=User.objects.get(email="dana@vendor.example"))

    priya.refresh_from_db()
    assert (priya.status, priya.departed_on) == ("departed", date(2026, 11, 19))
    evaluate_accounts(account_ids=[account().pk], as_of=AS_OF)
    assert Alert.objects.filter(code="sponsor_departed", contact=priya).exists()


def test_a_company_rename_is_no_departure_and_a_reworded_title_does_not_alert(client):
    post(client, payload(current={"company": "Northwind Health, Inc.", "title": "Chief Operating Officer"}))
    post(client, payload(id="evt_2", current={"company": "NORTHWIND HEALTH", "title": "COO"}))
    outcomes = process_all()

    assert outcomes[0].startswith("no org change")
    change = OrgChange.objects.get(source="webhook")
    assert (change.kind, change.state) == ("role_change", "dismissed")
    assert Contact.objects.get(external_id="c_1").status == "active"
    evaluate_accounts(account_ids=[account().pk], as_of=AS_OF)
    assert not Alert.objects.filter(subject=f"org_change:{change.pk}").exists()


def test_it_matches_by_name_at_the_previous_company_and_tells_promotions_from_role_changes(client):
    marcus = {"name": "Marcus Holt"}
    post(client, payload(id="evt_3", person=marcus, previous={"company": "The Northwind Health Co.",
                                                              "title": "VP Finance"},
                         current={"company": "Northwind Health", "title": "CFO"}))
    post(client, payload(id="evt_4", person={"name": "Lena Fischer", "email": ""},
                         previous={"company": "Northwind Health", "title": "Director of IT"},
                         current={"company": "Northwind Health", "title": "Director of Procurement"}))
    process_all()

    kinds = {c.contact.external_id: (c.kind, c.old_value, c.new_value)
             for c in OrgChange.objects.filter(source="webhook")}
    assert kinds == {"c_2": ("promotion", "VP Finance", "CFO"),
                     "c_3": ("role_change", "Director of IT", "Director of Procurement")}


def test_an_unmatched_person_is_kept_with_its_error_and_a_bad_payload_is_refused_before_storing(client):
    post(client, payload(id="evt_5", person={"name": "Nobody Known", "email": "nobody@elsewhere.example"}))
    refused = post(client, payload(id="evt_6", confidence=7))
    outcomes = process_all()

    errors = dict(WebhookDelivery.objects.values_list("delivery_id", "error"))
    assert outcomes[0].startswith("refused: no contact matches")
    assert "no contact matches" in errors["evt_5"]
    assert refused.status_code == 400 and refused.json()["error"].startswith("confidence: 7 is out of range")
    assert "evt_6" not in errors
    assert not OrgChange.objects.filter(source="webhook").exists()


def test_a_non_json_body_is_refused_but_correctly_signed_garbage_is_not_stored(client):
    response = post(client, b"not json")
    assert response.status_code == 400 and not WebhookDelivery.objects.exists()


def test_processing_is_idempotent_per_delivery(client):
    post(client, payload())
    delivery = WebhookDelivery.objects.get()
    assert process_webhook_delivery(delivery_id=delivery.pk).startswith("departure")
    assert process_webhook_delivery(delivery_id=delivery.pk) == "already processed"
    assert process_webhook_delivery(delivery_id=delivery.pk + 1000) == "missing"
    assert OrgChange.objects.filter(source="webhook").count() == 1
    assert timedelta(0) <= (NOW - delivery.received_at) < timedelta(seconds=1)


def test_a_departure_from_the_webhook_goes_through_the_sponsor_service_into_the_audit_trail(client):
    """The webhook's write path is the same service as the page's: the departure is in the trail, by source."""
    post(client, payload())
    process_all()
    priya = Contact.objects.get(external_id="c_1")
    row = priya.history.order_by("-history_date", "-history_id").first()
    assert (row.status, row.history_source, row.history_user) == ("departed", "webhook", None)
    assert row.history_change_reason == "departure confirmed (Webhook)"
