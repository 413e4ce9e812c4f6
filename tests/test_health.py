"""``/healthz`` (liveness: no database) and ``/readyz`` (database, broker, migrations): plain JSON, no
authentication, answered before the host check; a dependency down is a 503 naming it, never a 500."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.migrations.recorder import MigrationRecorder

from .settings_effects_support import free_port

ROOT = Path(__file__).resolve().parent.parent
READY = {"status": "ok", "checks": {"database": "ok", "broker": "ok", "migrations": "ok"}}


def test_healthz_answers_without_the_database_whatever_the_host(client):
    # No django_db mark: any database access would fail this test.
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")      # a load balancer's probe by its address

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_readyz_checks_the_database_the_broker_and_the_migrations(client):
    response = client.get("/readyz", HTTP_HOST="10.1.2.3")

    assert (response.status_code, response.json()) == (200, READY)
    assert client.head("/readyz/").status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert body["checks"]["broker"].startswith("ConnectionError: ")


@pytest.mark.django_db
def test_readyz_is_503_naming_a_migration_not_applied(client):
    last = MigrationRecorder.Migration.objects.filter(app="sponsors").order_by("name").last()
    last.delete()                                        # as if the release's migrate had not run (rolled back)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == f"1 migration(s) not applied: sponsors.{last.name}"


def test_readyz_is_503_naming_the_database_when_it_does_not_answer():
    """A web process whose PostgreSQL is gone (the production settings, in a process of its own)."""
    code = ("from django.test import Client; r = Client().get('/readyz'); "
            "print(r.status_code, r.content.decode())")
    env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/gone", "REDIS_URL": "",
           "DJANGO_SETTINGS_MODULE": "config.settings", "EXEC_SPONSOR_QUIET_EMBEDDED": "1",
           "DJANGO_SECRET_KEY": "a-test-key-" + "x" * 40, "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)

    status, _, body = run.stdout.strip().partition(" ")
    assert status == "503", run.stdout + run.stderr
    checks = json.loads(body)["checks"]
    assert checks["database"].startswith("OperationalError: ")
    assert checks["migrations"] == "not checked: no database"
    assert checks["broker"] == "ok"                    # none configured: tasks run in-process


@pytest.mark.django_db
def test_other_methods_and_paths_go_to_the_app(client):
    assert client.post("/readyz").status_code == 404
    assert client.get("/healthz/extra").status_code == 404
