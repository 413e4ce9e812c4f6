"""Styled error pages: a person who follows a bad link or lacks a role gets our page, not Django's."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_page_that_does_not_exist_is_our_styled_404(cast, client):
    client.force_login(cast["csm"])
    response = client.get("/accounts/999999/report/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html and 'class="topbar"' in html and "Back to the portfolio" in html


def test_a_refused_role_is_our_styled_403_with_the_reason(cast, document, client):
    from sponsors.models import Contact

    from .guardrails_support import account, import_document

    import_document(document)
    client.force_login(cast["csm"])
    marcus = Contact.objects.get(external_id="c_2")
    response = client.post(f"/accounts/{account().pk}/contacts/{marcus.pk}/sponsor/", {"role": "none"})
    assert response.status_code == 403
    assert "Only admins change sponsor roles." in response.content.decode()


def test_a_server_error_is_our_styled_500_and_says_nothing_was_changed(cast, settings):
    from django.urls import path

    from config import urls

    def boom(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type("Urls", (), {"urlpatterns": [path("boom/", boom), *urls.urlpatterns]})
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "nothing was changed by this request" in response.content.decode()


def test_the_browsers_favicon_request_gets_the_apps_icon_not_a_404(client):
    """Pages that name no icon (the admin's, the API docs, a digest preview) make browsers ask /favicon.ico."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/img/favicon.svg"
    assert client.get(response["Location"]).status_code == 200
