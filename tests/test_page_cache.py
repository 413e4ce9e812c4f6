"""Kept pages (reports/page_cache.py): a repeat view of the portfolio, a workspace or the inbox is sent without
querying or rendering while PostgreSQL's snapshot is unchanged, and never once anything was written — by any
path, a raw SQL UPDATE included — nor across users, minutes (the workspace), HTMX fragments or one-time
messages.  Transactional tests: inside the suite's usual transaction nothing is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
import time_machine
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from accounts.vocabulary import TIERS
from reports.page_cache import kept_while_unchanged
from sponsors.models import Alert, Contact, ScoreSnapshot
from sponsors.services.current_scores import refresh_current_scores

pytestmark = pytest.mark.django_db(transaction=True)
NOON = datetime(2026, 11, 20, 12, tzinfo=UTC)
KEPT_QUERIES = 3          # the session, the user, the snapshot: what a kept page costs


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def book(cast, clock):
    """Two accounts: one on dana's book, one nobody on her team owns."""
    mine = Account.objects.create(source="t", external_id="a1", name="Acme Corp", tier=TIERS[0],
                                  arr=Decimal(250_000), currency="USD", owner=cast["csm"])
    other = Account.objects.create(source="t", external_id="a2", name="Globex Hidden", tier=TIERS[1],
                                   arr=Decimal(90_000), currency="USD", owner=cast["outsider"])
    for account in (mine, other):
        Contact.objects.create(account=account, name=f"Chief Executive {account.external_id}", roles=["ceo"],
                               is_executive=True, sponsor="primary")
        ScoreSnapshot.objects.create(account=account, as_of=NOON.date(), score=42, level="Passive", risk="Medium",
                                     breakdown={})
        Alert.objects.create(account=account, code="single_threaded", severity="high", message="m")
    refresh_current_scores(account_ids=[mine.pk, other.pk], as_of=NOON.date())
    return {"mine": mine, "other": other}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get("/ping/").status_code == 200
    client.get("/")                                   # the first page hands out the CSRF cookie, as in a browser
    assert "csrftoken" in client.cookies
    return client


def queries_of(client, path, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["/", "/accounts/{mine}/", "/alerts/"])
def test_a_repeat_view_is_sent_as_kept_and_a_raw_sql_write_renders_it_afresh(cast, book, page):
    path = page.format(mine=book["mine"].pk)
    client = signed_in(cast["csm"])
    first, rendered = queries_of(client, path)
    again, kept = queries_of(client, path)
    assert rendered > KEPT_QUERIES and kept == KEPT_QUERIES
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    assert b"Acme Corp" in first.content

    with connection.cursor() as cursor:               # a write no model signal sees (as a COPY or a repair)
        cursor.execute("UPDATE accounts_account SET name = 'Acme Renamed' WHERE id = %s", [book["mine"].pk])
    fresh, queries = queries_of(client, path)
    assert queries > KEPT_QUERIES
    assert b"Acme Renamed" in fresh.content and b"Acme Corp" not in fresh.content


def test_each_user_gets_their_own_page(cast, book):
    admin = signed_in(cast["admin"])
    csm = signed_in(cast["csm"])
    assert b"Globex Hidden" in queries_of(admin, "/")[0].content
    assert b"Globex Hidden" in queries_of(admin, "/")[0].content
    page, _ = queries_of(csm, "/")
    assert b"Acme Corp" in page.content and b"Globex Hidden" not in page.content


def test_the_query_string_is_part_of_the_page(cast, book):
    client = signed_in(cast["admin"])
    queries_of(client, "/?q=Acme")
    queries_of(client, "/?q=Acme")
    page, queries = queries_of(client, "/?q=Globex")
    assert queries > KEPT_QUERIES
    assert b"Globex Hidden" in page.content and b"Acme Corp" not in page.content


def test_the_workspace_is_rendered_again_the_next_minute_for_its_log_forms_now(cast, book, clock):
    client = signed_in(cast["csm"])
    path = f"/accounts/{book['mine'].pk}/"
    queries_of(client, path)
    first, kept = queries_of(client, path)
    assert kept == KEPT_QUERIES and b'value="2026-11-20T12:00"' in first.content
    clock.shift(timedelta(minutes=1))
    later, queries = queries_of(client, path)
    assert queries > KEPT_QUERIES and b'value="2026-11-20T12:01"' in later.content


