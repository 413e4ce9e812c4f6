"""Each user's settings page (``/settings/digest/``), reached from their name in the navigation bar, and the
preview of their latest digest, of the last send day (``/settings/digest/preview/``): the e-mail as it reads,
of the accounts they may see, computed and never stored or sent.  The hand-built portfolio of
``tests/digest_support.py`` and its eventful week; "now" is Monday 2026-11-23 09:00 UTC."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine

from reports.metric_history import store_all_scopes
from sponsors.models import OutboundEmail, PortfolioMetricSnapshot
from sponsors.services.alerts import evaluate_accounts

from .digest_support import MONDAY, at, build_portfolio, eventful_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def week():
    cast = build_portfolio()
    cast.update(eventful_week(cast))
    with time_machine.travel(at(date(2026, 11, 18), 9), tick=False):
        evaluate_accounts(as_of=date(2026, 11, 18))
    store_all_scopes(as_of=date(2026, 11, 15))          # the weekly job of the Sunday before
    with time_machine.travel(at(MONDAY, 9), tick=False):
        yield cast


def test_every_page_links_the_signed_in_users_name_to_their_settings(week, client):
    client.force_login(week["mia"])
    home = client.get("/").content.decode()
    assert re.search(r'<a class="who" href="/settings/digest/"[^>]*>Mia</a>', home)
    page = client.get("/settings/digest/").content.decode()
    assert re.search(r'<a class="who" href="/settings/digest/"[^>]*aria-current="page"', page)
    assert 'href="/settings/digest/preview/"' in page and "(of Monday 2026-11-23, as the e-mail reads)" in page
    assert 'href="/calendar/#subscription"' in page
    # the time zone is typed with the list of IANA names to pick from
    assert 'list="time-zones"' in page and '<option value="Pacific/Auckland">' in page


def test_a_bad_time_zone_is_refused_beside_its_field_and_nothing_changes(week, client):
    mia = week["mia"]
    client.force_login(mia)
    bad = client.post("/settings/digest/", {"time_zone": "Mars/Olympus", "digest": "off"})
    html = bad.content.decode()
    assert bad.status_code == 400
    assert re.search(r'class="field field-time_zone has-error".*?unknown time zone &#x27;Mars/Olympus&#x27;', html,
                     re.S)
    mia.refresh_from_db()
    assert (mia.time_zone, mia.wants_digest) == ("", None)


def test_the_preview_is_the_users_latest_digest_computed_and_neither_stored_nor_sent(week, client):
    before = OutboundEmail.objects.count(), PortfolioMetricSnapshot.objects.count()     # the week's alert e-mails
    client.force_login(week["mia"])                    # Mia manages team North: Alpha, Beta and Epsilon
    response = client.get("/settings/digest/preview/")
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith("<!doctype html>")
    assert "2026-11-16 to 2026-11-22" in html          # the week the digest of today, Monday, covers
    assert "no change data" not in html                # each metric's change against the Sunday before
    assert "Departures and escalations (1)" in html and "Blair Two" in html     # Alpha's backup left on 11-18
    assert "Crossed into High or Critical risk" in html and ">Beta</a>" in html
    assert ">Gamma</a>" not in html                    # Olive's account: not Mia's
    assert (OutboundEmail.objects.count(), PortfolioMetricSnapshot.objects.count()) == before

    # the e-mail's inline styles are allowed on this page only; no script, no form, no framing
    policy = response["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    assert "form-action 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
    assert "'unsafe-inline'" not in client.get("/settings/digest/")["Content-Security-Policy"]

    client.force_login(week["olive"])                  # a CSM with Gamma only
    olive = client.get("/settings/digest/preview/").content.decode()
    assert ">Gamma</a>" in olive and ">Beta</a>" not in olive and "Blair Two" not in olive


def test_the_preview_needs_a_signed_in_user_and_a_get(week, client):
    assert client.get("/settings/digest/preview/").status_code == 302
    client.force_login(week["mia"])
    assert client.post("/settings/digest/preview/").status_code == 405


def test_the_latest_digest_is_the_one_of_the_users_own_day(week, client):
    """09:00 UTC on Monday is still Sunday in Honolulu: Mia's latest digest there went out a week ago."""
    week["mia"].time_zone = "Pacific/Honolulu"
    week["mia"].save()
    client.force_login(week["mia"])
    assert "(of Monday 2026-11-16, as the e-mail reads)" in client.get("/settings/digest/").content.decode()
    assert "2026-11-09 to 2026-11-15" in client.get("/settings/digest/preview/").content.decode()
