"""The production topology, started for real from the Procfile by honcho: gunicorn on a loopback port,
the ``default`` and ``notify`` workers and beat, with the production settings, on the test database
and Redis, e-mail to a local SMTP server (aiosmtpd).

A signed job-change webhook says the primary sponsor left: the escalation arrives at the SMTP server.
Then ``worker-notify`` is stopped: ``/readyz`` stays up, ``manage.py status`` reports the notify queue
stalled (exit code 1) while a second departure waits in it; ``worker-notify`` is started again and that
escalation goes out, once — a later flush of the outbox sends nothing again — and ``status`` is back to
0.  The processes logged JSON lines for the request and the tasks (``LOG_FORMAT=json``).  Every process
the test started is stopped, whatever happens.

``pytest -m smoke`` runs it alone; ``make test`` and CI run it with the rest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from sponsors.models import Alert, OutboundEmail
from sponsors.orgchanges.webhook import sign

from .guardrails_support import account, import_document
from .worker_support import Inbox, free_port, wait_for

pytestmark = [pytest.mark.smoke, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "smoke-test-webhook-secret"
DEADLINE = 60          # seconds; generous: the machine is shared and the processes start cold


class Honcho:
    """``honcho start NAMES…`` from the repository's Procfile, in its own session, its output in a file.

    Honcho starts each process in a session of its own and stops them all on SIGTERM; the children's pids
    (from its "started (pid=N)" lines) are killed too if anything is left, so nothing outlives the test."""

    def __init__(self, names, *, env, log, port):
        self.names, self.log = names, log
        self.output = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(BIN / "honcho"), "--env", "/dev/null", "--procfile", "Procfile", "start", "--port", str(port),
             "--no-colour", *names],
            cwd=ROOT, env=env, stdout=self.output, stderr=subprocess.STDOUT, start_new_session=True)

    def child_pids(self) -> list[int]:
        pids = []
        for line in Path(self.log).read_text(errors="replace").splitlines():
            if "started (pid=" in line:
                pids.append(int(line.rsplit("pid=", 1)[1].rstrip(")")))
        return pids

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        groups = set(self.child_pids())
        deadline = time.monotonic() + 30      # gunicorn's and Celery's warm shutdowns finish their work first
        while running(groups) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pgid in {pgid for _pid, pgid in running(groups)}:
            os.killpg(pgid, signal.SIGKILL)
        self.output.close()


def running(groups) -> list[tuple[int, int]]:
    """``(pid, process group)`` of every live process (zombies are dead) in the process groups ``groups``."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue                   # gone meanwhile
        state, pgid = fields[0], int(fields[2])
        if pgid in groups and state not in ("Z", "X"):
            out.append((int(stat.parent.name), pgid))
    return out


def process_env(tmp_path, smtp_port) -> dict:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "config.settings",        # the production settings, not the tests'
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
        "EXEC_SPONSOR_WEBHOOK_SECRETS": json.dumps({"smoke": SECRET}),
        "DJANGO_SECRET_KEY": "smoke-test-only-" + os.urandom(16).hex(), "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "EXEC_SPONSOR_QUIET_EMBEDDED": "1",
        "LOG_FORMAT": "json", "WEB_BIND": "127.0.0.1", "WEB_CONCURRENCY": "1", "WORKER_CONCURRENCY": "1",
        "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "celerybeat-schedule"), "PYTHONUNBUFFERED": "1",
    }


