"""Forgotten and changed passwords, in the app's own pages (Django's auth views with our templates): the login
page offers the reset, the e-mail carries a one-time link, the new password works and the old one no longer
does; a signed-in user changes theirs from their settings.  Nobody learns from the reset form whether an
address has an account."""

from __future__ import annotations

import re

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana():
    return User.objects.create_user(username="dana@vendor.example", email="dana@vendor.example",
                                    password="old-Pass-2026", first_name="Dana", last_name="Reyes", role=User.Role.CSM)


def logs_in(client, email, password) -> bool:
    client.logout()
    return client.post("/accounts/login/", {"username": email, "password": password}).status_code == 302


def test_a_forgotten_password_is_reset_through_a_one_time_link(client, dana, mailoutbox):
    login = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in login and "Forgot your password?" in login
    form = client.get("/accounts/password_reset/").content.decode()
    assert "Reset your password" in form and "Django site admin" not in form

    sent = client.post("/accounts/password_reset/", {"email": "DANA@vendor.example"}, follow=True)
    assert "Check your e-mail" in sent.content.decode() and "It works once, for 3 days." in sent.content.decode()
    [mail] = mailoutbox
    assert mail.to == ["dana@vendor.example"] and mail.subject == "Your Executive Sponsor Tracker password"
    assert mail.body.startswith("Hello Dana Reyes,") and "works once, for 3 days" in mail.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.body).group(1)

    choose = client.get(link, follow=True)
    assert "Choose a new password" in choose.content.decode()
    set_url = choose.redirect_chain[-1][0]
    mismatch = client.post(set_url, {"new_password1": "new-Pass-2027", "new_password2": "new-Pass-2028"})
    assert re.search(r'field-new_password2 has-error.*?didn.t match', mismatch.content.decode(), re.S)
    for weak, why in (("short", "too short"), ("password123", "too common"), ("dana@vendor", "too similar")):
        refused = client.post(set_url, {"new_password1": weak, "new_password2": weak}).content.decode()
        assert re.search(rf"field-new_password2 has-error.*?{why}", refused, re.S), weak
    done = client.post(set_url, {"new_password1": "new-Pass-2027", "new_password2": "new-Pass-2027"}, follow=True)
    assert "Your new password is set" in done.content.decode()

    assert logs_in(client, "dana@vendor.example", "new-Pass-2027")
    assert not logs_in(client, "dana@vendor.example", "old-Pass-2026")
    again = client.get(link, follow=True).content.decode()                # used once: the link has ended
    assert "This link no longer works" in again and 'href="/accounts/password_reset/"' in again


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, dana, mailoutbox):
    answer = client.post("/accounts/password_reset/", {"email": "nobody@vendor.example"}, follow=True)
    assert "Check your e-mail" in answer.content.decode() and mailoutbox == []
    bad = client.post("/accounts/password_reset/", {"email": "not an address"})
    assert re.search(r'field-email has-error.*?valid email', bad.content.decode(), re.S) and mailoutbox == []


def test_a_signed_in_user_changes_their_password_from_their_settings(client, dana):
    client.force_login(dana)
    assert 'href="/accounts/password_change/"' in client.get("/settings/digest/").content.decode()
    wrong = client.post("/accounts/password_change/", {"old_password": "guess", "new_password1": "new-Pass-2027",
                                                         "new_password2": "new-Pass-2027"})
    assert re.search(r"field-old_password has-error.*?incorrectly", wrong.content.decode(), re.S)
    done = client.post("/accounts/password_change/", {"old_password": "old-Pass-2026",
                                                        "new_password1": "new-Pass-2027",
                                                        "new_password2": "new-Pass-2027"}, follow=True)
    assert "Your password is changed" in done.content.decode()
    assert client.get("/settings/digest/").status_code == 200             # still logged in here
    assert logs_in(client, "dana@vendor.example", "new-Pass-2027")
    assert not logs_in(client, "dana@vendor.example", "old-Pass-2026")
