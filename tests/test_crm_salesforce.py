"""Salesforce through simple-salesforce against a Salesforce-shaped server on loopback over HTTPS (trustme):
SOQL through ``queryAll`` with ``SystemModstamp`` watermarks and ``nextRecordsUrl`` paging, deleted rows
archived, OpportunityContactRole making an executive sponsor, Event attendees from EventWhoRelation, Task
calls, and an expired session as a clear error."""

from __future__ import annotations

import json
import re
import ssl

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from accounts.models import Account
from sponsors.crm.connections import connection_create
from sponsors.models import Contact, CrmRecord, CrmSyncRun, Interaction

from .crm_support import Sleeps, encryption_fixture, run  # noqa: F401

pytestmark = pytest.mark.django_db
STAMP = "2026-11-01T09:00:00.000+0000"

RECORDS = {
    "User": [{"Id": "005A", "Email": "Dana@vendor.example", "Name": "Dana Reyes", "SystemModstamp": STAMP}],
    "Account": [
        {"Id": "001A", "Name": "Northwind Health", "Industry": "Healthcare", "OwnerId": "005A", "Tier__c": "Enterprise",
         "ARR__c": 480000, "Contract_Start__c": None, "Renewal_Date__c": "2027-01-31", "SystemModstamp": STAMP,
         "IsDeleted": False},
        {"Id": "001B", "Name": "Gone Corp", "IsDeleted": True, "SystemModstamp": STAMP},
    ],
    "Contact": [
        {"Id": "003A", "AccountId": "001A", "Name": "Priya Natarajan", "Title": "COO", "Email": "priya@nw.example",
         "SystemModstamp": STAMP, "IsDeleted": False},
        {"Id": "003B", "AccountId": "001A", "Name": "Marcus Holt", "Title": "Finance Lead", "Email": None,
         "SystemModstamp": "2026-11-01T09:05:00.000+0000", "IsDeleted": False},
        {"Id": "003C", "AccountId": "001A", "Name": "Lena Fischer", "Title": "Director of IT", "Email": None,
         "SystemModstamp": "2026-11-01T09:06:00.000+0000", "IsDeleted": False},
    ],
    "OpportunityContactRole": [
        {"Id": "00KA", "ContactId": "003B", "Role": "Executive Sponsor", "Opportunity": {"AccountId": "001A"},
         "SystemModstamp": STAMP, "IsDeleted": False}],
    "Event": [
        {"Id": "00UA", "AccountId": "001A", "WhoId": "003A", "Subject": "QBR Q4", "Type": "QBR",
         "StartDateTime": "2026-11-03T15:00:00.000+0000", "ActivityDateTime": None, "OwnerId": "005A",
         "SystemModstamp": STAMP, "IsDeleted": False}],
    "Task": [
        {"Id": "00TA", "AccountId": "001A", "WhoId": "003B", "Subject": "Budget call", "TaskSubtype": "Call",
         "CallType": "Outbound", "CompletedDateTime": "2026-11-10T09:00:00.000+0000", "OwnerId": "005A",
         "SystemModstamp": STAMP, "IsDeleted": False},
        {"Id": "00TB", "AccountId": "001A", "WhoId": "003B", "Subject": "Prepare deck", "TaskSubtype": "Task",
         "SystemModstamp": STAMP, "IsDeleted": False}],
    "EventWhoRelation": [{"EventId": "00UA", "RelationId": "003A"}, {"EventId": "00UA", "RelationId": "003B"}],
}


