"""Slack beside e-mail: a team's incoming webhook, posted to through the outbox, against a real HTTP
server on loopback (pytest-httpserver) answering 200, 429 with Retry-After, 500 and 404."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from celery.signals import task_retry
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from accounts.models import Team
from sponsors.models import OutboundEmail, SlackChannel
from sponsors.outbox import core, delivery
from sponsors.queue import SEND_OUTBOX_EMAIL
from sponsors.services.alerts import evaluate_accounts

from .guardrails_support import AS_OF, import_document
from .test_escalation_email import departed_primary

pytestmark = pytest.mark.django_db
Status = OutboundEmail.Status


@pytest.fixture
def channel(cast, settings, httpserver):
    settings.EXEC_SPONSOR_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.SITE_URL = "https://tracker.example"
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    ch = SlackChannel(team=Team.objects.get(name="East"))
    ch.set_webhook_url(httpserver.url_for("/services/T1/B1/secret"))
    ch.save()
    return ch


@pytest.fixture
def escalation(document, channel):
    """Priya left: the escalation e-mail is written; its first send attempt writes the team's Slack post."""
    import_document(departed_primary(document))
    [email_row] = evaluate_accounts(as_of=AS_OF).emails
    assert delivery.send_outbox_message(email_row.pk) == "sent"
    return OutboundEmail.objects.get(channel="slack")


def posts(httpserver) -> list[dict]:
    return [json.loads(request.get_data()) for request, _response in httpserver.log]


def hook(httpserver):
    return httpserver.expect_oneshot_request("/services/T1/B1/secret", method="POST")


def test_the_url_is_encrypted_at_rest_and_needs_the_key(channel, settings, httpserver):
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_url_encrypted FROM sponsors_slackchannel")
        [(stored,)] = cursor.fetchall()
    assert "secret" not in stored and "127.0.0.1" not in stored
    assert SlackChannel.objects.get().webhook_url == httpserver.url_for("/services/T1/B1/secret")
    assert SlackChannel.objects.get().webhook_hint.endswith("secret")

    settings.EXEC_SPONSOR_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="EXEC_SPONSOR_ENCRYPTION_KEYS is not set"):
        _ = SlackChannel.objects.get().webhook_url


def test_200_the_escalation_is_posted_once_as_block_kit(escalation, httpserver):
    hook(httpserver).respond_with_data("ok")

    assert delivery.send_outbox_message(escalation.pk) == "sent"
    assert delivery.send_outbox_message(escalation.pk) == "skipped"        # a retried task
    email_row = OutboundEmail.objects.get(channel="email")
    OutboundEmail.objects.filter(pk=email_row.pk).update(status=Status.PENDING)   # the e-mail sent again
    delivery.send_outbox_message(email_row.pk)

    [post] = posts(httpserver)
    assert OutboundEmail.objects.filter(channel="slack").count() == 1
    assert post["text"].startswith("Sponsor departure at Northwind Health: Priya Natarajan has left")
    assert post["blocks"][0] == {"type": "header", "text": {"type": "plain_text",
                                                            "text": "Sponsor departure at Northwind Health"}}
    assert "<https://tracker.example/accounts/" in post["blocks"][1]["text"]["text"]
    assert "*Respond by:* 2026-11-22" in post["blocks"][1]["text"]["text"]
    escalation.refresh_from_db()
    assert (escalation.status, escalation.attempts) == (Status.SENT, 1)


