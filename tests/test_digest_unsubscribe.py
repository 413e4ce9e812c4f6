"""One-click unsubscribe (RFC 8058) from the digest's List-Unsubscribe link, and each user's digest settings."""

from __future__ import annotations

import pytest

from accounts.models import User
from reports.digest_service import recipients, unsubscribe_token

from .digest_support import user

pytestmark = pytest.mark.django_db


def test_a_get_only_asks_and_the_one_click_post_unsubscribes(client):
    mia = user("mia@vendor.example", role="manager")
    link = f"/digest/unsubscribe/{unsubscribe_token(mia)}/"

    page = client.get(link)
    assert page.status_code == 200 and b"Stop sending the weekly digest to Mia?" in page.content
    assert list(recipients()) == [mia]                               # a link scanner's GET changes nothing

    done = client.post(link, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and b"will not receive the weekly digest any more" in done.content
    assert User.objects.get(pk=mia.pk).wants_digest is False and list(recipients()) == []


def test_a_forged_or_cut_token_is_refused(client):
    mia = user("mia@vendor.example", role="manager")
    token = unsubscribe_token(mia)
    other = user("olga@vendor.example", role="manager")
    # Olga's id with Mia's timestamp and signature
    forged = ":".join([unsubscribe_token(other).split(":")[0], *token.split(":")[1:]])
    assert forged != token

    assert client.post(f"/digest/unsubscribe/{forged}/").status_code == 404
    assert client.post(f"/digest/unsubscribe/{token[:-3]}/").status_code == 404
    assert User.objects.filter(wants_digest=False).count() == 0


def test_the_settings_page_sets_the_time_zone_and_the_choice(client):
    carl = user("carl@vendor.example")
    client.force_login(carl)
    assert b"You do not receive the weekly digest." in client.get("/settings/digest/").content

    bad = client.post("/settings/digest/", {"time_zone": "Mars/Olympus", "digest": "on"})
    assert bad.status_code == 400 and b"unknown time zone &#x27;Mars/Olympus&#x27;" in bad.content

    client.post("/settings/digest/", {"time_zone": "Pacific/Auckland", "digest": "on"})
    carl.refresh_from_db()
    assert (carl.time_zone, carl.wants_digest, carl.gets_digest) == ("Pacific/Auckland", True, True)
    assert list(recipients()) == [carl]
