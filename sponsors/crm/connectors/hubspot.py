"""HubSpot over its CRM REST API (v3 objects and search, v4 associations) with a private-app token.

Streams, in order: ``owners`` (colleagues), ``accounts`` (companies), ``contacts`` and the engagements
``meetings``, ``calls``, ``emails`` and ``notes`` (interactions).  Each object stream is read through the
search endpoint, ``hs_lastmodifieddate`` (contacts: ``lastmodifieddate``) at or after the watermark, oldest
first, ``page_size`` a request, paging with ``after``.  The search endpoint returns at most ``window_limit``
(10,000) results per query, so before a window reaches it the query is re-anchored at the newest time read
(the records of that instant already read are skipped); when a whole window shares one instant, that instant
is read by ``hs_object_id`` in windows of its own.  Associations come from the v4 batch read (labels
included).  Records deleted in HubSpot are listed with ``archived=true`` and archived here.

Property mappings (``CrmConnection.options``, defaults in ``DEFAULT_OPTIONS``, README "CRM sync")."""

from __future__ import annotations

import time
from datetime import datetime

from .base import Connector, Item, Page, RecordProblem
from .http import Http
from .hubspot_map import ENGAGEMENTS, HubSpotMapper, merged_options
from .mapping import Malformed, parse_moment

DEFAULT_BASE_URL = "https://api.hubapi.com"
DEFAULT_PREFIX = "/crm/v3"
DEFAULT_ASSOCIATIONS_PREFIX = "/crm/v4"
MODIFIED = {"companies": "hs_lastmodifieddate", "contacts": "lastmodifieddate"}
STREAM_OBJECTS = {"accounts": "companies", "contacts": "contacts", **{e: e for e in ENGAGEMENTS}}
KINDS = {"companies": "account", "contacts": "contact", **dict.fromkeys(ENGAGEMENTS, "interaction")}
ASSOCIATED = {"contacts": ("companies",), **{e: ("contacts", "companies") for e in ENGAGEMENTS}}
OWNER_PAGE = 100


def epoch_ms(moment: datetime | None) -> int:
    return 0 if moment is None else int(moment.timestamp() * 1000)


