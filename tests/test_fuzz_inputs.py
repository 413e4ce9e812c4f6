"""Fuzz: hostile values against every door — the web pages, every API endpoint, the job-change webhook
and the snapshot importer.  Extreme and malformed dates, huge and deep JSON, NUL and non-UTF-8 text,
overlong strings, NaN and huge numbers, unknown enums.  Whatever comes in: no 5xx, a clear message
that names the field or JSON path, and the database as it was.

Example counts are bounded (``EXAMPLES``, 40 per test) and derandomized so the suite adds well under a
minute and every run tries the same cases; ``FUZZ_EXAMPLES=500`` explores further with fresh random
cases.  Each example runs in a savepoint that is rolled back, so examples cannot see each other's writes."""

from __future__ import annotations

import copy
import io
import json
import os
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime
from urllib.parse import quote, quote_from_bytes

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account, AccountTeamMember, Goal, StrategicAlignment, User, ValueMetric
from sponsors.models import (
    Alert,
    Contact,
    Interaction,
    InteractionParticipant,
    OrgChange,
    OutboundEmail,
    PlannedTouchpoint,
    WebhookDelivery,
)
from sponsors.orgchanges.webhook import sign
from tests.conftest import BASE_DOCUMENT

from .guardrails_support import import_document

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])
SECRET = "s3cret-for-tests"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# --- hostile values ----------------------------------------------------------------------------------

EDGE_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01", "2200-12-31", "2201-01-01", "2026-02-30",
              "2026-13-01", "20261120", "2026-W47-5", "２０２６-11-20", "-001-01-01", "+20000-01-01",
              "2026-11-20T00:00", " 2026-11-20 ", "2026-11-20\x00", "", "NaN", "1e400", "0001-01-01T00:00:00+14:00"]
dates = st.one_of(st.sampled_from(EDGE_DATES), st.dates().map(date.isoformat), st.text(max_size=24))
texts = st.one_of(
    st.text(max_size=40), st.sampled_from(["\x00", "a\x00b", "javascript:alert(1)", "İ" * 300, "💥" * 200,
                                           "x" * 5000, "<script>alert(1)</script>", "\u202e\u200b"]))
numbers = st.one_of(st.integers(), st.sampled_from([10**20, -10**20, 2**40, 2**63, 10**400, 1e308, -1e308, 1e-320,
                                                    -1, 0, 0.5, 1.5]), st.floats(allow_nan=False,
                                                                                  allow_infinity=False))
enums = st.sampled_from(["platinum", "lunch", "sideways", "main", "CSM", "VP", "", "Primary", "departed ",
                         "job_offer", "resolved", "all"])
scalars = st.one_of(st.none(), st.booleans(), numbers, texts, dates, enums)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                           st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                           max_leaves=8)


