"""The guardrail API (alerts, org-change review, succession) behind accounts_visible_to, and the
immediate evaluation when a departure is saved."""

from datetime import date

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from sponsors.models import Alert, Contact, Interaction, OrgChange
from sponsors.services.alerts import evaluate_accounts
from sponsors.signals import _Batch

from .guardrails_support import AS_OF, account, fast_password_hashing, import_document


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def acc(cast, document):
    document["accounts"][0]["contacts"][0]["status"] = "departed"     # Priya, the primary sponsor, left
    import_document(document)
    return account()


@pytest.mark.django_db
def test_alerts_are_listed_for_visible_accounts_only(acc, cast, client):
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    expected = set(Alert.objects.filter(account=acc).exclude(status="resolved").values_list("code", flat=True))
    assert "sponsor_departed" in expected

    for who in ("csm", "manager", "admin"):
        client.force_login(cast[who])
        body = client.get("/api/alerts/").json()
        assert {a["code"] for a in body["results"]} == expected, who
        assert body["results"][0]["severity"] == "critical"

    client.force_login(cast["outsider"])
    body = client.get("/api/alerts/").json()
    assert body["results"] == [] and body["empty"].startswith("No alerts")


@pytest.mark.django_db
def test_an_alert_is_acknowledged_through_the_api_by_someone_who_sees_it(acc, cast, client):
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    alert = Alert.objects.get(code="sponsor_departed")

    client.force_login(cast["outsider"])
    assert client.post(f"/api/alerts/{alert.pk}/acknowledge/").status_code == 404
    client.force_login(cast["csm"])
    response = client.post(f"/api/alerts/{alert.pk}/acknowledge/")

    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast["csm"]
    assert [a["id"] for a in client.get("/api/alerts/?status=acknowledged").json()["results"]] == [alert.pk]


@pytest.mark.django_db
def test_accepting_the_succession_makes_the_backup_primary_and_resolves_the_escalation(acc, cast, client):
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    alert = Alert.objects.get(code="sponsor_departed")
    marcus = Contact.objects.get(external_id="c_2")
    assert alert.details["proposed_primary_id"] == marcus.pk

    client.force_login(cast["csm"])
    response = client.post(f"/api/alerts/{alert.pk}/accept-succession/")

    assert response.status_code == 200
    assert response.json()["primary_sponsor"] == {"id": marcus.pk, "name": "Marcus Holt"}
    marcus.refresh_from_db()
    assert marcus.sponsor == "primary"
    assert Contact.objects.get(external_id="c_1").sponsor == ""
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert Alert.objects.filter(account=acc, code="no_backup_sponsor").exclude(status="resolved").exists()


@pytest.mark.django_db
def test_without_a_backup_there_is_no_succession_to_accept(cast, document, client):
    document["accounts"][0]["contacts"][0]["status"] = "departed"
    document["accounts"][0]["contacts"][1]["sponsor"] = None
    import_document(document)
    evaluate_accounts(account_ids=[account().pk], as_of=AS_OF)
    alert = Alert.objects.get(code="sponsor_departed")
    assert alert.details["proposed_primary_id"] is None

    client.force_login(cast["csm"])
    response = client.post(f"/api/alerts/{alert.pk}/accept-succession/")
    assert response.status_code == 400 and "no backup sponsor was proposed" in response.json()["detail"]


@pytest.mark.django_db
def test_pending_org_changes_are_reviewed_through_the_api(acc, cast, client):
    lena = Contact.objects.get(external_id="c_3")
    marcus = Contact.objects.get(external_id="c_2")
    left = OrgChange.objects.create(account=acc, contact=marcus, kind="departure", occurred_on=AS_OF,
                                    source="news", confidence=0.4, state="pending", headline="Marcus Holt leaves")
    moved = OrgChange.objects.create(account=acc, contact=lena, kind="role_change", occurred_on=AS_OF,
                                     source="news", confidence=0.4, state="pending", headline="Lena moves")
    client.force_login(cast["outsider"])
    assert client.get("/api/org-changes/pending/").json()["results"] == []
    assert client.post(f"/api/org-changes/{left.pk}/confirm/").status_code == 404

    client.force_login(cast["csm"])
    pending = client.get("/api/org-changes/pending/").json()["results"]
    assert {c["id"] for c in pending} == {left.pk, moved.pk}
    assert client.post(f"/api/org-changes/{left.pk}/confirm/").json()["state"] == "confirmed"
    dismissed = client.post(f"/api/org-changes/{moved.pk}/dismiss/").json()
    assert dismissed["state"] == "dismissed"

    marcus.refresh_from_db()
    assert (marcus.status, marcus.departed_on) == ("departed", AS_OF)
    moved.refresh_from_db()
    assert moved.fingerprint and moved.reviewed_by == cast["csm"]
    assert client.get("/api/org-changes/pending/").json()["empty"].startswith("Nothing to review")


@pytest.fixture
def eager_celery():
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.mark.django_db(transaction=True)
def test_saving_a_departure_escalates_at_once_with_one_evaluation_per_transaction(cast, document, eager_celery):
    import_document(document)
    acc = account()
    priya = Contact.objects.get(external_id="c_1")
    with transaction.atomic():
        OrgChange.objects.create(account=acc, contact=priya, kind="departure", occurred_on=timezone.localdate(),
                                 source="manual", headline="Priya Natarajan left")
        Interaction.objects.create(account=acc, type="call", occurred_at=timezone.now(), direction="meeting")
        priya.status, priya.departed_on = "departed", date.today()
        priya.save()
        batches = [cb for _s, cb, *_ in connection.run_on_commit if isinstance(cb, _Batch)]
        assert len(batches) == 1 and batches[0].account_ids == {acc.pk}
        assert not Alert.objects.exists()

    alert = Alert.objects.get(code="sponsor_departed")          # evaluated on commit ...
    assert alert.contact == priya and alert.due_on is not None
    assert len(mail.outbox) == 1                                 # ... and the escalation sent
    message = mail.outbox[0]
    assert "Priya Natarajan" in message.subject and message.extra_headers["Message-ID"] == alert.emails.get().message_id


@pytest.mark.django_db
def test_the_admin_lists_alerts_emails_webhooks_and_feeds(acc, admin_client):
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    for model in ("alert", "outboundemail", "webhookdelivery", "newsfeed", "orgchange"):
        response = admin_client.get(f"/admin/sponsors/{model}/")
        assert response.status_code == 200, model
    alert = Alert.objects.get(code="sponsor_departed")
    response = admin_client.post("/admin/sponsors/alert/", {"action": "acknowledge", "_selected_action": [alert.pk]})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
