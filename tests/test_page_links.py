"""The sort and pager links the pages print lead where they say, followed as a browser follows them: the
``href`` as written, resolved against the page's own URL (the portfolio's column headers and pager, the alerts
inbox's pager, the workspace timeline's pager)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import pytest

from accounts.models import Account
from sponsors.models import Alert, Interaction
from tests.test_portfolio_page import build, names

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]


def follow(client, url, response, label):
    """GET the link whose text starts with ``label`` on ``response`` (the page at ``url``), as a browser would."""
    page = response.content.decode()
    found = re.search(r'<a href="([^"]*)"[^>]*>\s*' + re.escape(label), page)
    assert found, f"no link {label!r} on {url}"
    target = urljoin("http://testserver" + url, html.unescape(found.group(1)))
    assert "??" not in target and "%3F" not in target, target
    followed = client.get(target.removeprefix("http://testserver"))
    assert followed.status_code == 200, target
    return target.removeprefix("http://testserver"), followed


def test_the_portfolio_column_headers_sort_and_its_pager_pages(cast, client):
    build(30, cast)
    client.force_login(cast["admin"])
    # ARR grows with the account's number: one click sorts by it one way, the next click the other way
    first_url, by_arr = follow(client, "/", client.get("/"), "ARR")
    second_url, flipped = follow(client, first_url, by_arr, "ARR")
    assert {names(by_arr)[0], names(flipped)[0]} == {"Acct 0000", "Acct 0029"}
    url, by_arr_descending = (first_url, by_arr) if names(by_arr)[0] == "Acct 0029" else (second_url, flipped)
    url, second = follow(client, url, by_arr_descending, "Next")
    assert names(second) == ["Acct 0004", "Acct 0003", "Acct 0002", "Acct 0001", "Acct 0000"]
    _, first = follow(client, url, second, "← Previous")
    assert names(first)[:2] == ["Acct 0029", "Acct 0028"]


def test_the_inbox_pager_pages(cast, client):
    account = Account.objects.create(source="t", external_id="a1", name="Northwind", tier="enterprise")
    Alert.objects.bulk_create([Alert(account=account, code="single_threaded", severity="low", message=f"alert {i}",
                                     subject=str(i)) for i in range(30)])
    client.force_login(cast["admin"])
    first = client.get("/alerts/")
    url, second = follow(client, "/alerts/", first, "Next")
    assert "page=2" in url
    shown = set(re.findall(r"/alerts/(\d+)/", first.content.decode()))
    again = set(re.findall(r"/alerts/(\d+)/", second.content.decode()))
    assert shown and again and not shown & again


def test_the_workspace_timeline_pager_pages(cast, client):
    account = Account.objects.create(source="t", external_id="a1", name="Northwind", tier="enterprise")
    start = datetime(2026, 11, 1, 9, tzinfo=UTC)
    Interaction.objects.bulk_create([Interaction(account=account, type="call", direction="outbound",
                                                 occurred_at=start + timedelta(hours=i), outcome=f"call number {i}")
                                     for i in range(15)])
    client.force_login(cast["admin"])
    path = f"/accounts/{account.pk}/"
    first = client.get(path)
    assert "call number 14" in first.content.decode() and "call number 0" not in first.content.decode()
    _, older = follow(client, path, first, "Older")
    assert "call number 0" in older.content.decode() and "call number 14" not in older.content.decode()
