"""The Slack channel admin: the webhook URL goes in once, is stored encrypted and never shown again;
admins see every team's channel, a manager only their own teams'."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Permission

from accounts.models import Team, User
from sponsors.models import SlackChannel

pytestmark = pytest.mark.django_db
URL = "https://hooks.slack.com/services/T000/B000/abcdefSECRET"


@pytest.fixture(autouse=True)
def key(settings):
    settings.EXEC_SPONSOR_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]


def staff(cast, name):
    person = cast[name]
    User.objects.filter(pk=person.pk).update(is_staff=True, is_superuser=name == "admin")
    person.refresh_from_db()
    return person


def test_an_admin_adds_a_channel_and_the_url_is_only_stored_encrypted(client, cast):
    client.force_login(staff(cast, "admin"))
    east = Team.objects.get(name="East")

    refused = client.post("/admin/sponsors/slackchannel/add/", {"team": east.pk, "webhook_url": "javascript:x()",
                                                                "enabled": "on"})
    assert refused.status_code == 200 and b"Enter the webhook&#x27;s absolute https:// URL." in refused.content
    client.post("/admin/sponsors/slackchannel/add/", {"team": east.pk, "webhook_url": URL, "enabled": "on"})

    channel = SlackChannel.objects.get()
    assert channel.webhook_url == URL and URL not in channel.webhook_url_encrypted
    page = client.get(f"/admin/sponsors/slackchannel/{channel.pk}/change/")
    assert b"SECRET" in page.content and URL.encode() not in page.content      # the hint, not the URL


def test_without_an_encryption_key_the_form_says_so_on_the_url_and_stores_nothing(client, cast, settings):
    settings.EXEC_SPONSOR_ENCRYPTION_KEYS = []
    client.force_login(staff(cast, "admin"))
    east = Team.objects.get(name="East")
    refused = client.post("/admin/sponsors/slackchannel/add/", {"team": east.pk, "webhook_url": URL, "enabled": "on"})
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert "EXEC_SPONSOR_ENCRYPTION_KEYS is not set" in " ".join(errors["webhook_url"])
    assert not SlackChannel.objects.exists()


def test_a_manager_sees_only_the_channels_of_the_teams_they_manage(client, cast):
    west = Team.objects.create(name="West")
    for team in (Team.objects.get(name="East"), west):
        channel = SlackChannel(team=team)
        channel.set_webhook_url(f"{URL}{team.pk}")
        channel.save()
    manager = staff(cast, "manager")
    manager.user_permissions.add(*Permission.objects.filter(codename__endswith="slackchannel"))
    client.force_login(manager)

    listing = client.get("/admin/sponsors/slackchannel/").content.decode()
    assert ">East<" in listing and ">West<" not in listing
