"""Every ``EXEC_SPONSOR_OPERATIONS`` key changes what ``manage.py status`` reports and what the admins are
e-mailed about: heartbeats at chosen ages, a real escalation left unsent, an SMTP server on loopback."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from sponsors.services.operations import alert_admins

from .operations_support import all_running, beat, quiet_broker, waiting_escalation  # noqa: F401 - a fixture
from .settings_effects_support import covers, smtp  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def stalls() -> list[str]:
    out = io.StringIO()
    try:
        call_command("status", "--json", stdout=out)
    except CommandError:
        pass
    return [s["message"] for s in json.loads(out.getvalue())["stalls"]]


@pytest.fixture
def admin(db):
    return User.objects.create_user(username="ada@vendor.example", email="ada@vendor.example", role="admin")


@covers("operations", "beat_stall_minutes")
def test_beat_stall_minutes(settings, admin, smtp, quiet_broker):  # noqa: F811
    all_running(beat_age=timedelta(minutes=10))
    assert stalls() == [] and alert_admins() == []                       # 10 min: within the default 15

    settings.EXEC_SPONSOR_OPERATIONS = {"beat_stall_minutes": 8}

    assert stalls() == ["beat has not ticked for 8 min (last tick: 10 min ago)"]
    assert len(alert_admins()) == 1
    assert [m["Subject"] for m in smtp.messages] == [
        "[Operations] Executive Sponsor Tracker: beat has not ticked for 8 min (last tick: 10 min ago)"]


@covers("operations", "escalation_wait_minutes")
def test_escalation_wait_minutes(document, settings, admin, smtp, quiet_broker):  # noqa: F811
    all_running()
    waiting_escalation(document, timedelta(minutes=3))
    assert stalls() == [] and alert_admins() == []                       # 3 min: within the default 5

    settings.EXEC_SPONSOR_OPERATIONS = {"escalation_wait_minutes": 2}

    assert stalls() == ["the escalation for Northwind Health has waited 3 min (more than 2 min) to be sent"]
    assert len(alert_admins()) == 1 and len(smtp.messages) == 1


@covers("operations", "queue_stall_minutes")
def test_queue_stall_minutes(settings, quiet_broker):  # noqa: F811
    all_running()
    beat("worker:notify@host", timedelta(minutes=3), queues=["notify"])   # silent for 3 minutes
    assert stalls() == []                                                # within the default 5

    settings.EXEC_SPONSOR_OPERATIONS = {"queue_stall_minutes": 2}

    assert stalls() == ["queue notify: no worker is consuming it (last check-in: 3 min ago); 0 task(s) waiting"]
