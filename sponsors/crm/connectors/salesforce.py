"""Salesforce through simple-salesforce: SOQL with ``SystemModstamp`` watermarks, ``queryAll`` for deletions.

Streams, in order: ``owners`` (User), ``accounts`` (Account), ``contacts`` (Contact), ``contact_roles``
(OpportunityContactRole: a role such as "Executive Sponsor" makes the contact an executive sponsor),
``events`` (Event, its attendees from EventWhoRelation) and ``tasks`` (Task: the ``Call`` and ``Email``
subtypes).  Each is ``SELECT … WHERE SystemModstamp >= :watermark ORDER BY SystemModstamp, Id`` through
``queryAll`` (deleted rows come back with ``IsDeleted`` true and are archived), one page per batch of up to
2,000 records (``nextRecordsUrl``).  An expired session is an ``AuthError``; a 5xx or a dropped connection is
retried with backoff; ``REQUEST_LIMIT_EXCEEDED`` stops the run (the next one goes on from the watermark)."""

from __future__ import annotations

import time

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from .base import AuthError, Connector, ConnectorError, Item, Page, RecordProblem
from .mapping import Malformed, iso_date, iso_datetime, merge_roles, number, parse_moment, roles_from_title, slug

DEFAULT_VERSION = "59.0"
DEFAULT_OPTIONS = {
    "account_fields": {"tier": "Tier__c", "arr": "ARR__c", "currency": "", "start_date": "Contract_Start__c",
                       "renewal_date": "Renewal_Date__c"},
    "tier_values": {"enterprise": "enterprise", "mid_market": "mid_market", "smb": "smb"},
    "default_tier": "smb",
    "owner_role": "csm",
    "executive_roles": ["Executive Sponsor", "Economic Buyer"],
    "event_types": {"QBR": "qbr", "Business Review": "business_review", "Executive Dinner": "exec_dinner"},
    "default_event_type": "one_on_one",
    "call_directions": {"Inbound": "inbound", "Outbound": "outbound"},
}
OBJECTS = {"owners": "User", "accounts": "Account", "contacts": "Contact", "contact_roles": "OpportunityContactRole",
           "events": "Event", "tasks": "Task"}


def _options(options) -> dict:
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_OPTIONS.items()}
    for key, value in (options or {}).items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key].update(value)
        elif key in merged:
            merged[key] = value
    return merged


