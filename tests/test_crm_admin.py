"""The CRM connections admin: credentials stored encrypted, the last run with its progress bar (polled while it
runs), "Sync now", and nobody but admins."""

from __future__ import annotations

import pytest

from accounts.models import User
from sponsors import crypto
from sponsors.models import CrmConnection, CrmSyncRun

from .crm_support import TOKEN, connection_fixture, encryption_fixture, hubspot_fixture, portfolio  # noqa: F401

pytestmark = pytest.mark.django_db


def staff(cast, name):
    person = cast[name]
    User.objects.filter(pk=person.pk).update(is_staff=True, is_superuser=name == "admin")
    return User.objects.get(pk=person.pk)


def test_an_admin_adds_a_connection_whose_token_is_stored_encrypted(client, cast, encryption):
    client.force_login(staff(cast, "admin"))
    response = client.post("/admin/sponsors/crmconnection/add/", {
        "name": "hubspot-eu", "kind": "hubspot", "base_url": "", "api_prefix": "", "credentials": TOKEN,
        "token_env": "", "options": "{}", "analytics_url": "", "analytics_csv": "", "enabled": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    connection = CrmConnection.objects.get(name="hubspot-eu")
    assert TOKEN not in connection.credentials_encrypted
    assert crypto.decrypt(connection.credentials_encrypted) == TOKEN
    assert connection.credential_hint == "…5555"
    page = client.get("/admin/sponsors/crmconnection/").content.decode()
    assert "hubspot-eu" in page and "never synced" in page and TOKEN not in page


def test_without_an_encryption_key_the_form_says_so_on_the_token_and_stores_nothing(client, cast, settings):
    settings.EXEC_SPONSOR_ENCRYPTION_KEYS = []
    client.force_login(staff(cast, "admin"))
    response = client.post("/admin/sponsors/crmconnection/add/", {
        "name": "hubspot-eu", "kind": "hubspot", "base_url": "", "api_prefix": "", "credentials": TOKEN,
        "token_env": "", "options": "{}", "analytics_url": "", "analytics_csv": "", "enabled": "on"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "EXEC_SPONSOR_ENCRYPTION_KEYS is not set" in " ".join(errors["credentials"])
    assert not CrmConnection.objects.exists()


def test_the_list_shows_the_last_run_and_polls_a_running_one(client, cast, connection):
    client.force_login(staff(cast, "admin"))
    CrmSyncRun.objects.create(connection=connection, status=CrmSyncRun.Status.RUNNING, stage="fetching contacts",
                              done=30, total=120)
    page = client.get("/admin/sponsors/crmconnection/").content.decode()
    assert '<progress max="100" value="25"' in page and "fetching contacts" in page
    assert f'hx-get="/admin/sponsors/crmconnection/{connection.pk}/progress/"' in page
    CrmSyncRun.objects.update(status=CrmSyncRun.Status.SUCCEEDED, done=120)
    fragment = client.get(f"/admin/sponsors/crmconnection/{connection.pk}/progress/").content.decode()
    assert "hx-get" not in fragment and "Succeeded" in fragment       # done: the polling stops


def test_sync_now_runs_the_connection(client, cast, connection, hubspot, django_capture_on_commit_callbacks):
    from config.celery import app

    portfolio(hubspot)
    client.force_login(staff(cast, "admin"))
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/admin/sponsors/crmconnection/", {
                "action": "sync_now", "_selected_action": [connection.pk]}, follow=True)
    finally:
        app.conf.task_always_eager = False
    assert "Queued 1 sync(s)" in response.content.decode()
    run = CrmSyncRun.objects.get(connection=connection)
    assert (run.status, run.trigger) == (CrmSyncRun.Status.SUCCEEDED, "admin")


def test_only_admins_see_connections(client, cast, connection):
    client.force_login(staff(cast, "manager"))
    assert client.get("/admin/sponsors/crmconnection/").status_code == 403
    assert client.get(f"/admin/sponsors/crmconnection/{connection.pk}/progress/").status_code in (302, 403)
