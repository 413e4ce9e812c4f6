"""The records every CRM source produces — the snapshot file, HubSpot, Salesforce — and hands to the one
upsert path (``sponsors.crm.sync.sync_accounts``).  Plain data, no Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(slots=True)
class PersonRecord:
    email: str
    name: str = ""
    role: str = ""


@dataclass(slots=True)
class ContactRecord:
    external_id: str
    name: str
    title: str
    email: str
    roles: list
    sponsor: str                    # "" | "primary" | "backup"
    in_role_since: date | None
    priorities: list
    communication_preference: str
    linkedin_url: str
    status: str


@dataclass(slots=True)
class InteractionRecord:
    external_id: str
    type: str
    occurred_at: datetime
    contact_ids: list
    direction: str
    purpose: str
    topics: list
    outcome: str
    responded_at: datetime | None
    logged_by: str


@dataclass(slots=True)
class OrgChangeRecord:
    external_id: str
    contact_id: str | None
    kind: str
    occurred_on: date
    source: str
    headline: str
    url: str
    confidence: float
    evidence: dict


@dataclass(slots=True)
class MetricRecord:
    as_of: date | None
    roi: float | None
    strategic_goals_progress: float | None
    executive_dashboard_views: int | None


@dataclass(slots=True)
class AccountRecord:
    external_id: str
    name: str
    tier: str
    industry: str = ""
    owner: PersonRecord | None = None
    team: list = field(default_factory=list)
    arr: float | None = None
    currency: str = ""
    contract_start: date | None = None
    renewal_date: date | None = None
    goals: list = field(default_factory=list)          # (name, status, progress)
    alignment: list = field(default_factory=list)      # (our_initiative, their_priority, alignment)
    contacts: list = field(default_factory=list)
    interactions: list = field(default_factory=list)
    metrics: MetricRecord | None = None
    org_changes: list = field(default_factory=list)
    path: str = ""                                     # "accounts[3]", for messages


@dataclass(slots=True)
class Snapshot:
    exported_at: datetime | None
    accounts: list

    @property
    def interaction_count(self):
        return sum(len(a.interactions) for a in self.accounts)