class FakeSalesforce:
    """The REST query endpoints: ``query``/``queryAll`` with ``q``, two records a batch, ``nextRecordsUrl``."""

    def __init__(self):
        self.records, self.queries, self.batches, self.expired = RECORDS, [], {}, False

    def __call__(self, request):
        if request.headers.get("Authorization") != "Bearer 00Dsession!token" or self.expired:
            return self.json([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401)
        if m := re.search(r"/query(All)?/(\w+-\d+)$", request.path):
            rows, start = self.batches[m[2].rsplit("-", 1)[0]], int(m[2].rsplit("-", 1)[1])
            return self.json(self.batch(m[2].rsplit("-", 1)[0], rows, start))
        soql = request.args["q"]
        self.queries.append((request.path.rstrip("/").rsplit("/", 1)[1], soql))
        sobject = re.search(r" FROM (\w+)", soql)[1]
        rows = [r for r in self.records[sobject] if "EventId IN" not in soql or r["EventId"] in soql]
        key = f"01g{len(self.batches)}"
        self.batches[key] = rows
        return self.json(self.batch(key, rows, 0))

    def batch(self, key, rows, start):
        body = {"totalSize": len(rows), "done": start + 2 >= len(rows),
                "records": [{"attributes": {"type": "x"}, **r} for r in rows[start:start + 2]]}
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/v59.0/query/{key}-{start + 2}"
        return body

    def json(self, body, status=200):
        return Response(json.dumps(body), status=status, content_type="application/json")


@pytest.fixture
def salesforce(monkeypatch, tmp_path):
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))       # simple-salesforce insists on https://
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    fake = FakeSalesforce()
    server.expect_request(re.compile(".*")).respond_with_handler(fake)
    server.start()
    yield server, fake
    server.clear()
    server.stop()


def test_it_syncs_accounts_contacts_roles_events_and_calls(salesforce, encryption):
    server, fake = salesforce
    connection = connection_create(name="salesforce", kind="salesforce", base_url=server.url_for("/").rstrip("/"),
                                   token="00Dsession!token")
    result = run(connection)

    assert result.status == CrmSyncRun.Status.SUCCEEDED, result.error
    account = Account.objects.get(source="salesforce", external_id="001A")
    assert (account.name, account.tier, str(account.arr), account.owner.email) == (
        "Northwind Health", "enterprise", "480000.00", "dana@vendor.example")
    assert not Account.objects.filter(external_id="001B").exists()
    assert CrmRecord.objects.get(kind="account", external_id="001B").archived_at is not None
    assert dict(Contact.objects.values_list("external_id", "roles")) == {
        "003A": ["c_level"], "003B": ["executive_sponsor"], "003C": ["director"]}
    qbr = Interaction.objects.get(external_id="00UA")
    assert (qbr.type, qbr.direction, qbr.logged_by) == ("qbr", "meeting", "dana@vendor.example")
    assert sorted(qbr.participants.values_list("external_id", flat=True)) == ["003A", "003B"]
    call = Interaction.objects.get(external_id="00TA")
    assert (call.type, call.direction) == ("call", "outbound")
    assert not Interaction.objects.filter(external_id="00TB").exists()        # a to-do is no interaction
    endpoint, soql = next(q for q in fake.queries if " FROM Contact" in q[1])
    assert endpoint == "queryAll" and soql == (
        "SELECT Id, AccountId, Name, Title, Email, SystemModstamp, IsDeleted FROM Contact "
        "ORDER BY SystemModstamp, Id")
    assert result.counts["contacts"]["fetched"] == 3 and result.pages == 7      # contacts came in 2 batches

    fake.queries.clear()
    again = run(connection)
    assert again.status == CrmSyncRun.Status.SUCCEEDED and again.accounts_changed == 0
    soql = next(q for _e, q in fake.queries if " FROM Contact" in q)
    assert "WHERE SystemModstamp >= 2026-11-01T09:01:00Z ORDER BY" in soql     # 09:06 less 5 minutes


def test_an_expired_session_is_a_clear_error(salesforce, encryption):
    server, fake = salesforce
    fake.expired = True
    connection = connection_create(name="salesforce", kind="salesforce", base_url=server.url_for("/").rstrip("/"),
                                   token="00Dsession!token")
    result = run(connection)
    assert result.status == CrmSyncRun.Status.FAILED
    assert result.error == ("Salesforce refused the session (401: Session expired or invalid): the access token has "
                            "expired or was revoked — store a new one")
