"""Helpers of the settings-effect tests (``tests/test_settings_effects*.py``, ``tests/test_issue8_bugs.py``).

Every case overrides one ``EXEC_SPONSOR_*`` setting through pytest-django's ``settings`` fixture (the
rules configuration is rebuilt when such a setting changes) and watches the product's real path:
import a snapshot document, then recompute scores, evaluate the guardrails, build the report, load
the portfolio, post a webhook, poll a feed or send an e-mail.

``covers(section, *fields)`` marks the test that proves those fields change behaviour;
``tests/test_settings_effects.py`` checks that every field of every section has one.

The document is ``tests/conftest.py``'s snapshot, as of AS_OF (2026-11-20).  Worked out by hand with
the defaults (window 365 days, enterprise target 12 meetings, reply cap 14 / grace 1, no-outreach 12):

* Priya Natarajan (c_1, primary, COO): meetings i_1 (1:1, 11-03) and i_2 (QBR, 10-01) -> 25 x 2/12
  = 4; no outbound -> 12; 1/1 QBRs -> 25; initiative High, goal on track, her one priority
  addressed -> 25.  Total 66, Engaged.  Last direct contact 11-03 (17 days).
* Marcus Holt (c_2, backup, VP): no meeting -> 0; one e-mail answered after 25.5 h = 1.0625 days
  -> 25 x (14 - 1.0625) / 13 = 24.9 -> 25; 0/1 QBRs -> 0; initiatives and goals -> 25.  Total 50,
  Passive.  Last direct contact (his reply) 11-11 (9 days).
* Lena Fischer (c_3, director) is no executive and is not scored.
* The account: 0.5 x 66 + 0.5 x 50 = 58, Passive.  Last executive touch 11-11 (Marcus's reply),
  9 days ago: within the enterprise cadence of 30 days and the 90-day no-contact limit.
* Guardrails: single_threaded (only Priya is engaged, 2 wanted) and org_change (oc_1, Priya's
  promotion on 11-18 with confidence 0.9: confirmed, not below the certain confidence 0.9 -> medium).
"""

from __future__ import annotations

import copy
import email
import threading
from contextlib import contextmanager
from email import policy

import pytest
from celery.signals import task_retry
from django.db import transaction
from django.test import override_settings

from sponsors.models import Alert, Contact, ScoreSnapshot
from sponsors.queue import SEND_OUTBOX_EMAIL
from sponsors.services.scores import recompute_scores

from .guardrails_support import AS_OF, account, import_document
from .worker_support import free_port, smtp_mailers, smtp_server

__all__ = ["AS_OF", "account", "import_document"]


def covers(section: str, *names: str):
    """Mark a test as the proof that ``section``'s settings ``names`` change behaviour end to end."""

    def mark(test):
        test.settings_covered = getattr(test, "settings_covered", frozenset()) | {(section, n) for n in names}
        return test

    return mark


def covered_by(module) -> set:
    """Every ``(section, field)`` the tests of ``module`` cover."""
    return {key for obj in vars(module).values() for key in getattr(obj, "settings_covered", ())}


class _Undo(Exception):
    pass


@contextmanager
def rolled_back():
    """Run a block and undo what it wrote in the database (to run the default case, then the override,
    on the same data without one leaving alerts or changes behind for the other)."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


def doc_contact(doc, ref):
    return next(c for c in doc["accounts"][0]["contacts"] if c["id"] == ref)


def doc_interaction(doc, ref):
    return next(i for i in doc["accounts"][0]["interactions"] if i["id"] == ref)


def add_interaction(doc, **fields):
    item = {"direction": "meeting", "responded_at": None, **fields}
    doc["accounts"][0]["interactions"].append(copy.deepcopy(item))
    return doc


# --- scores ------------------------------------------------------------------------------------


def scores(as_of=AS_OF) -> dict:
    """Recompute (the real service) and read back the stored snapshots of the day:
    ``{"c_1": snapshot, ..., None: the account's}``."""
    recompute_scores(as_of=as_of)
    out = {}
    for snap in ScoreSnapshot.objects.filter(as_of=as_of).select_related("contact"):
        out[snap.contact.external_id if snap.contact else None] = snap
    return out


def factors(snapshot) -> dict:
    """``{factor key: (score, note)}`` of a stored breakdown."""
    return {f["key"]: (f["score"], f["note"]) for f in snapshot.breakdown["factors"]}


def contact(ref) -> Contact:
    return Contact.objects.get(external_id=ref)


# --- alerts ------------------------------------------------------------------------------------


def unresolved(code=None) -> list[Alert]:
    qs = Alert.objects.exclude(status=Alert.Status.RESOLVED).order_by("pk")
    return list(qs.filter(code=code) if code else qs)


def codes() -> set[str]:
    return {a.code for a in unresolved()}


# --- a real SMTP server on loopback --------------------------------------------------------------


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    with smtp_server(Inbox()) as (inbox, port):
        with override_settings(MAILERS=smtp_mailers(port)):
            yield inbox


@pytest.fixture
def refusing_smtp():
    """An SMTP port on loopback where nobody listens: every connection is refused."""
    with override_settings(MAILERS=smtp_mailers(free_port())):
        yield


@pytest.fixture
def countdowns():
    """The countdown of every retry the send task asks Celery for (Celery's own ``task_retry`` signal)."""
    seen = []

    def on_retry(sender=None, reason=None, **kwargs):
        if sender.name == SEND_OUTBOX_EMAIL:
            seen.append(reason.when)

    task_retry.connect(on_retry, weak=False)
    try:
        yield seen
    finally:
        task_retry.disconnect(on_retry)