class HubSpotConnector(Connector):
    streams = ("owners", "accounts", "contacts", *ENGAGEMENTS)

    def __init__(self, *, token, conf, base_url="", prefix="", options=None, sleep=time.sleep):
        self.conf = conf
        self.base = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.prefix = "/" + (prefix or DEFAULT_PREFIX).strip("/")
        options = merged_options(options)
        self.associations_prefix = "/" + options["associations_prefix"].strip("/")
        self.mapper = HubSpotMapper(options)
        self.http = Http(conf=conf, sleep=sleep, what="HubSpot",
                         headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def url(self, path: str) -> str:
        return f"{self.base}{self.prefix}{path}"

    def fetch(self, stream, since):
        if stream == "owners":
            yield from self._owners()
            return
        object_type = STREAM_OBJECTS[stream]
        for results, total in self._search(object_type, since):
            yield self._page(stream, object_type, results, total)
        yield from self._archived(stream, object_type, since)

    # --- reading ----------------------------------------------------------------------------------------

    def _owners(self):
        after = None
        while True:
            params = {"limit": OWNER_PAGE, **({"after": after} if after else {})}
            data = self.http.json("GET", self.url("/owners"), params=params)
            page = Page("owners")
            for raw in data.get("results") or []:
                try:
                    page.items.append(self.mapper.owner(raw))
                except Malformed as exc:
                    page.problems.append(RecordProblem("owner", str(raw.get("id", "?")), str(exc)))
            yield page
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def _search_body(self, object_type, filters, sort, after):
        body = {"filterGroups": [{"filters": filters}], "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
                "properties": self.mapper.properties(object_type), "limit": self.conf.page_size}
        if after:
            body["after"] = after
        return body

    # Long by design: the window/tie state machine reads best in one piece.
    def _search(self, object_type, since):
        """Yield ``(results, total)`` per search page, re-anchoring windows under ``window_limit``."""
        prop = MODIFIED.get(object_type, "hs_lastmodifieddate")
        url = self.url(f"/objects/{object_type}/search")
        anchor, seen, tie_after = epoch_ms(since), set(), None
        while True:
            if tie_after is None:
                filters, sort = [{"propertyName": prop, "operator": "GTE", "value": str(anchor)}], prop
            else:
                filters = [{"propertyName": prop, "operator": "EQ", "value": str(anchor)},
                           {"propertyName": "hs_object_id", "operator": "GT", "value": tie_after}]
                sort = "hs_object_id"
            after, fetched, last_ms, at_last = None, 0, None, set()
            while True:
                data = self.http.json("POST", url, json=self._search_body(object_type, filters, sort, after))
                results = data.get("results") or []
                yield [r for r in results if r.get("id") not in seen], data.get("total")
                fetched += len(results)
                for r in results:
                    ms = epoch_ms(self._modified(r, prop))
                    if ms != last_ms:
                        last_ms, at_last = ms, set()
                    at_last.add(r.get("id"))
                after = ((data.get("paging") or {}).get("next") or {}).get("after")
                if not after or fetched + self.conf.page_size > self.conf.window_limit:
                    break
            if not after:                                  # the window is exhausted
                if tie_after is None:
                    return
                anchor, seen, tie_after = anchor + 1, set(), None     # the instant is done: after it
                continue
            if tie_after is not None:                      # next window of the same instant, by id
                tie_after = str(results[-1].get("id"))
            elif last_ms is not None and last_ms > anchor:  # re-anchor at the newest instant read
                anchor, seen = last_ms, at_last
            else:                                          # a whole window of one instant: read it by id
                seen, tie_after = seen | at_last, "0"

    def _modified(self, raw, prop):
        props = raw.get("properties") or {}
        try:
            return parse_moment(props.get(prop) or raw.get("updatedAt"))
        except Malformed:
            return None

    def _associations(self, from_type, to_type, ids) -> dict:
        """``{from id: [(to id, [labels])]}`` through the v4 batch read (one request per page)."""
        if not ids:
            return {}
        url = f"{self.base}{self.associations_prefix}/associations/{from_type}/{to_type}/batch/read"
        data = self.http.json("POST", url, json={"inputs": [{"id": i} for i in ids]})
        found = {}
        for row in data.get("results") or []:
            source = str((row.get("from") or {}).get("id"))
            found[source] = [(str(t.get("toObjectId")), [a.get("label") for a in t.get("associationTypes") or []
                                                          if a.get("label")]) for t in row.get("to") or []]
        return found

    def _page(self, stream, object_type, results, total) -> Page:
        page = Page(stream, total=total)
        ids = [str(r.get("id")) for r in results if r.get("id")]
        links = {to: self._associations(object_type, to, ids) for to in ASSOCIATED.get(object_type, ())}
        prop = MODIFIED.get(object_type, "hs_lastmodifieddate")
        for raw in results:
            rid = str(raw.get("id") or "?")
            moment = self._modified(raw, prop)
            if moment and (page.watermark is None or moment > page.watermark):
                page.watermark = moment           # skipped records too: they were read
            try:
                item = self.mapper.item(object_type, raw, {to: found.get(rid, []) for to, found in links.items()})
            except Malformed as exc:
                page.problems.append(RecordProblem(object_type, rid, str(exc)))
                continue
            if item is not None:
                item.modified_at = moment
                page.items.append(item)
        return page

    def _archived(self, stream, object_type, since):
        """Records deleted in HubSpot since ``since`` (``archived=true``): archived, never destroyed."""
        after, kind = None, KINDS[object_type]
        while True:
            params = {"archived": "true", "limit": OWNER_PAGE, **({"after": after} if after else {})}
            data = self.http.json("GET", self.url(f"/objects/{object_type}"), params=params)
            page = Page(stream)
            for raw in data.get("results") or []:
                try:
                    moment = parse_moment(raw.get("archivedAt") or raw.get("updatedAt"))
                except Malformed:
                    moment = None
                if since is None or moment is None or moment >= since:
                    page.items.append(Item(kind, self.mapper.key(object_type, str(raw.get("id"))), None, {},
                                           modified_at=moment, archived=True))
            if page.items:
                yield page
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