def deep(n: int, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    return opener * n + closer * n


RAW_BODIES = [deep(100_000), deep(5_000), b'{"a": NaN}', b'{"a": Infinity}', b'{"a": 1e400}',
              b'{"a": "x\\u0000y"}', b'{"a\\u0000": 1}', b'{"a": "\\ud800"}', b"\xff\xfe\x00", b"", b"null",
              b"[]", b'"string"', b"{" * 3, b'{"a": 1,}', b'{"a": ' + b"9" * 5000 + b"}"]
raw_bodies = st.sampled_from(RAW_BODIES)
query_values = st.one_of(dates, texts, enums, st.binary(max_size=12).map(lambda b: ("raw", quote_from_bytes(b))))


def qs_value(value) -> str:
    """A query-string value: raw percent-encoded bytes (maybe not UTF-8) or text, encoded."""
    return value[1] if isinstance(value, tuple) else quote(value, safe="")


# --- what "unchanged" means ---------------------------------------------------------------------------

MODELS = (Account, User, AccountTeamMember, Goal, StrategicAlignment, ValueMetric, Contact, Interaction,
          InteractionParticipant, OrgChange, PlannedTouchpoint, Alert, OutboundEmail, WebhookDelivery)


def db_state():
    state = {model.__name__: model.objects.count() for model in MODELS}
    state["contacts"] = list(Contact.objects.order_by("pk").values_list("name", "title", "status", "sponsor", "roles"))
    state["alerts"] = list(Alert.objects.order_by("pk").values_list("status", "acknowledged_at"))
    state["org changes"] = list(OrgChange.objects.order_by("pk").values_list("state", "reviewed_at"))
    return state


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def world(cast, client):
    import_document(BASE_DOCUMENT)
    account = Account.objects.get()
    alert = Alert.objects.create(account=account, code="no_backup_sponsor", severity="medium", message="m")
    change = OrgChange.objects.get(external_id="oc_1")
    client.force_login(cast["csm"])           # dana@ is on the document account's team
    return {"client": client, "account": account, "alert": alert, "change": change,
            "contact": Contact.objects.get(external_id="c_1")}


def assert_no_5xx_and_named(response, field):
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code == 400:
        body = response.content.decode("utf-8", "replace")
        assert field in body, (field, body[:300])


# --- pages and read endpoints ---------------------------------------------------------------------------

def get_endpoints(world):
    pk = world["account"].pk
    report = f"/accounts/{pk}/report"
    return {
        "portfolio": ("/", ["q", "tier", "level", "as_of"]),
        "report page": (f"{report}/", ["as_of"]),
        **{f"report.{fmt}": (f"{report}.{fmt}", ["as_of"]) for fmt in ("md", "html", "json", "ics")},
        "api accounts": ("/api/accounts/", ["as_of"]),
        "api report": (f"/api/accounts/{pk}/report/", ["as_of"]),
        "api alerts": ("/api/alerts/", ["status"]),
        "api pending org changes": ("/api/org-changes/pending/", ["as_of"]),
    }


ENDPOINT_NAMES = ["portfolio", "report page", "report.md", "report.html", "report.json", "report.ics",
                  "api accounts", "api report", "api alerts", "api pending org changes"]


@FUZZ
@given(name=st.sampled_from(ENDPOINT_NAMES), params=st.dictionaries(st.sampled_from(["q", "tier", "level", "as_of",
                                                                                     "status"]),
                                                                    query_values, min_size=1, max_size=3))
def test_pages_and_read_endpoints_never_fail_on_hostile_parameters(world, name, params):
    url, fields = get_endpoints(world)[name]
    before = db_state()
    query = "&".join(f"{k}={qs_value(v)}" for k, v in params.items())
    response = world["client"].get(f"{url}?{query}")
    assert response.status_code < 500, (name, query, response.status_code)
    if response.status_code == 400:
        body = response.content.decode("utf-8", "replace")
        assert any(f in body for f in fields if f in params), (name, query, body[:300])
    assert db_state() == before


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2026-02-30", "x" * 5000, "%00", "%FF%FE"])
def test_the_pdf_download_refuses_hostile_dates_too(world, value):
    response = world["client"].get(f"/accounts/{world['account'].pk}/report.pdf?as_of={value}")
    assert response.status_code == 400 and b"as_of" in response.content


# --- write endpoints ----------------------------------------------------------------------------------

@st.composite
def touchpoint_bodies(draw):
    body = {"account": "ACCOUNT", "contacts": ["CONTACT"], "planned_on": "2026-12-01", "type": "one_on_one",
            "direction": "meeting", "purpose": "strategic", "objective": ""}
    for key in draw(st.lists(st.sampled_from(list(body)), min_size=1, max_size=3, unique=True)):
        body[key] = draw(st.one_of(json_values, dates if key == "planned_on" else enums,
                                   st.lists(numbers, max_size=3)))
    return body


def substitute(body, world):
    out = dict(body)
    if out.get("account") == "ACCOUNT":
        out["account"] = world["account"].pk
    if out.get("contacts") == ["CONTACT"]:
        out["contacts"] = [world["contact"].pk]
    return out


@FUZZ
@given(body=st.one_of(touchpoint_bodies(), raw_bodies))
def test_the_touchpoint_api_never_fails_on_hostile_bodies(world, body):
    raw = body if isinstance(body, bytes) else json.dumps(substitute(body, world)).encode()
    before = db_state()
    with rolled_back():
        response = world["client"].post("/api/touchpoints/", raw, content_type="application/json")
        assert response.status_code in (201, 400), (response.status_code, response.content[:300])
        if response.status_code == 400:
            errors = response.json()
            fields = set(errors) - {"detail"}
            assert fields <= {"account", "contacts", "planned_on", "type", "direction", "purpose", "objective",
                              "non_field_errors"}, errors
            assert fields or errors["detail"], errors
            assert db_state() == before
    assert db_state() == before


@FUZZ
@given(kind=st.sampled_from(["alert ack", "succession", "confirm", "dismiss", "page ack", "page confirm"]),
       pk=st.one_of(st.integers(min_value=0, max_value=10**40), st.just(None)), body=raw_bodies,
       as_of=query_values)
def test_action_endpoints_never_fail_on_hostile_ids_bodies_or_dates(world, kind, pk, body, as_of):
    a, c, acc = world["alert"].pk, world["change"].pk, world["account"].pk
    url = {
        "alert ack": f"/api/alerts/{pk or a}/acknowledge/", "succession": f"/api/alerts/{pk or a}/accept-succession/",
        "confirm": f"/api/org-changes/{pk or c}/confirm/", "dismiss": f"/api/org-changes/{pk or c}/dismiss/",
        "page ack": f"/accounts/{acc}/alerts/{pk or a}/acknowledge/",
        "page confirm": f"/accounts/{acc}/org-changes/{pk or c}/confirm/",
    }[kind]
    with rolled_back():
        if kind.startswith("page"):
            response = world["client"].post(url, f"as_of={qs_value(as_of)}",
                                            content_type="application/x-www-form-urlencoded")
        else:
            response = world["client"].post(url, body, content_type="application/json")
        assert response.status_code < 500, (url, response.status_code, response.content[:300])


# --- the webhook ----------------------------------------------------------------------------------------

GOOD_HOOK = {"id": "evt_1", "event": "job_change",
             "person": {"name": "Priya Natarajan", "email": "priya@northwind.example"},
             "previous": {"company": "Northwind Health", "title": "Chief Operating Officer"},
             "current": {"company": "Globex", "title": "CEO"}, "occurred_on": "2026-11-19", "confidence": 0.95}
HOOK_PATHS = [("id",), ("event",), ("person",), ("person", "name"), ("person", "email"), ("person", "linkedin_url"),
              ("previous",), ("previous", "company"), ("current", "title"), ("occurred_on",), ("confidence",),
              ("extra",)]


@st.composite
def hook_payloads(draw):
    body = copy.deepcopy(GOOD_HOOK)
    path = draw(st.sampled_from(HOOK_PATHS))
    target = body
    for key in path[:-1]:
        target = target.setdefault(key, {}) if isinstance(target.get(key), dict) else target.setdefault(key, {})
    target[path[-1]] = draw(st.one_of(json_values, dates, texts, numbers, enums))
    body["id"] = body["id"] if path == ("id",) else f"evt_{draw(st.integers(0, 10**6))}"
    return body


@FUZZ
@given(body=st.one_of(hook_payloads(), raw_bodies),
       signature=st.one_of(st.none(), texts), timestamp=st.one_of(st.none(), texts))
def test_the_webhook_never_fails_and_stores_only_what_it_accepts(world, body, signature, timestamp):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = str(int(NOW.timestamp())) if timestamp is None else timestamp
    headers = {"X-Timestamp": ts, "X-Signature": sign(SECRET, ts, raw) if signature is None else signature}
    headers = {k: v for k, v in headers.items() if v.isprintable() and "\n" not in v}
    with override_settings(EXEC_SPONSOR_WEBHOOK_SECRETS={"jobwatch": SECRET}), time_machine.travel(NOW, tick=False):
        with rolled_back():
            before = WebhookDelivery.objects.count()
            response = world["client"].generic("POST", "/webhooks/job-changes/jobwatch/", raw,
                                               content_type="application/json", headers=headers)
            assert response.status_code in (200, 202, 400, 401, 413), (response.status_code, response.content[:300])
            stored = WebhookDelivery.objects.count() - before
            if response.status_code == 202:
                assert stored == 1
            else:
                assert stored == 0
                assert response.json()["error"], response.content
            if response.status_code == 400 and signature is None and timestamp is None and isinstance(body, dict):
                error = response.json()["error"]
                assert re.match(r"^([a-z_]+(\.[a-z_]+)*|the body)", error), error   # names the path


# --- the snapshot importer ----------------------------------------------------------------------------

def leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaf_paths(child, (*path, key))
    elif isinstance(value, list) and value:
        for i, child in enumerate(value):
            yield from leaf_paths(child, (*path, i))
    else:
        yield path


LEAVES = [p for p in leaf_paths(BASE_DOCUMENT) if p and p[0] == "accounts"]
REFERENCES = {"id", "contact_ids", "contact_id"}
PROBLEM_PATH = re.compile(r"^((?:accounts|format|exported_at)[\w\[\].]*): ")


def json_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@st.composite
def hostile_documents(draw):
    doc = copy.deepcopy(BASE_DOCUMENT)
    path = draw(st.sampled_from(LEAVES))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = draw(st.one_of(json_values, dates, texts, numbers, enums,
                                      st.just(json.loads(deep(40).decode()))))
    return doc, path


def run_import(path):
    err = io.StringIO()
    try:
        call_command("import_snapshot", path, "--no-progress", stdout=io.StringIO(), stderr=err)
    except CommandError:
        return [line.strip() for line in err.getvalue().splitlines()[1:]]
    return None


@FUZZ
@given(case=st.one_of(hostile_documents(), raw_bodies))
def test_the_importer_lists_problems_by_path_and_writes_nothing(world, tmp_path_factory, case):
    path = tmp_path_factory.mktemp("fuzz") / "snapshot.json"
    if isinstance(case, bytes):
        path.write_bytes(case)
        mutated = None
    else:
        doc, mutated = case
        path.write_text(json.dumps(doc))                     # allow_nan: NaN/Infinity reach the decoder
    before = db_state()
    with rolled_back():
        problems = run_import(str(path))
        if problems is None:                                 # an acceptable value: imported
            assert mutated is not None
            return
        assert problems and db_state() == before
        where = [m.group(1) if (m := PROBLEM_PATH.match(p)) else "" for p in problems]
        if mutated is not None and not REFERENCES & set(map(str, mutated)) and all(where):
            target = json_path(mutated)
            assert any(target.startswith(w) or w.startswith(target) for w in where), (target, problems)
    assert db_state() == before
