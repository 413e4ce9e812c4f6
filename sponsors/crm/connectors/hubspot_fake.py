"""A HubSpot-shaped server for the tests and ``bench_sync``: the documented request and response shapes of
the v3 owners, objects (``archived=true``) and search endpoints and the v4 associations batch read, with
bearer-token checks (401 ``EXPIRED_AUTHENTICATION``), the search endpoint's 10,000-result limit (400), its
``limit`` of at most 200, paging with ``after``, and scripted failures (429 with ``Retry-After``, 5xx).

``FakeHubSpot.handle(method, path, query, body, headers)`` → ``(status, headers, body)`` is served by
pytest-httpserver in the tests (``respond``) and by a stdlib HTTP server in a child process for the benchmark
(``serve_generated``).  Never used by the product itself."""

from __future__ import annotations

import bisect
import re
import threading
from collections import defaultdict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

OBJECT_TYPES = ("companies", "contacts", "meetings", "calls", "emails", "notes")
MODIFIED = {"contacts": "lastmodifieddate"}
SEARCH_LIMIT = 10_000
_SEARCH = re.compile(r"^/crm/v3/objects/(\w+)/search$")
_LIST = re.compile(r"^/crm/v3/objects/(\w+)$")
_ASSOC = re.compile(r"^/crm/v4/associations/(\w+)/(\w+)/batch/read$")


def error(status, message, category, **extra):
    return status, {}, {"status": "error", "message": message, "category": category,
                        "correlationId": "00000000-0000-0000-0000-000000000000", **extra}