class SalesforceConnector(Connector):
    streams = ("owners", "accounts", "contacts", "contact_roles", "events", "tasks")

    def __init__(self, *, credentials, conf, instance_url="", version="", options=None, sleep=time.sleep,
                 session=None):
        self.conf, self.sleep, self.o = conf, sleep, _options(options)
        kwargs = {"version": version or DEFAULT_VERSION, "session": session or requests.Session()}
        try:
            if credentials.get("token"):
                if not instance_url:
                    raise AuthError("a Salesforce access token needs the instance URL (--base-url)")
                self.sf = Salesforce(instance_url=instance_url, session_id=credentials["token"], **kwargs)
            else:
                self.sf = Salesforce(username=credentials.get("username"), password=credentials.get("password"),
                                     security_token=credentials.get("security_token", ""),
                                     domain=credentials.get("domain") or None, **kwargs)
        except SalesforceError as exc:
            raise AuthError(f"Salesforce refused the login: {exc}") from None

    # --- SOQL ------------------------------------------------------------------------------------------

    def _fields(self, stream) -> list[str]:
        af = self.o["account_fields"]
        return {
            "owners": ["Id", "Email", "Name"],
            "accounts": ["Id", "Name", "Industry", "OwnerId", *[f for f in af.values() if f]],
            "contacts": ["Id", "AccountId", "Name", "Title", "Email"],
            "contact_roles": ["Id", "ContactId", "Role", "Opportunity.AccountId"],
            "events": ["Id", "AccountId", "WhoId", "Subject", "Type", "StartDateTime", "ActivityDateTime", "OwnerId"],
            "tasks": ["Id", "AccountId", "WhoId", "Subject", "TaskSubtype", "CallType", "ActivityDate",
                      "CompletedDateTime", "CreatedDate", "OwnerId"],
        }[stream]

    def soql(self, stream, since) -> str:
        deleted = [] if stream == "owners" else ["IsDeleted"]
        fields = ", ".join([*self._fields(stream), "SystemModstamp", *deleted])
        where = f" WHERE SystemModstamp >= {since.strftime('%Y-%m-%dT%H:%M:%SZ')}" if since else ""
        return f"SELECT {fields} FROM {OBJECTS[stream]}{where} ORDER BY SystemModstamp, Id"

    def _call(self, fn, *args, **kwargs):
        for attempt in range(self.conf.max_retries + 1):
            last = attempt == self.conf.max_retries
            try:
                return fn(*args, **kwargs)
            except SalesforceExpiredSession as exc:
                raise AuthError(f"Salesforce refused the session (401: {_message(exc)}): the access token has "
                                "expired or was revoked — store a new one") from None
            except SalesforceRefusedRequest as exc:
                raise ConnectorError(f"Salesforce refused the request (403: {_message(exc)}); the next run goes "
                                     "on from here") from None
            except SalesforceGeneralError as exc:
                if last or exc.status < 500:
                    raise ConnectorError(f"Salesforce answered {exc.status}: {_message(exc)}") from None
            except SalesforceError as exc:
                raise ConnectorError(f"Salesforce refused the query ({exc.status}: {_message(exc)})") from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                if last:
                    raise ConnectorError(f"Salesforce did not answer ({exc})") from None
            self.sleep(self.conf.backoff_seconds * (2 ** attempt))
        raise AssertionError("unreachable")

    def fetch(self, stream, since):
        include_deleted = stream != "owners"
        result = self._call(self.sf.query, self.soql(stream, since), include_deleted=include_deleted)
        while True:
            yield self._page(stream, result.get("records") or [], result.get("totalSize"))
            if result.get("done", True) or not result.get("nextRecordsUrl"):
                return
            result = self._call(self.sf.query_more, result["nextRecordsUrl"], identifier_is_url=True)

    def _attendees(self, records) -> dict:
        ids = [r["Id"] for r in records if r.get("Id") and not r.get("IsDeleted")]
        if not ids:
            return {}
        quoted = ", ".join("'" + i.replace("\\", "").replace("'", "") + "'" for i in ids)
        soql = f"SELECT EventId, RelationId FROM EventWhoRelation WHERE Type = 'Contact' AND EventId IN ({quoted})"
        found = {}
        for row in self._call(self.sf.query_all, soql).get("records") or []:
            found.setdefault(row["EventId"], []).append(row["RelationId"])
        return found

    def _page(self, stream, records, total) -> Page:
        page = Page(stream, total=total)
        attendees = self._attendees(records) if stream == "events" else {}
        for raw in records:
            rid = str(raw.get("Id") or "")
            try:
                if not rid:
                    raise Malformed("Id: missing")
                moment = parse_moment(raw.get("SystemModstamp"))
                if raw.get("IsDeleted"):
                    item = Item(_KIND[stream], rid, None, {}, archived=True)
                else:
                    item = getattr(self, f"_{stream}")(rid, raw, attendees)
                if item is None:
                    continue
                item.modified_at = moment
            except Malformed as exc:
                page.problems.append(RecordProblem(OBJECTS[stream], rid or "?", str(exc)))
                continue
            page.items.append(item)
            if moment and (page.watermark is None or moment > page.watermark):
                page.watermark = moment
        return page

    # --- mapping ----------------------------------------------------------------------------------------

    def _owners(self, rid, r, _):
        if not r.get("Email"):
            raise Malformed("Email: a user without an e-mail address cannot be a colleague")
        return Item("person", rid, None, {"email": r["Email"].strip().lower(), "name": r.get("Name") or ""})

    def _accounts(self, rid, r, _):
        af, o = self.o["account_fields"], self.o
        if not (r.get("Name") or "").strip():
            raise Malformed("Name: an account needs a name")
        raw_tier = r.get(af["tier"]) if af["tier"] else None
        tier = o["tier_values"].get(slug(raw_tier)) if raw_tier else o["default_tier"]
        if tier is None:
            raise Malformed(f"{af['tier']}: {raw_tier!r} is not a known tier")
        contract = {"arr": number(r.get(af["arr"]), af["arr"]) if af["arr"] else None,
                    "currency": r.get(af["currency"]) if af["currency"] else None,
                    "start_date": iso_date(r.get(af["start_date"]), af["start_date"]) if af["start_date"] else None,
                    "renewal_date": iso_date(r.get(af["renewal_date"]), af["renewal_date"])
                    if af["renewal_date"] else None}
        account = {"id": rid, "name": r["Name"].strip(), "tier": tier, "industry": r.get("Industry") or None,
                   "contract": {k: v for k, v in contract.items() if v is not None}, "team": []}
        if r.get("OwnerId"):
            account["owner"] = {"ref": r["OwnerId"]}
            account["team"] = [{"ref": r["OwnerId"], "role": o["owner_role"]}]
        return Item("account", rid, rid, account)

    def _contacts(self, rid, r, _):
        name = (r.get("Name") or "").strip()
        if not name:
            raise Malformed("Name: a contact needs a name")
        title = (r.get("Title") or "").strip()
        contact = {"id": rid, "name": name, "title": title or None, "email": r.get("Email") or None,
                   "roles": merge_roles(roles_from_title(title))}
        return Item("contact", rid, r.get("AccountId"), contact)

    def _contact_roles(self, rid, r, _):
        account = (r.get("Opportunity") or {}).get("AccountId")
        roles = ["executive_sponsor"] if r.get("Role") in self.o["executive_roles"] else []
        if not r.get("ContactId"):
            raise Malformed("ContactId: missing")
        return Item("contact_role", rid, account, {"contact": r["ContactId"], "roles": roles})

    def _events(self, rid, r, attendees):
        when = iso_datetime(r.get("StartDateTime") or r.get("ActivityDateTime"), "StartDateTime")
        if when is None:
            raise Malformed("StartDateTime: missing")
        who = [w for w in [*attendees.get(rid, []), r.get("WhoId")] if w and w.startswith("003")]
        data = {"id": rid, "type": self.o["event_types"].get(r.get("Type") or "", self.o["default_event_type"]),
                "occurred_at": when, "direction": "meeting", "contact_ids": list(dict.fromkeys(who)),
                "topics": [r["Subject"]] if r.get("Subject") else []}
        if r.get("OwnerId"):
            data["logged_by"] = {"ref": r["OwnerId"]}
        return Item("interaction", rid, r.get("AccountId"), data)

    def _tasks(self, rid, r, _):
        subtype = r.get("TaskSubtype")
        if subtype not in ("Call", "Email"):
            return None                      # to-dos are not interactions
        when = iso_datetime(r.get("CompletedDateTime") or r.get("CreatedDate"), "CompletedDateTime") or (
            (iso_date(r.get("ActivityDate"), "ActivityDate") or "") + "T00:00:00Z" if r.get("ActivityDate") else None)
        if when is None:
            raise Malformed("CompletedDateTime: missing")
        direction = self.o["call_directions"].get(r.get("CallType") or "", "outbound") if subtype == "Call" \
            else "outbound"
        who = r.get("WhoId") or ""
        data = {"id": rid, "type": subtype.lower(), "occurred_at": when, "direction": direction,
                "contact_ids": [who] if who.startswith("003") else [],
                "topics": [r["Subject"]] if r.get("Subject") else []}
        if r.get("OwnerId"):
            data["logged_by"] = {"ref": r["OwnerId"]}
        return Item("interaction", rid, r.get("AccountId"), data)


_KIND = {"owners": "person", "accounts": "account", "contacts": "contact", "contact_roles": "contact_role",
         "events": "interaction", "tasks": "interaction"}


def _message(exc) -> str:
    content = getattr(exc, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("message") or content[0].get("errorCode"))[:300]
    return str(content)[:300]
