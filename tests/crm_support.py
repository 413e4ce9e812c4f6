"""Shared by the CRM connector tests (import the fixtures by their ``*_fixture`` names): a HubSpot-shaped
server on loopback (pytest-httpserver) with a small,
hand-made portfolio, a connection to it, and a ``sleep`` that records the waits instead of waiting."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from sponsors.crm.connections import build_connector, connection_create
from sponsors.crm.connectors.hubspot_fake import FakeHubSpot, respond
from sponsors.crm.runs import sync_connection

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
T0 = int(datetime(2026, 11, 1, 9, 0, tzinfo=UTC).timestamp() * 1000)     # first modification, epoch ms
MINUTE = 60_000


def ms(minutes: int) -> int:
    return T0 + minutes * MINUTE


def portfolio(fake: FakeHubSpot) -> FakeHubSpot:
    """Two companies; Northwind has a COO labelled "Executive Sponsor", a VP and a director; Contoso one CFO."""
    fake.owner(7, "Dana@vendor.example", "Dana", "Reyes")
    fake.owner(8, "li@vendor.example", "Li", "Wei")
    fake.add("companies", 101, ms(0), name="Northwind Health", industry="Healthcare", customer_tier="Enterprise",
             arr="480000", arr_currency="USD", renewal_date="2027-01-31", hubspot_owner_id=7)
    fake.add("companies", 102, ms(1), name="Contoso", customer_tier="mid-market", hubspot_owner_id=8)
    fake.add("contacts", 201, ms(2), firstname="Priya", lastname="Natarajan", jobtitle="Chief Operating Officer",
             email="priya@northwind.example")
    fake.add("contacts", 202, ms(3), firstname="Marcus", lastname="Holt", jobtitle="VP Finance")
    fake.add("contacts", 203, ms(4), firstname="Lena", lastname="Fischer", jobtitle="Director of IT")
    fake.add("contacts", 204, ms(5), firstname="Omar", lastname="Haddad", jobtitle="CFO",
             hs_buying_role="EXECUTIVE_SPONSOR;BUDGET_HOLDER")
    fake.associate("contacts", 201, "companies", 101, "Primary", "Executive Sponsor")
    fake.associate("contacts", 202, "companies", 101, "Primary")
    fake.associate("contacts", 203, "companies", 101)
    fake.associate("contacts", 204, "companies", 102, "Primary")
    fake.add("meetings", 301, ms(6), hs_timestamp="2026-11-03T15:00:00Z", hs_meeting_title="Renewal scope",
             hs_meeting_outcome="COMPLETED", hs_activity_type="QBR", hubspot_owner_id=7)
    fake.associate("meetings", 301, "contacts", 201)
    fake.associate("meetings", 301, "contacts", 203)
    fake.associate("meetings", 301, "companies", 101)
    fake.add("meetings", 302, ms(7), hs_timestamp="2026-11-04T15:00:00Z", hs_meeting_outcome="CANCELED")
    fake.associate("meetings", 302, "contacts", 201)
    fake.add("emails", 401, ms(8), hs_timestamp="2026-11-10T09:00:00Z", hs_email_direction="EMAIL",
             hs_email_subject="Budget", hubspot_owner_id=8)
    fake.associate("emails", 401, "contacts", 202)            # no company: placed by its contact
    fake.add("emails", 402, ms(9), hs_timestamp="2026-11-11T10:30:00Z", hs_email_direction="INCOMING_EMAIL")
    fake.associate("emails", 402, "contacts", 202)
    fake.associate("emails", 402, "companies", 101)
    fake.add("calls", 501, ms(10), hs_timestamp="2026-11-12T16:00:00Z", hs_call_direction="OUTBOUND",
             hs_call_disposition="f240bbac-87c9-4f6e-bf70-924b57d47db7", hs_call_title="Check-in")
    fake.associate("calls", 501, "contacts", 204)
    fake.associate("calls", 501, "companies", 102)
    fake.add("notes", 601, ms(11), hs_timestamp="2026-11-13T08:00:00Z", hubspot_owner_id=7)
    fake.associate("notes", 601, "companies", 102)
    return fake


@pytest.fixture(name="encryption")
def encryption_fixture(settings):
    settings.EXEC_SPONSOR_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]


@pytest.fixture(name="hubspot")
def hubspot_fixture(httpserver):
    fake = FakeHubSpot(token=TOKEN)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(respond(fake))
    return fake


@pytest.fixture(name="connection")
def connection_fixture(db, encryption, httpserver):
    return connection_create(name="hubspot", kind="hubspot", base_url=httpserver.url_for("/").rstrip("/"),
                             token=TOKEN)


class Sleeps(list):
    """The waits a connector asked for, in order (nothing really waits)."""

    def __call__(self, seconds):
        self.append(seconds)


def run(connection, *, full=False, sleeps=None):
    connector = build_connector(connection, sleep=sleeps if sleeps is not None else Sleeps())
    return sync_connection(connection, full=full, connector=connector)
