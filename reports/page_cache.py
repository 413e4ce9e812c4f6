"""Rendered pages kept while the data is unchanged: a repeat view of the portfolio, an account's workspace
or the alerts inbox is sent again without querying or rendering, and is never stale.

What proves nothing changed is in PostgreSQL itself, so no write path can forget to say so:

* every table (but the sessions, the migrations and the workers' heartbeat, which no page shows) carries a
  statement-level trigger that advances the sequence ``page_data_version`` — an INSERT, UPDATE, DELETE,
  TRUNCATE or COPY from a page, the API, the admin, a CRM sync, an import or a raw SQL repair alike.  The
  triggers are put on every table after each ``migrate`` (``track_every_table``, on ``post_migrate``), so a
  new model's table is covered without anyone remembering to;
* a write is seen before its transaction commits, so the state also lists the transactions of this database
  that are still in progress (``pg_stat_activity.backend_xid``): when one ends, the state changes.

A page is kept with the state read before rendering it and sent again only while the state is that one still:
a write that lands while the page renders changes the state, so a render that may have seen part of it is
never sent again.
The key holds everything else the HTML depends on: the user, the full path with its query, the local date and
time zone (and the minute, for a page whose form defaults to "now"), and the CSRF secret whose tokens the
forms carry (a request without the CSRF cookie is never served from here, so a token always matches the
cookie the browser holds).  HTMX fragments, pages carrying one-time messages, SQLite, and requests inside a
transaction (the test suite's) are always rendered.

Each process keeps its own pages (a local-memory cache, ``CACHES["pages"]``): a new deployment starts empty,
so a page rendered by old templates is never sent by new code.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

CACHE = "pages"
SEQUENCE = "page_data_version"
TRIGGER = "page_data_changed"
UNTRACKED = ("django_session", "django_migrations", "sponsors_heartbeat")     # no page shows them
# pg_stat_activity's own function, without the view's joins to pg_database and pg_authid (the same rows: ~0.2 ms
# instead of ~0.8 ms, on every page view, kept or not).
STATE_SQL = (f"SELECT last_value, ARRAY(SELECT a.backend_xid::text FROM pg_stat_get_activity(NULL) a "
             f"WHERE a.datid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
             f"AND a.backend_xid IS NOT NULL ORDER BY 1) FROM {SEQUENCE}")
UNTRACKED_TABLES_SQL = f"""
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> ALL(%s)
      AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = '{TRIGGER}')"""
FUNCTION_SQL = f"""
    CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM nextval('{SEQUENCE}'); RETURN NULL; END $$"""


def track_every_table(db) -> list[str]:
    """Put the data-version trigger on every table lacking it (PostgreSQL); the tables it was put on."""
    if db.vendor != "postgresql":
        return []
    with db.cursor() as cursor:
        cursor.execute(f"SELECT to_regclass('{SEQUENCE}') IS NOT NULL")
        ready = cursor.fetchone()[0]
        cursor.execute(UNTRACKED_TABLES_SQL, [list(UNTRACKED)])
        tables = [row[0] for row in cursor.fetchall()]
        if not ready:
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
        if tables or not ready:
            cursor.execute(FUNCTION_SQL)
        for table in tables:
            cursor.execute(f'CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()")
    return tables


def database_state() -> str | None:
    """The data's version and this database's transactions in progress, or None where nothing can be
    proven (SQLite, inside a transaction, the triggers not installed yet)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(STATE_SQL)
            version, in_progress = cursor.fetchone()
    except DatabaseError:           # no sequence: this database was not migrated by this code yet
        return None
    return f"{version}:{','.join(in_progress)}"


def page_key(request, *, per_minute: bool) -> str | None:
    """What the HTML depends on besides the data, or None when the request must be rendered."""
    if request.method != "GET" or getattr(request, "htmx", False) or not request.user.is_authenticated:
        return None
    secret = request.META.get("CSRF_COOKIE")
    if not secret or request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or len(get_messages(request)):
        return None
    now = timezone.localtime()
    parts = (str(request.user.pk), secret, request.get_full_path(), timezone.get_current_timezone_name(),
             now.strftime("%Y-%m-%dT%H:%M" if per_minute else "%Y-%m-%d"))
    return "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _response(headers, content) -> HttpResponse:
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    return response


def kept_while_unchanged(view=None, *, per_minute: bool = False):
    """Decorate a page view (after ``login_required``): its 200 answers are kept per user and URL and sent
    again while the data's state (``database_state``) is the one read before they were rendered."""
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            key = page_key(request, per_minute=per_minute)
            state = database_state() if key else None
            if state is None:
                return view(request, *args, **kwargs)
            cache = caches[CACHE]
            kept = cache.get(key)
            if kept is not None and kept[0] == state:
                get_token(request)                  # as the render's {% csrf_token %} does: the cookie is refreshed
                return _response(kept[1], kept[2])
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming and not response.cookies:
                cache.set(key, (state, list(response.items()), response.content), settings.PAGE_CACHE_SECONDS)
            return response
        return wrapper
    return decorate(view) if view is not None else decorate
