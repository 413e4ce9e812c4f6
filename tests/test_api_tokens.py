"""Personal API tokens: made on /settings/api-tokens/ (or `manage.py api_token`), shown once, stored as a
digest, last use recorded, revocable at once; the browser's session works with CSRF; each token is
throttled (429 with Retry-After); the first /api/ endpoints take tokens too."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
import time_machine
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client

from accounts.models import ApiToken
from accounts.tokens import token_create

from .api_support import NOW, bearer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    caches["api-throttle"].clear()
    yield
    caches["api-throttle"].clear()


def test_a_token_is_made_on_the_page_shown_once_and_kept_as_a_digest(cast, client):
    client.force_login(cast["csm"])
    page = client.post("/settings/api-tokens/", {"name": "  Slack   bot "})
    assert page.status_code == 201
    raw = re.search(r'value="(est_[A-Za-z0-9_-]{43})"', page.content.decode()).group(1)
    token = ApiToken.objects.get(user=cast["csm"])
    assert token.name == "Slack bot" and token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.values_list()) and token.prefix == raw[:12]
    again = client.get("/settings/api-tokens/").content.decode()
    assert raw not in again and f"{raw[:12]}…" in again and "never" in again
    assert Client().get("/api/v1/me/", **bearer(raw)).json()["email"] == "dana@vendor.example"


def test_last_use_is_recorded_and_a_revoked_token_stops_working(cast, client):
    token, raw = token_create(user=cast["csm"], name="BI")
    with time_machine.travel(NOW, tick=False):
        assert client.get("/api/v1/me/", **bearer(raw)).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == NOW
    client.force_login(cast["csm"])
    assert client.post(f"/settings/api-tokens/{token.pk}/revoke/").status_code == 302
    refused = Client().get("/api/v1/me/", **bearer(raw))
    assert refused.status_code == 401 and refused.json()["errors"][0]["code"] == "authentication_failed"
    other, _ = token_create(user=cast["teammate"], name="theirs")
    assert client.post(f"/settings/api-tokens/{other.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer est_" + "x" * 43, "Bearer a b", "Token ", "Bearer é"])
def test_a_bad_token_is_a_401_that_says_so(db, client, header):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_deactivated_users_token_stops_working(cast, client):
    _, raw = token_create(user=cast["csm"], name="BI")
    cast["csm"].is_active = False
    cast["csm"].save()
    assert client.get("/api/v1/me/", **bearer(raw)).status_code == 401


def test_each_token_is_throttled_with_retry_after(cast, client, settings):
    settings.API_RATE = "3/minute"
    _, first = token_create(user=cast["csm"], name="one")
    _, second = token_create(user=cast["csm"], name="two")
    with time_machine.travel(NOW, tick=False):
        assert [client.get("/api/v1/me/", **bearer(first)).status_code for _ in range(3)] == [200, 200, 200]
        throttled = client.get("/api/v1/me/", **bearer(first))
        assert client.get("/api/v1/me/", **bearer(second)).status_code == 200      # another token: its own count
    assert throttled.status_code == 429 and throttled["Retry-After"] == "60"
    assert throttled.json()["errors"][0]["code"] == "throttled"


def test_the_browser_session_works_and_its_writes_need_the_csrf_token(cast, world_light):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["admin"])
    assert browser.get("/api/v1/me/").json()["role"] == "admin"
    path = f"/api/v1/alerts/{world_light.pk}/acknowledge/"
    refused = browser.post(path, "{}", content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["errors"][0]["detail"]
    browser.get("/settings/api-tokens/")
    csrf = browser.cookies["csrftoken"].value
    done = browser.post(path, "{}", content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"


@pytest.fixture
def world_light(cast):
    from sponsors.models import Alert
    from tests.conftest import BASE_DOCUMENT

    from .guardrails_support import account, import_document

    import_document(BASE_DOCUMENT)
    return Alert.objects.create(account=account(), code="no_backup_sponsor", severity="medium", message="m")


def test_the_first_api_takes_tokens_too(cast, client, world_light):
    _, raw = token_create(user=cast["csm"], name="old script")
    assert client.get("/api/alerts/", **bearer(raw)).json()["count"] == 1
    assert client.get("/api/alerts/").status_code == 401


def test_the_command_creates_lists_and_revokes(cast):
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", "create", "--user", "DANA@vendor.example", "--name", "cron", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert re.fullmatch(r"est_[A-Za-z0-9_-]{43}", raw) and "not shown again" in err.getvalue()
    listed = io.StringIO()
    call_command("api_token", "list", "--user", "dana@vendor.example", stdout=listed)
    assert f"{raw[:12]}…  cron" in listed.getvalue() and "never used" in listed.getvalue()
    call_command("api_token", "revoke", "--user", "dana@vendor.example", f"{raw[:12]}…", stdout=io.StringIO())
    assert ApiToken.objects.get().revoked_at is not None
