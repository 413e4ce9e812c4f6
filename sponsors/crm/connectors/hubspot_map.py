"""HubSpot records → the snapshot format, with the property mappings of ``DEFAULT_OPTIONS`` (each one can be
overridden per connection in ``CrmConnection.options``; README "CRM sync" lists them)."""

from __future__ import annotations

from .base import Item
from .mapping import Malformed, iso_date, iso_datetime, merge_roles, number, roles_from_title, slug

ENGAGEMENTS = ("meetings", "calls", "emails", "notes")
CONNECTED_CALL = "f240bbac-87c9-4f6e-bf70-924b57d47db7"        # HubSpot's "Connected" call disposition

DEFAULT_OPTIONS = {
    "associations_prefix": "/crm/v4",
    # Company properties → the account.  Tier values are matched lower-cased, "-" and " " read as "_".
    "company_properties": {"name": "name", "industry": "industry", "tier": "customer_tier", "arr": "arr",
                           "currency": "arr_currency", "start_date": "contract_start_date",
                           "renewal_date": "renewal_date", "owner": "hubspot_owner_id"},
    "tier_values": {"enterprise": "enterprise", "mid_market": "mid_market", "midmarket": "mid_market",
                    "smb": "smb", "small_business": "smb"},
    "default_tier": "smb",
    "owner_role": "csm",
    # Further owner properties of the company → account team roles, e.g. {"account_executive": "ae_owner"}.
    "team_properties": {},
    # Contact properties.  Roles: the buying-role values below, the association labels below, and the title.
    "contact_properties": {"title": "jobtitle", "email": "email", "roles": "hs_buying_role", "sponsor": "",
                           "status": "", "linkedin_url": "", "in_role_since": ""},
    "role_values": {"EXECUTIVE_SPONSOR": "executive_sponsor", "DECISION_MAKER": "", "BUDGET_HOLDER": "",
                    "CHAMPION": ""},
    "executive_labels": ["Executive Sponsor"],
    "departed_values": ["departed", "left", "left_company"],
    # Engagements → interactions.
    "meeting_types": {"QBR": "qbr", "Business review": "business_review", "Executive dinner": "exec_dinner",
                      "Strategic check-in": "strategic_checkin", "Event": "event"},
    "default_meeting_type": "one_on_one",
    "skipped_meeting_outcomes": ["CANCELED", "NO_SHOW", "RESCHEDULED"],
    "connected_call_dispositions": [CONNECTED_CALL],
    "note_type": "other",
    "note_direction": "meeting",
}

EMAIL_DIRECTIONS = {"EMAIL": "outbound", "FORWARDED_EMAIL": "outbound", "INCOMING_EMAIL": "inbound"}
CALL_DIRECTIONS = {"OUTBOUND": "outbound", "INBOUND": "inbound"}
ENGAGEMENT_PROPERTIES = {
    "meetings": ["hs_timestamp", "hs_meeting_start_time", "hs_meeting_title", "hs_meeting_outcome",
                 "hs_activity_type", "hubspot_owner_id"],
    "calls": ["hs_timestamp", "hs_call_direction", "hs_call_status", "hs_call_disposition", "hs_call_title",
              "hubspot_owner_id"],
    "emails": ["hs_timestamp", "hs_email_direction", "hs_email_subject", "hubspot_owner_id"],
    "notes": ["hs_timestamp", "hubspot_owner_id"],
}