def test_429_honours_retry_after_without_posting_twice(escalation, httpserver):
    hook(httpserver).respond_with_data("rate_limited", status=429, headers={"Retry-After": "30"})
    hook(httpserver).respond_with_data("ok")

    with pytest.raises(core.OutboxSendError) as raised:
        delivery.send_outbox_message(escalation.pk)
    assert raised.value.retry_after == 30
    escalation.refresh_from_db()
    assert escalation.status == Status.PENDING and "429" in escalation.last_error
    assert escalation.not_before - timezone.now() > timedelta(seconds=25)
    assert delivery.send_outbox_message(escalation.pk) == "skipped"        # too early: not even tried
    assert core.resendable_ids(older_than_seconds=0) == []                # nor by the flush
    assert len(httpserver.log) == 1

    OutboundEmail.objects.filter(pk=escalation.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    assert delivery.send_outbox_message(escalation.pk) == "sent"
    assert [r.status for _q, r in httpserver.log] == ["429 TOO MANY REQUESTS", "200 OK"]


def test_the_task_waits_at_least_retry_after(escalation, httpserver, settings):
    from sponsors.tasks import send_outbox_email

    settings.EXEC_SPONSOR_EMAIL = {"max_attempts": 2}
    hook(httpserver).respond_with_data("", status=429, headers={"Retry-After": "45"})
    hook(httpserver).respond_with_data("", status=429, headers={"Retry-After": "45"})
    seen = []

    def on_retry(sender=None, reason=None, **kwargs):
        if sender.name == SEND_OUTBOX_EMAIL:
            seen.append(reason.when)

    task_retry.connect(on_retry, weak=False)
    try:
        # run in-process by apply(): the retry runs at once here, and finds the row not due yet
        assert send_outbox_email.apply(args=[escalation.pk]).get() == "skipped"
    finally:
        task_retry.disconnect(on_retry)
    assert seen == [45]                             # the backoff alone would have been 0..2 seconds
    assert len(httpserver.log) == 1


def test_500_is_retried_with_backoff_then_sent(escalation, httpserver):
    hook(httpserver).respond_with_data("oops", status=500)
    hook(httpserver).respond_with_data("ok")

    with pytest.raises(core.OutboxSendError) as raised:
        delivery.send_outbox_message(escalation.pk)
    assert raised.value.retry_after == 0
    escalation.refresh_from_db()
    assert escalation.status == Status.PENDING and "HTTP 500 from Slack: oops" in escalation.last_error

    assert delivery.send_outbox_message(escalation.pk) == "sent"
    assert len(posts(httpserver)) == 2 and OutboundEmail.objects.get(pk=escalation.pk).attempts == 2


def test_404_disables_the_channel_and_tells_the_teams_manager_once(escalation, httpserver, cast):
    hook(httpserver).respond_with_data("no_service", status=404)
    second = OutboundEmail.objects.create(channel="slack", dedupe_key="test:second", kind="weekly_digest",
                                          slack_channel=escalation.slack_channel, subject="x", body_text="x",
                                          payload={"text": "x"})

    assert delivery.send_outbox_message(escalation.pk) == "failed"
    assert delivery.send_outbox_message(second.pk) == "failed"            # the channel is off: not posted

    assert len(httpserver.log) == 1
    channel = SlackChannel.objects.get()
    assert not channel.enabled and channel.disabled_reason == "Slack answered 404 no_service"
    [notice] = OutboundEmail.objects.filter(kind="slack_channel_disabled")
    assert notice.to == ["sam@vendor.example"]                           # East's manager
    assert "Slack notifications for team East are off" in notice.subject
    assert "/admin/sponsors/slackchannel/" in notice.body_text
    assert "disabled" in OutboundEmail.objects.get(pk=second.pk).last_error

    channel.set_webhook_url(httpserver.url_for("/services/T1/B1/new"))   # a new webhook: on again
    channel.save()
    assert SlackChannel.objects.get().enabled


def test_410_from_a_team_without_a_manager_tells_the_admins(escalation, httpserver, cast):
    Team.objects.get(name="East").managers.clear()
    hook(httpserver).respond_with_data("channel_is_archived", status=410)

    assert delivery.send_outbox_message(escalation.pk) == "failed"
    assert OutboundEmail.objects.get(kind="slack_channel_disabled").to == ["ada@vendor.example"]


def test_the_teams_weekly_digest_is_posted_once_as_block_kit(channel, httpserver, cast):
    from datetime import date

    from accounts.models import Account
    from reports.digest_service import write_team_digest

    Account.objects.create(external_id="acc_9", name="Acme & <Co>", tier="smb", owner=cast["csm"])
    hook(httpserver).respond_with_data("ok")
    team = Team.objects.get(name="East")

    assert write_team_digest(team_id=team.pk, week=date(2026, 11, 23)) == "written"
    assert write_team_digest(team_id=team.pk, week=date(2026, 11, 23)) == "exists"
    row = OutboundEmail.objects.get(channel="slack")
    assert delivery.send_outbox_message(row.pk) == "sent"

    [post] = posts(httpserver)
    assert post["blocks"][0]["text"]["text"] == "Weekly digest — Team East, Nov 16 to Nov 22"
    assert "All clear" in post["blocks"][1]["text"]["text"] and "1 account(s)" in post["blocks"][1]["text"]["text"]
    fields = post["blocks"][3]["fields"]
    assert len(fields) == 5 and fields[0]["text"].startswith("*Exec Engagement Rate* 0% (target &gt;80%)")
