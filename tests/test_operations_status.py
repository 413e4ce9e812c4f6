"""``manage.py status``, the admin's status page and the e-mail to admins, from the heartbeats the
processes leave, the outbox and the Redis broker (the smoke test has the real processes leave them)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from celery import current_app
from django.core.management import CommandError, call_command

from accounts.models import User
from sponsors.models import Heartbeat, OutboundEmail
from sponsors.services.operations import alert_admins

from .operations_support import all_running, beat, quiet_broker, waiting_escalation  # noqa: F401 - a fixture
from .settings_effects_support import free_port, smtp  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_broker")]
ROOT = Path(__file__).resolve().parent.parent


def status(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("status", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def test_it_shows_each_queue_beat_and_the_outbox_and_exits_0_when_everything_runs():
    all_running()

    code, text = status()

    assert code == 0, text
    lines = text.splitlines()
    assert re.fullmatch(r"queue default  ok       last task: sponsors.tasks.heartbeat 4\d s ago; "
                        r"workers: default@host \(checked in 2\d s ago\); waiting: 0", lines[0])
    assert re.fullmatch(r"queue notify   ok       .*workers: notify@host .*", lines[1])
    assert re.fullmatch(r"beat           ok       last tick: 3\d s ago", lines[2])
    assert lines[3] == "outbox         ok       0 e-mail(s) unsent; oldest unsent escalation: none"
    assert lines[-1] == "Everything is running."


def test_a_queue_whose_worker_stopped_is_stalled_and_status_exits_1():
    all_running()
    Heartbeat.objects.filter(key="worker:notify@host").delete()        # a warm shutdown checks the worker out
    current_app.send_task("sponsors.tasks.flush_outbox")                # and work waits for it

    code, text = status()

    assert code == 1
    assert re.search(r"queue notify   STALLED  last task: sponsors.tasks.heartbeat 4\d s ago; workers: none alive; "
                     r"waiting: 1", text)
    assert text.splitlines()[-1] == "STALLED: queue notify: no worker is consuming it (last check-in: never); " \
                                    "1 task(s) waiting"
    report = json.loads(status("--json")[1])
    assert [(q["name"], q["stalled"], q["waiting"]) for q in report["queues"]] == [
        ("default", False, 0), ("notify", True, 1)]
    assert [s["code"] for s in report["stalls"]] == ["queue_stalled"]


def test_a_killed_worker_is_missed_once_silent_and_a_queue_with_work_waiting_and_none_done():
    all_running()
    beat("worker:notify@host", timedelta(minutes=6), queues=["notify"])     # killed: no check-out, no check-in
    beat("queue:default", timedelta(minutes=6), task="sponsors.tasks.recompute_portfolio", state="SUCCESS")
    current_app.send_task("sponsors.tasks.heartbeat")                      # waits on default, nothing done since

    report = json.loads(status("--json")[1])

    assert [s["message"] for s in report["stalls"]] == [
        "queue default: 1 task(s) waiting and none done for 6 min",
        "queue notify: no worker is consuming it (last check-in: 6 min ago); 0 task(s) waiting",
    ]
    assert report["ok"] is False


def test_beat_silent_an_escalation_waiting_and_an_unreachable_broker_are_each_reported(document, settings):
    all_running(beat_age=timedelta(minutes=16))
    row = waiting_escalation(document, timedelta(minutes=6))
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"             # nobody listens there

    code, text = status()

    assert code == 1
    stalled = [line for line in text.splitlines() if line.startswith("STALLED: ")]
    assert stalled[0].startswith("STALLED: the broker did not answer: ConnectionError")
    assert stalled[1:] == [
        "STALLED: beat has not ticked for 15 min (last tick: 16 min ago)",
        "STALLED: the escalation for Northwind Health has waited 6 min (more than 5 min) to be sent",
    ]
    assert "queue notify   ok" in text and "waiting: unknown" in text
    assert f"oldest unsent escalation: 6 min old (Northwind Health, outbox #{row.pk})" in text


def test_status_exits_1_naming_the_database_when_it_does_not_answer():
    env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nothing", "REDIS_URL": "",
           "DJANGO_SETTINGS_MODULE": "config.settings", "EXEC_SPONSOR_QUIET_EMBEDDED": "1",
           "DJANGO_SECRET_KEY": "a-test-key-" + "x" * 40, "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "manage.py", "status"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 1
    assert "STALLED: the database did not answer: OperationalError" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_admin_status_page_shows_the_same_to_staff_only(client):
    all_running()
    Heartbeat.objects.filter(key="beat").delete()
    staff = User.objects.create_user(username="ops@vendor.example", password="pw", is_staff=True, is_superuser=True)
    csm = User.objects.create_user(username="dana@vendor.example", password="pw")

    client.force_login(csm)
    refused = client.get("/admin/status/")
    client.force_login(staff)
    page = client.get("/admin/status/")

    assert refused.status_code == 302 and "/admin/login/" in refused["Location"]
    assert page.status_code == 200
    html = page.content.decode()
    assert "beat has not ticked for 15 min (last tick: never)" in html
    assert "<th scope=\"row\">queue notify</th><td>ok</td>" in html
    assert "<th scope=\"row\">beat</th><td><strong>STALLED</strong></td>" in html


# --- the e-mail to admins --------------------------------------------------------------------------


@pytest.fixture
def admins():
    return [User.objects.create_user(username="ada@vendor.example", email="ada@vendor.example", role="admin",
                                     first_name="Ada", last_name="Admin"),
            User.objects.create_user(username="root", email="root@vendor.example", is_superuser=True),
            User.objects.create_user(username="gone@vendor.example", email="gone@vendor.example", role="admin",
                                     is_active=False),
            User.objects.create_user(username="dana@vendor.example", email="dana@vendor.example")]


def test_admins_get_one_email_per_stalled_beat_sent_at_once_without_any_worker(admins, smtp, settings):  # noqa: F811
    settings.ADMINS = [("Ops", "ops@vendor.example"), ("Ada again", "ADA@vendor.example")]
    all_running(beat_age=timedelta(minutes=16))

    first = alert_admins()
    again = alert_admins()

    assert len(first) == 1 and again == []
    row = OutboundEmail.objects.get(kind="operations_stalled")
    assert row.status == "sent" and row.dedupe_key.startswith("operations:beat:")
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["Subject"] == ("[Operations] Executive Sponsor Tracker: beat has not ticked for 15 min "
                              "(last tick: 16 min ago)")
    assert msg["To"] == "Ada Admin <ada@vendor.example>, root@vendor.example, Ops <ops@vendor.example>"
    assert "Start exactly one `celery -A config beat`" in msg.get_body(("plain",)).get_content()

    # Beat comes back, then stalls again: a new incident, a new e-mail.
    all_running(beat_age=timedelta(minutes=20))
    assert len(alert_admins()) == 1 and len(smtp.messages) == 2


def test_admins_get_one_email_per_escalation_waiting_more_than_5_minutes(document, admins, smtp):  # noqa: F811
    all_running()
    row = waiting_escalation(document, timedelta(minutes=4))
    assert alert_admins() == []

    OutboundEmail.objects.filter(pk=row.pk).update(created_at=row.created_at - timedelta(minutes=2))
    written, again = alert_admins(), alert_admins()

    assert [r.dedupe_key for r in written] == [f"operations:escalation:{row.pk}"] and again == []
    assert [m["Subject"] for m in smtp.messages] == [
        "[Operations] Executive Sponsor Tracker: the escalation for Northwind Health has waited 6 min "
        "(more than 5 min) to be sent"]
    assert "consumes the `notify` queue" in smtp.messages[0].get_body(("plain",)).get_content()


def test_a_beat_that_never_ticked_is_reported_once_the_watcher_has_waited_as_long(admins, smtp):  # noqa: F811
    from django.utils import timezone

    all_running()
    Heartbeat.objects.filter(key="beat").delete()

    assert alert_admins(watching_since=timezone.now() - timedelta(minutes=1)) == []   # beat may be starting
    assert alert_admins() == []                                                      # nobody watched that long
    written = alert_admins(watching_since=timezone.now() - timedelta(minutes=16))

    assert [r.dedupe_key for r in written] == ["operations:beat:never"]
    assert len(smtp.messages) == 1


def test_without_an_admin_to_tell_nothing_is_written(smtp, caplog):  # noqa: F811
    all_running(beat_age=timedelta(hours=1))

    assert alert_admins() == []
    assert not OutboundEmail.objects.exists() and smtp.messages == []
    assert "no admin with an e-mail address to tell: beat has not ticked" in caplog.text