class FakeHubSpot:
    """In-memory records (``add``, ``associate``, ``archive``); ``failures`` answers the next requests."""

    def __init__(self, *, token="pat-na1-test", search_limit=SEARCH_LIMIT):
        self.token, self.search_limit, self.expired = token, search_limit, False
        self.records = {t: {} for t in OBJECTS_WITH_OWNERS}
        self.archived = {t: {} for t in OBJECT_TYPES}
        self.links = defaultdict(lambda: defaultdict(list))    # (from, to) -> from id -> [(to id, types)]
        self.failures: list = []            # (status, headers, body) served before anything else
        self.log: list = []                 # (method, path, body) of every request
        # Stall the n-th request to a path (``stall = (path, n)``): ``stalled`` is set, the answer waits for
        # ``release`` (the worker-killed test kills the client meanwhile).
        self.stall, self.stalled, self.release = None, threading.Event(), threading.Event()
        self._index = {}

    # --- data ------------------------------------------------------------------------------------------

    def add(self, object_type, rid, modified_ms, **properties):
        prop = MODIFIED.get(object_type, "hs_lastmodifieddate")
        self.records[object_type][str(rid)] = {
            "id": str(rid), "properties": {**{k: None if v is None else str(v) for k, v in properties.items()},
                                            "hs_object_id": str(rid), prop: str(modified_ms)},
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": _iso(modified_ms), "archived": False}
        self.archived[object_type].pop(str(rid), None)
        self._index.pop(object_type, None)

    def owner(self, rid, email, first="", last=""):
        self.records["owners"][str(rid)] = {"id": str(rid), "email": email, "firstName": first, "lastName": last,
                                            "userId": int(rid), "archived": False}

    def archive(self, object_type, rid, archived_ms):
        record = self.records[object_type].pop(str(rid))
        self.archived[object_type][str(rid)] = {**record, "archived": True, "archivedAt": _iso(archived_ms)}
        self._index.pop(object_type, None)

    def associate(self, from_type, from_id, to_type, to_id, *labels):
        types = [{"category": "HUBSPOT_DEFINED", "typeId": 1, "label": None}]
        types += [{"category": "USER_DEFINED", "typeId": 100 + i, "label": label} for i, label in enumerate(labels)]
        self.links[(from_type, to_type)][str(from_id)].append((str(to_id), types))
        self.links[(to_type, from_type)][str(to_id)].append((str(from_id), types))

    def index(self, object_type):
        if object_type not in self._index:
            prop = MODIFIED.get(object_type, "hs_lastmodifieddate")
            self._index[object_type] = sorted((int(r["properties"][prop]), int(r["id"]))
                                              for r in self.records[object_type].values())
        return self._index[object_type]

    def record(self, object_type, rid):
        return self.records[object_type][str(rid)]

    def associations(self, from_type, to_type, rid):
        return self.links[(from_type, to_type)].get(str(rid), [])

    # --- the API ---------------------------------------------------------------------------------------

    def handle(self, method, path, query, body, headers):
        self.log.append((method, path, body))
        if self.stall and path == self.stall[0] and sum(p == path for _m, p, _b in self.log) == self.stall[1]:
            self.stalled.set()
            self.release.wait(timeout=120)
        if self.failures:
            return self.failures.pop(0)
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        if auth != f"Bearer {self.token}":
            return error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION")
        if self.expired:
            return error(401, "The OAuth token used to make this call expired 2 hour(s) ago.",
                         "EXPIRED_AUTHENTICATION")
        if method == "GET" and path == "/crm/v3/owners":
            return self._paged(sorted(self.records["owners"].values(), key=lambda o: int(o["id"])), query)
        if (m := _SEARCH.match(path)) and method == "POST":
            return self.search(m[1], body or {})
        if (m := _LIST.match(path)) and method == "GET" and query.get("archived") == "true":
            return self._paged(sorted(self.archived[m[1]].values(), key=lambda r: int(r["id"])), query)
        if (m := _ASSOC.match(path)) and method == "POST":
            return self.batch_read(m[1], m[2], body or {})
        return error(404, f"Unknown path {path}", "OBJECT_NOT_FOUND")

    def _paged(self, rows, query):
        start, limit = int(query.get("after") or 0), min(int(query.get("limit") or 10), 500)
        page = {"results": rows[start:start + limit]}
        if start + limit < len(rows):
            page["paging"] = {"next": {"after": str(start + limit), "link": "?after=" + str(start + limit)}}
        return 200, {}, page

    # Long by design: the search endpoint's filter, sort and paging rules in one place.
    def search(self, object_type, body):
        limit, after = int(body.get("limit", 10)), int(body.get("after") or 0)
        if limit > 200:
            return error(400, "limit must be at most 200", "VALIDATION_ERROR")
        if after + limit > self.search_limit:
            return error(400, f"paging through more than {self.search_limit} results is not supported",
                         "VALIDATION_ERROR")
        prop = MODIFIED.get(object_type, "hs_lastmodifieddate")
        low, high, id_after = 0, None, None
        for f in (body.get("filterGroups") or [{}])[0].get("filters", []):
            value = int(f["value"])
            if f["propertyName"] == prop:
                low = {"GTE": value, "GT": value + 1, "EQ": value}[f["operator"]]
                high = value if f["operator"] == "EQ" else None
            elif f["propertyName"] == "hs_object_id" and f["operator"] == "GT":
                id_after = value
            else:
                return error(400, f"unsupported filter {f}", "VALIDATION_ERROR")
        index = self.index(object_type)
        lo = bisect.bisect_left(index, (low, -1))
        hi = len(index) if high is None else bisect.bisect_right(index, (high, float("inf")))
        if id_after is not None:
            lo = bisect.bisect_right(index, (low, id_after), lo, hi)
        total = hi - lo
        chosen = index[lo + after: min(hi, lo + after + limit)]
        wanted = set(body.get("properties") or ()) | {"hs_object_id", prop, "createdate"}
        results = []
        for _ms, rid in chosen:
            record = self.record(object_type, rid)
            props = record["properties"]
            results.append({**record, "properties": {k: props.get(k) for k in wanted}})
        page = {"total": total, "results": results}
        if lo + after + limit < hi:
            page["paging"] = {"next": {"after": str(after + limit), "link": None}}
        return 200, {}, page

    def batch_read(self, from_type, to_type, body):
        results = []
        for entry in body.get("inputs") or []:
            links = self.associations(from_type, to_type, entry["id"])
            if links:
                results.append({"from": {"id": str(entry["id"])},
                                "to": [{"toObjectId": int(to), "associationTypes": types} for to, types in links]})
        return (200 if len(results) == len(body.get("inputs") or []) else 207), {}, {
            "status": "COMPLETE", "results": results, "startedAt": "2026-01-01T00:00:00Z",
            "completedAt": "2026-01-01T00:00:00Z"}


OBJECTS_WITH_OWNERS = (*OBJECT_TYPES, "owners")


def _iso(ms) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


# --- serving -------------------------------------------------------------------------------------------

def respond(fake: FakeHubSpot):
    """A pytest-httpserver handler: ``httpserver.expect_request(re.compile(".*")).respond_with_handler(...)``."""
    from werkzeug.wrappers import Response  # noqa: PLC0415 - pytest-httpserver's dependency, tests only

    def handler(request):
        body = orjson.loads(request.data) if request.data else None
        status, headers, payload = fake.handle(request.method, request.path, dict(request.args), body,
                                               dict(request.headers))
        return Response(orjson.dumps(payload), status=status, headers=headers, content_type="application/json")

    return handler


def serve(fake: FakeHubSpot, port: int, ready=None) -> None:
    """Serve ``fake`` on 127.0.0.1:``port`` until the process ends (the benchmark's child process)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True        # headers and body leave at once (no 40 ms delayed-ACK stalls)

        def _answer(self):
            path, _, qs = self.path.partition("?")
            query = dict(p.split("=", 1) for p in qs.split("&") if "=" in p)
            length = int(self.headers.get("Content-Length") or 0)
            body = orjson.loads(self.rfile.read(length)) if length else None
            status, headers, payload = fake.handle(self.command, path, query, body, self.headers)
            data = orjson.dumps(payload)
            self.send_response(status)
            for k, v in {"Content-Type": "application/json", **headers}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if ready is not None:
        ready.set()
    server.serve_forever()


class GeneratedHubSpot(FakeHubSpot):
    """``bench_sync``'s portfolio, computed record by record instead of stored: ``contacts`` contacts in
    companies of 50, ``engagements`` engagements (2/10 meetings, 2/10 calls, 5/10 e-mails, 1/10 notes), each
    with one contact and that contact's company, every modification time distinct."""

    T0 = 1_780_000_000_000
    KINDS = ("meetings", "meetings", "calls", "calls", "emails", "emails", "emails", "emails", "emails", "notes")

    def __init__(self, *, contacts, engagements, token="pat-na1-bench"):
        super().__init__(token=token)
        self.n_contacts, self.n_engagements = contacts, engagements
        self.n_companies = max(1, contacts // 50)
        for i in range(10):
            self.owner(i + 1, f"owner{i + 1}@vendor.example", "Owner", str(i + 1))

    def index(self, object_type):
        if object_type not in self._index:
            if object_type == "companies":
                rows = [(self.T0 + i * 1000, i + 1) for i in range(self.n_companies)]
            elif object_type == "contacts":
                rows = [(self.T0 + n * 37, 100_000 + n) for n in range(self.n_contacts)]
            else:
                rows = [(self.T0 + i * 7, 10_000_000 + i) for i in range(self.n_engagements)
                        if self.KINDS[i % 10] == object_type]
            self._index[object_type] = rows
        return self._index[object_type]

    def _company_of_contact(self, n):
        return 1 + n % self.n_companies

    def record(self, object_type, rid):
        rid = int(rid)
        if object_type == "companies":
            i = rid - 1
            props = {"name": f"Company {rid}", "industry": "Software", "customer_tier": ["enterprise", "mid-market",
                     "smb"][i % 3], "arr": str(10_000 * (1 + i % 90)), "hubspot_owner_id": str(1 + i % 10),
                     "hs_lastmodifieddate": str(self.T0 + i * 1000)}
        elif object_type == "contacts":
            n = rid - 100_000
            props = {"firstname": "Person", "lastname": str(n), "email": f"p{n}@customer{n % 997}.example",
                     "jobtitle": ["Chief Operating Officer", "VP Finance", "Director of IT", "Engineer"][n % 4],
                     "lastmodifieddate": str(self.T0 + n * 37)}
        else:
            i = rid - 10_000_000
            day = 1 + i % 28
            props = {"hs_timestamp": f"2026-{1 + i % 11:02d}-{day:02d}T{8 + i % 9:02d}:00:00Z",
                     "hs_lastmodifieddate": str(self.T0 + i * 7), "hubspot_owner_id": str(1 + i % 10),
                     "hs_meeting_outcome": "COMPLETED", "hs_meeting_title": "Sync",
                     "hs_call_direction": "OUTBOUND", "hs_call_title": "Call",
                     "hs_email_direction": "INCOMING_EMAIL" if i % 3 == 0 else "EMAIL", "hs_email_subject": "Hello"}
        props["hs_object_id"] = str(rid)
        return {"id": str(rid), "properties": props, "createdAt": "2026-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z", "archived": False}

    def associations(self, from_type, to_type, rid):
        rid = int(rid)
        types = [{"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"}]
        if from_type == "contacts":
            return [(str(self._company_of_contact(rid - 100_000)), types)]
        contact = (rid - 10_000_000) % self.n_contacts
        if to_type == "contacts":
            return [(str(100_000 + contact), types)]
        return [(str(self._company_of_contact(contact)), types)]


def serve_generated(contacts: int, engagements: int, port: int, ready) -> None:
    """The benchmark's child process: serve a ``GeneratedHubSpot`` until terminated."""
    serve(GeneratedHubSpot(contacts=contacts, engagements=engagements), port, ready)
