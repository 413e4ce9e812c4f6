"""Shared test helpers: a named cast of users and a small valid snapshot document to vary."""

import copy
import json
from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import User

AS_OF_ISO = "2026-11-20"

BASE_DOCUMENT = {
    "format": "exec-sponsor-snapshot/1",
    "exported_at": "2026-11-20T09:00:00Z",
    "accounts": [
        {
            "account": {
                "id": "acc_123", "name": "Northwind Health", "tier": "enterprise", "industry": "Healthcare",
                "owner": {"email": "dana@vendor.example", "name": "Dana Reyes"},
                "team": [
                    {"email": "dana@vendor.example", "name": "Dana Reyes", "role": "csm"},
                    {"email": "li@vendor.example", "name": "Li Wei", "role": "account_executive"},
                    {"email": "sam@vendor.example", "name": "Sam Ortiz", "role": "manager"},
                ],
                "contract": {"arr": 480000, "currency": "USD", "start_date": "2024-02-01",
                             "renewal_date": "2027-01-31"},
                "goals": [{"name": "Cut claim processing time 30%", "status": "on_track", "progress": 0.55}],
                "alignment": [{"our_initiative": "Claims automation rollout",
                               "their_priority": "Operational efficiency", "alignment": "high"}],
            },
            "contacts": [
                {"id": "c_1", "name": "Priya Natarajan", "title": "Chief Operating Officer",
                 "email": "priya@northwind.example", "roles": ["executive_sponsor", "c_level"],
                 "sponsor": "primary", "in_role_since": "2023-05-01", "priorities": ["Operational efficiency"],
                 "communication_preference": "in_person", "linkedin_url": "https://www.linkedin.com/in/example",
                 "status": "active"},
                {"id": "c_2", "name": "Marcus Holt", "title": "VP Finance", "roles": ["vp"], "sponsor": "backup"},
                {"id": "c_3", "name": "Lena Fischer", "title": "Director of IT", "roles": ["director"]},
            ],
            "interactions": [
                {"id": "i_1", "type": "one_on_one", "occurred_at": "2026-11-03T15:00:00Z", "contact_ids": ["c_1"],
                 "direction": "meeting", "purpose": "strategic", "topics": ["Renewal scope"],
                 "outcome": "Agreed to expand to two regions", "responded_at": None,
                 "logged_by": "dana@vendor.example"},
                {"id": "i_2", "type": "qbr", "occurred_at": "2026-10-01T14:00:00+02:00",
                 "contact_ids": ["c_1", "c_3"], "direction": "meeting"},
                {"id": "i_3", "type": "email", "occurred_at": "2026-11-10T09:00:00Z", "contact_ids": ["c_2"],
                 "direction": "outbound", "responded_at": "2026-11-11T10:30:00Z"},
            ],
            "metrics": {"as_of": "2026-11-01", "roi": 3.1, "strategic_goals_progress": 0.55,
                        "executive_dashboard_views": 14},
            "org_changes": [
                {"id": "oc_1", "contact_id": "c_1", "kind": "promotion", "occurred_on": "2026-11-18",
                 "source": "linkedin", "headline": "Priya Natarajan promoted", "url": None, "confidence": 0.9},
            ],
        }
    ],
}


@pytest.fixture
def document():
    """A fresh deep copy of the spec's example snapshot, to change per test."""
    return copy.deepcopy(BASE_DOCUMENT)


@pytest.fixture
def write_snapshot(tmp_path):
    def write(doc, name="snapshot.json"):
        path = tmp_path / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
        return str(path)

    return write


@pytest.fixture
def cast(db):
    """The named cast: an admin, a manager, a CSM on a team, a teammate and an outsider."""
    from accounts.models import Team

    def make(email, role=User.Role.CSM, **kw):
        return User.objects.create_user(username=email, email=email, password="pw", role=role, **kw)

    people = {
        "admin": make("ada@vendor.example", User.Role.ADMIN),
        "manager": make("sam@vendor.example", User.Role.MANAGER),
        "csm": make("dana@vendor.example"),
        "teammate": make("li@vendor.example"),
        "outsider": make("olga@vendor.example"),
    }
    team = Team.objects.create(name="East")
    team.managers.add(people["manager"])
    team.members.add(people["csm"], people["teammate"])
    return people


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs ~0.5 s per user; tests only need passwords to round-trip."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(client, cast):
    """The cast's admin, signed in with the Django admin's rights (staff and superuser)."""
    cast["admin"].is_staff = cast["admin"].is_superuser = True
    cast["admin"].save()
    client.force_login(cast["admin"])
    return client


@pytest.fixture
def frozen_nov_20_noon():
    """The clock of the workspace, inbox and portfolio tests: Friday 2026-11-20, 12:00 UTC, standing still."""
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        yield



@pytest.fixture(scope="session")
def live_server_connections_ended(django_db_setup, django_db_blocker):
    """For the browser tests: once they are done, end the database sessions the live server's request threads
    still hold (its threads are daemons; one is left idle holding its connection after the browser closes),
    so that pytest-django can drop the test database instead of warning that another session uses it."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