def merged_options(options) -> dict:
    """The defaults with a connection's overrides (a mapping option merges key by key)."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_OPTIONS.items()}
    for key, value in (options or {}).items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


class HubSpotMapper:
    def __init__(self, options):
        self.o = options

    def key(self, object_type: str, rid: str) -> str:
        return f"{object_type[:-1]}-{rid}" if object_type in ENGAGEMENTS else rid

    def properties(self, object_type) -> list[str]:
        if object_type == "companies":
            props = [*self.o["company_properties"].values(), *self.o["team_properties"].values()]
            return sorted({p for p in props if p} | {"hs_lastmodifieddate"})
        if object_type == "contacts":
            return sorted({p for p in self.o["contact_properties"].values() if p}
                          | {"firstname", "lastname", "lastmodifieddate"})
        return [*ENGAGEMENT_PROPERTIES[object_type], "hs_lastmodifieddate"]

    def owner(self, raw) -> Item:
        email = str(raw.get("email") or "").strip().lower()
        if not email:
            raise Malformed("email: an owner without an e-mail address cannot be a colleague")
        name = " ".join(p for p in (raw.get("firstName"), raw.get("lastName")) if p)
        return Item("person", str(raw["id"]), None, {"email": email, "name": name})

    def item(self, object_type, raw, links) -> Item | None:
        rid, props = str(raw.get("id") or ""), raw.get("properties") or {}
        if not rid:
            raise Malformed("id: missing")
        if object_type == "companies":
            return self.company(rid, props)
        if object_type == "contacts":
            return self.contact(rid, props, links.get("companies", []))
        return self.engagement(object_type, rid, props, links)

    def company(self, rid, p) -> Item:
        cp, o = self.o["company_properties"], self.o
        name = (p.get(cp["name"]) or "").strip()
        if not name:
            raise Malformed(f"{cp['name']}: a company needs a name")
        raw_tier = p.get(cp["tier"])
        tier = o["tier_values"].get(slug(raw_tier)) if raw_tier else o["default_tier"]
        if tier is None:
            raise Malformed(f"{cp['tier']}: {raw_tier!r} is not a known tier (tier_values: "
                            f"{', '.join(sorted(o['tier_values']))})")
        contract = {"arr": number(p.get(cp["arr"]), cp["arr"]), "currency": p.get(cp["currency"]) or None,
                    "start_date": iso_date(p.get(cp["start_date"]), cp["start_date"]),
                    "renewal_date": iso_date(p.get(cp["renewal_date"]), cp["renewal_date"])}
        account = {"id": rid, "name": name, "tier": tier, "industry": p.get(cp["industry"]) or None,
                   "contract": {k: v for k, v in contract.items() if v is not None}}
        team = []
        owner = p.get(cp["owner"])
        if owner:
            account["owner"] = {"ref": str(owner)}
            team.append({"ref": str(owner), "role": o["owner_role"]})
        for role, prop in o["team_properties"].items():
            for ref in str(p.get(prop) or "").split(";"):
                if ref.strip() and all(m["ref"] != ref.strip() for m in team):
                    team.append({"ref": ref.strip(), "role": role})
        account["team"] = team
        return Item("account", rid, rid, account)

    def contact(self, rid, p, companies) -> Item:
        cp, o = self.o["contact_properties"], self.o
        email = (p.get(cp["email"]) or "").strip()
        name = " ".join(x.strip() for x in (p.get("firstname") or "", p.get("lastname") or "") if x.strip()) or email
        if not name:
            raise Malformed("firstname/lastname: a contact needs a name or an e-mail address")
        title = (p.get(cp["title"]) or "").strip()
        buying = [o["role_values"].get(v.strip(), "") for v in str(p.get(cp["roles"]) or "").split(";") if v.strip()]
        labels = {label for _company, ls in companies for label in ls}
        labelled = ["executive_sponsor"] if labels & set(o["executive_labels"]) else []
        contact = {"id": rid, "name": name, "title": title or None, "email": email or None,
                   "roles": merge_roles(buying, labelled, roles_from_title(title))}
        if cp.get("sponsor") and p.get(cp["sponsor"]) in ("primary", "backup"):
            contact["sponsor"] = p[cp["sponsor"]]
        if cp.get("status") and slug(p.get(cp["status"])) in o["departed_values"]:
            contact["status"] = "departed"
        if cp.get("linkedin_url") and p.get(cp["linkedin_url"]):
            contact["linkedin_url"] = p[cp["linkedin_url"]]
        if cp.get("in_role_since"):
            contact["in_role_since"] = iso_date(p.get(cp["in_role_since"]), cp["in_role_since"])
        primary = [c for c, ls in companies if "Primary" in ls]
        account_key = (primary or [c for c, _ls in companies] or [None])[0]
        return Item("contact", rid, account_key, contact)

    def engagement(self, object_type, rid, p, links) -> Item | None:
        o = self.o
        when = iso_datetime(p.get("hs_meeting_start_time") or p.get("hs_timestamp"), "hs_timestamp")
        if when is None:
            raise Malformed("hs_timestamp: missing")
        topics, direction = [], "meeting"
        if object_type == "meetings":
            if p.get("hs_meeting_outcome") in o["skipped_meeting_outcomes"]:
                return None
            kind = o["meeting_types"].get(p.get("hs_activity_type") or "", o["default_meeting_type"])
            topics = [p["hs_meeting_title"]] if p.get("hs_meeting_title") else []
        elif object_type == "calls":
            kind = "call"
            if p.get("hs_call_disposition") not in o["connected_call_dispositions"]:
                direction = CALL_DIRECTIONS.get(p.get("hs_call_direction") or "", "outbound")
            topics = [p["hs_call_title"]] if p.get("hs_call_title") else []
        elif object_type == "emails":
            kind = "email"
            raw = p.get("hs_email_direction") or ""
            if raw not in EMAIL_DIRECTIONS:
                raise Malformed(f"hs_email_direction: {raw!r} is not EMAIL, INCOMING_EMAIL or FORWARDED_EMAIL")
            direction = EMAIL_DIRECTIONS[raw]
            topics = [p["hs_email_subject"]] if p.get("hs_email_subject") else []
        else:
            kind, direction = o["note_type"], o["note_direction"]
        interaction = {"id": self.key(object_type, rid), "type": kind, "occurred_at": when, "direction": direction,
                       "contact_ids": [c for c, _labels in links.get("contacts", [])], "topics": topics}
        if p.get("hubspot_owner_id"):
            interaction["logged_by"] = {"ref": str(p["hubspot_owner_id"])}
        companies = [c for c, _labels in links.get("companies", [])]
        return Item("interaction", interaction["id"], companies[0] if companies else None, interaction)
