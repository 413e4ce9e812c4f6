"""Every EXEC_SPONSOR_DIGEST and EXEC_SPONSOR_SLACK key changes what is sent, end to end: who is due when
(the service the beat calls), what the digest lists (built from the hand-built portfolio's eventful week,
``tests/digest_support.py``) and what a Slack webhook on loopback gets or answers."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
import time_machine
from cryptography.fernet import Fernet
from werkzeug import Response

from accounts.models import Team
from reports import digest_render
from reports.digest_service import queue_due_digests, user_digest
from sponsors.models import OutboundEmail, SlackChannel
from sponsors.outbox import core, delivery
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.scores import recompute_scores

from .digest_support import MONDAY, at, build_portfolio, eventful_week, meet
from .settings_effects_support import covers

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(settings):
    settings.SITE_URL = "https://tracker.example"
    cast = build_portfolio()
    cast.update(eventful_week(cast))
    with time_machine.travel(at(date(2026, 11, 18), 9), tick=False):
        evaluate_accounts(as_of=date(2026, 11, 18))
    return cast


def group(digest, key):
    return next(g for g in digest.groups if g.key == key)


# --- when -----------------------------------------------------------------------------------------------

def due(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return queue_due_digests(now=at(moment.date(), moment.hour))["due"]


@covers("digest", "send_weekday")
def test_send_weekday(settings):
    build_portfolio()                                              # Mia, a manager, on the site's UTC
    assert due(at(MONDAY, 8)) == 1                                 # Monday 08:00
    settings.EXEC_SPONSOR_DIGEST = {"send_weekday": 2}
    assert due(at(MONDAY, 8)) == 0
    assert due(at(date(2026, 11, 25), 8)) == 1                     # Wednesday 08:00


@covers("digest", "send_hour")
def test_send_hour(settings):
    build_portfolio()
    assert due(at(MONDAY, 7)) == 0
    settings.EXEC_SPONSOR_DIGEST = {"send_hour": 7}
    assert due(at(MONDAY, 7)) == 1


# --- what ------------------------------------------------------------------------------------------------

@covers("digest", "trend_weeks")
def test_trend_weeks(week, settings):
    bars = r'bgcolor="#(?:2e7d32|c62828|d0d0d0)"'
    assert len(re.findall(bars, digest_render.email(user_digest(week["mia"], MONDAY)).html)) == 5 * 12
    settings.EXEC_SPONSOR_DIGEST = {"trend_weeks": 4}
    digest = user_digest(week["mia"], MONDAY)
    assert len(re.findall(bars, digest_render.email(digest).html)) == 5 * 4
    assert {len(m.trend) for m in digest.metrics} == {4}


@covers("digest", "movers")
def test_movers(week, settings):
    meet(week["Alpha"], date(2026, 11, 20), week["a1"], type="email", direction="outbound")   # unanswered
    recompute_scores(as_of=date(2026, 11, 22))                     # Avery One: Responsiveness 12 → 0 too
    assert [i.text.split(":")[0] for i in group(user_digest(week["mia"], MONDAY), "drops").items] == [
        "Avery One", "Drew New"]                                   # both -12, by name
    settings.EXEC_SPONSOR_DIGEST = {"movers": 1}
    assert len(group(user_digest(week["mia"], MONDAY), "drops").items) == 1


@covers("digest", "mover_min_points")
def test_mover_min_points(week, settings):
    assert len(group(user_digest(week["mia"], MONDAY), "drops").items) == 1     # Drew New, -12
    settings.EXEC_SPONSOR_DIGEST = {"mover_min_points": 13}
    assert group(user_digest(week["mia"], MONDAY), "drops").items == ()


@covers("digest", "group_limit")
def test_group_limit(week, settings):
    cadence = group(user_digest(week["mia"], MONDAY), "cadence")
    assert (len(cadence.items), cadence.more) == (2, 0)
    settings.EXEC_SPONSOR_DIGEST = {"group_limit": 1}
    digest = user_digest(week["mia"], MONDAY)
    cadence = group(digest, "cadence")
    assert (len(cadence.items), cadence.more) == (1, 1)
    assert "- and 1 more: https://tracker.example/" in digest_render.email(digest).text


# --- Slack -------------------------------------------------------------------------------------------------

@pytest.fixture
def slack_row(cast, settings, httpserver):
    settings.EXEC_SPONSOR_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    channel = SlackChannel(team=Team.objects.get(name="East"))
    channel.set_webhook_url(httpserver.url_for("/hook"))
    channel.save()
    return OutboundEmail.objects.create(channel="slack", dedupe_key="t:1", kind="weekly_digest", subject="x",
                                        body_text="x", slack_channel=channel, payload={"text": "hello"})


@covers("slack", "timeout_seconds")
def test_timeout_seconds(slack_row, settings, httpserver):
    def slow(request):
        time.sleep(1.0)
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(slow)
    settings.EXEC_SPONSOR_SLACK = {"timeout_seconds": 0.2}
    with pytest.raises(core.OutboxSendError, match="no answer from Slack: timed out"):
        delivery.send_outbox_message(slack_row.pk)
    settings.EXEC_SPONSOR_SLACK = {}                               # the default 10 s
    assert delivery.send_outbox_message(slack_row.pk) == "sent"


@covers("slack", "max_retry_after_seconds")
def test_max_retry_after_seconds(slack_row, settings, httpserver):
    httpserver.expect_request("/hook").respond_with_data("", status=429, headers={"Retry-After": "7200"})
    with pytest.raises(core.OutboxSendError) as raised:
        delivery.send_outbox_message(slack_row.pk)
    assert raised.value.retry_after == 3600                        # capped at the default hour

    OutboundEmail.objects.filter(pk=slack_row.pk).update(not_before=None)
    settings.EXEC_SPONSOR_SLACK = {"max_retry_after_seconds": 60}
    with pytest.raises(core.OutboxSendError) as raised:
        delivery.send_outbox_message(slack_row.pk)
    assert raised.value.retry_after == 60