def test_htmx_fragments_and_pages_without_the_csrf_cookie_are_always_rendered(cast, book):
    client = signed_in(cast["csm"])
    queries_of(client, "/")
    fragment, queries = queries_of(client, "/", HTTP_HX_REQUEST="true")
    assert queries > KEPT_QUERIES and b"<html" not in fragment.content
    cookieless = Client()
    cookieless.force_login(cast["csm"])
    for _ in range(2):
        _, queries = queries_of(cookieless, "/alerts/")
        assert queries > KEPT_QUERIES
        del cookieless.cookies["csrftoken"]


def test_a_one_time_message_is_shown_once_and_not_kept(cast, book):
    client = signed_in(cast["csm"])
    queries_of(client, "/alerts/")
    queries_of(client, "/alerts/")                     # kept now
    cookie = CookieStorage(RequestFactory().get("/"))      # where a redirect's message waits: no database write
    client.cookies[cookie.cookie_name] = cookie._encode([Message(messages.SUCCESS, "Alert resolved.")])
    shown, queries = queries_of(client, "/alerts/")
    assert queries > KEPT_QUERIES and b"Alert resolved." in shown.content
    after, _ = queries_of(client, "/alerts/")
    assert b"Alert resolved." not in after.content


def test_a_page_during_whose_render_another_transaction_commits_is_not_kept(cast):
    renders = []

    def page(request, *, write_meanwhile):
        renders.append(request.path)
        if write_meanwhile:
            with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
                other.execute("UPDATE accounts_team SET name = name")     # any committed write
        return HttpResponse("<p>page</p>")

    def request_for(path):
        request = RequestFactory().get(path)
        request.user, request.META["CSRF_COOKIE"] = cast["csm"], "s" * 32
        return request

    view = kept_while_unchanged(page)
    view(request_for("/racy/"), write_meanwhile=True)
    view(request_for("/racy/"), write_meanwhile=False)
    assert renders == ["/racy/", "/racy/"]            # the racy render was not sent again
    view(request_for("/racy/"), write_meanwhile=False)
    assert renders == ["/racy/", "/racy/"]            # the clean one was


def test_a_write_still_in_progress_while_a_page_is_kept_shows_once_it_commits(cast, book):
    client = signed_in(cast["csm"])
    path = f"/accounts/{book['mine'].pk}/"
    with psycopg.connect(**connection.get_connection_params()) as other:      # a transaction left open
        other.execute("UPDATE accounts_account SET name = 'Acme Committed Later' WHERE id = %s", [book["mine"].pk])
        queries_of(client, path)
        during, queries = queries_of(client, path)
        assert queries == KEPT_QUERIES and b"Acme Corp" in during.content
        other.commit()
    after, queries = queries_of(client, path)
    assert queries > KEPT_QUERIES and b"Acme Committed Later" in after.content


def test_every_table_a_page_may_show_carries_the_trigger_and_a_new_table_gets_it_at_migrate(db):
    from django.core.management import call_command

    from reports.page_cache import TRIGGER, UNTRACKED, track_every_table

    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND "
                       "t.tgname = %s) FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                       "AND c.relkind = 'r'", [TRIGGER])
        tracked = dict(cursor.fetchall())
        assert {name for name, has in tracked.items() if not has} == set(UNTRACKED)
        assert {"accounts_account", "sponsors_interaction", "sponsors_currentscore"} <= set(tracked)
        cursor.execute("CREATE TABLE page_cache_probe (id int)")
    try:
        call_command("migrate", verbosity=0)
        assert track_every_table(connection) == []          # migrate put it there already
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_value FROM page_data_version")
            before = cursor.fetchone()[0]
            with cursor.copy("COPY page_cache_probe (id) FROM STDIN") as copy:
                copy.write_row([1])
            cursor.execute("SELECT last_value FROM page_data_version")
            assert cursor.fetchone()[0] > before
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE page_cache_probe")