def http(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")
    except OSError:
        return None, None          # not listening yet


def post_departure(base, delivery_id, name, email=""):
    body = json.dumps({
        "id": delivery_id, "event": "job_change",
        "person": {"name": name, "email": email, "linkedin_url": ""},
        "previous": {"company": "Northwind Health", "title": "Executive"},
        "current": {"company": "Globex Corporation", "title": "CEO"},
        "occurred_on": timezone.localdate().isoformat(), "confidence": 0.95,
    }).encode()
    stamp = str(int(time.time()))
    # Through gunicorn as a TLS proxy on this machine would send it (gunicorn trusts the header from loopback).
    return http("POST", f"{base}/webhooks/job-changes/smoke/", body, {
        "Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": sign(SECRET, stamp, body),
        "X-Forwarded-Proto": "https"})


def status(env) -> tuple[int, dict]:
    result = subprocess.run([sys.executable, "manage.py", "status", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    return result.returncode, json.loads(result.stdout)


def queue_of(report, name) -> dict:
    return next(q for q in report["queues"] if q["name"] == name)


def json_lines(log) -> list[dict]:
    out = []
    for line in Path(log).read_text(errors="replace").splitlines():
        _, _, text = line.partition("| ")
        if text.startswith("{"):
            try:
                out.append(json.loads(text))
            except ValueError:
                pass
    return out


def escalations(inbox) -> list:
    return [msg for _rcpts, msg in inbox.messages if msg["Subject"].startswith("[Escalation] Northwind Health:")]


def purge_queues():
    with current_app.connection_for_write() as conn:
        for name in ("default", "notify"):
            conn.default_channel.queue_purge(name)


# Long by design: one story, from start to stop, whose steps depend on each other.
def test_the_procfile_processes_escalate_a_departure_and_a_stalled_notify_worker_shows(document, tmp_path):
    inbox, smtp_port, web_port = Inbox(), free_port(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    import_document(document)                   # Northwind Health: Priya primary, Marcus backup, the team
    purge_queues()
    env, base = process_env(tmp_path, smtp_port), f"http://127.0.0.1:{web_port}"
    started = []
    with ExitStack() as stack:
        smtp.start()
        stack.callback(smtp.stop)

        def start(*names, log):
            honcho = Honcho(names, env=env, log=tmp_path / log, port=web_port)
            started.append(honcho)
            stack.callback(honcho.stop)
            return honcho

        main = start("web", "worker", "beat", log="main.log")
        notify = start("worker-notify", log="notify-1.log")
        wait_for(lambda: http("GET", f"{base}/readyz")[0] == 200, DEADLINE, "gunicorn ready")
        wait_for(lambda: status(env)[0] == 0, DEADLINE, f"status 0 once all processes run ({tmp_path})")

        # 1. A signed departure: the escalation arrives at the SMTP server.
        assert post_departure(base, "evt_smoke_1", "Priya Natarajan", "priya@northwind.example") == (
            202, {"delivery": "evt_smoke_1", "duplicate": False})
        wait_for(lambda: len(escalations(inbox)) == 1, DEADLINE, "the first escalation e-mail")

        # 2. worker-notify stops: the web stays ready, status says the notify queue is stalled, and a second
        # departure waits.
        notify.stop()
        assert http("GET", f"{base}/readyz") == (200, {"status": "ok", "checks": {
            "database": "ok", "broker": "ok", "migrations": "ok"}})
        assert post_departure(base, "evt_smoke_2", "Marcus Holt")[0] == 202
        wait_for(lambda: queue_of(status(env)[1], "notify")["waiting"] >= 1, DEADLINE, "the second departure queued")
        code, report = status(env)
        assert code == 1
        assert queue_of(report, "notify")["stalled"] and not queue_of(report, "default")["stalled"]
        assert [s["subject"] for s in report["stalls"]] == ["notify"]
        assert queue_of(report, "notify")["last_task"] and queue_of(report, "default")["workers"]
        assert "no worker is consuming it" in report["stalls"][0]["message"]
        assert len(escalations(inbox)) == 1, "nothing consumes notify: the second escalation must wait"

        # 3. worker-notify again: the waiting escalation goes out, once.
        start("worker-notify", log="notify-2.log")
        wait_for(lambda: len(escalations(inbox)) == 2, DEADLINE, "the second escalation e-mail")
        assert current_app.send_task("sponsors.tasks.flush_outbox").get(timeout=DEADLINE) == 0
        wait_for(lambda: status(env)[0] == 0, DEADLINE, "status 0 once worker-notify is back")
        def escalation_rows():
            return list(OutboundEmail.objects.filter(alert__code="sponsor_departed").order_by("created_at"))

        # The server has the message a moment before the worker records it as sent.
        wait_for(lambda: all(r.status != "sending" for r in escalation_rows()), DEADLINE, "both e-mails recorded")
        rows = escalation_rows()
        assert [(r.status, r.attempts) for r in rows] == [("sent", 1), ("sent", 1)]
        assert sorted(m["Message-ID"] for m in escalations(inbox)) == sorted(r.message_id for r in rows)
        assert {a.contact.name for a in Alert.objects.filter(code="sponsor_departed")} == {
            "Priya Natarajan", "Marcus Holt"}
        assert len(inbox.messages) == 2

        # 4. One JSON line per request and per task.
        requests = [x for x in json_lines(tmp_path / "main.log") if x.get("logger") == "exec_sponsor.requests"]
        assert {"method": "POST", "path": "/webhooks/job-changes/smoke/", "status": 202} in [
            {k: r[k] for k in ("method", "path", "status")} for r in requests]
        tasks = [x for log in ("notify-1.log", "notify-2.log") for x in json_lines(tmp_path / log)
                 if x.get("logger") == "exec_sponsor.tasks"]
        refreshes = [t for t in tasks if t["task"] == "sponsors.tasks.refresh_account"]
        assert refreshes and {(t["queue"], t["state"], t["account_id"]) for t in refreshes} == {
            ("notify", "SUCCESS", account().pk)}
        assert main.process.poll() is None, "the web, the default worker and beat ran throughout"

    assert all(h.process.poll() is not None for h in started)
    assert running({pid for h in started for pid in h.child_pids()}) == [], "a process outlived the test"
