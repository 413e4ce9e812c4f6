"""The connector interface every CRM source implements, mirroring the spec's calls.

The spec's flow starts with ``crm.get_account``, ``crm.get_contacts``, ``crm.get_interactions`` and
``analytics.get_metrics``.  A connector answers them incrementally: ``get_accounts(since)``,
``get_contacts(since)`` and ``get_interactions(since)`` yield pages of records modified at or after
``since`` (None: everything), oldest first, and ``get_metrics()`` the analytics rows.  A record is an
``Item`` in the snapshot format (``docs/snapshot-format.md``): an ``account`` entry, a ``contact``, an
``interaction`` (``contact_ids`` are CRM contact ids) or ``metrics`` — so the records every source produces are
the ones the snapshot file produces, and one upsert path serves all of them.

Each page carries its ``watermark`` (the newest last-modified time in it): the sync stores the page and
advances the stream's watermark in one transaction, so a run stopped between pages resumes where the last
committed page ended.  A record the connector cannot map is a ``RecordProblem`` (object, id, why) on its page,
skipped; the rest goes on.  A failure of the whole source (an expired token, a refused request) is a
``ConnectorError`` with a message a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime


class ConnectorError(Exception):
    """The source cannot be read (authentication, a refused request, the network): the run stops, saying why."""


class AuthError(ConnectorError):
    """The credentials were refused (expired or revoked token, missing scope)."""


@dataclass(frozen=True, slots=True)
class RecordProblem:
    object: str          # the CRM object type: company, contact, meetings, Account, Event…
    id: str
    message: str

    def as_dict(self) -> dict:
        return {"object": self.object, "id": self.id, "message": self.message}


@dataclass(slots=True)
class Item:
    """One CRM record mapped to the snapshot format.

    ``kind``: ``account`` (``data`` is the snapshot's ``account`` object), ``person`` (a colleague: ``email``,
    ``name``; referenced as ``{"ref": id}`` from owners, teams and ``logged_by``), ``contact``, ``interaction``
    or ``metrics``.  ``account_key`` is the CRM id of the account it belongs to (None: not placed yet)."""

    kind: str
    key: str
    account_key: str | None
    data: dict
    modified_at: datetime | None = None
    archived: bool = False


@dataclass(slots=True)
class Page:
    stream: str
    items: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    watermark: datetime | None = None      # the newest last-modified time in the page
    total: int | None = None               # what the source announced for the stream (progress bar)


class Connector:
    """What a sync reads a CRM through.  ``streams`` are fetched in order (owners before the accounts that
    name them, accounts before their contacts, contacts before the interactions that list them)."""

    streams: tuple = ()

    def fetch(self, stream: str, since: datetime | None) -> Iterator[Page]:
        raise NotImplementedError

    # The spec's names for the same calls.
    def get_accounts(self, since=None) -> Iterator[Page]:
        return self.fetch("accounts", since)

    def get_contacts(self, since=None) -> Iterator[Page]:
        return self.fetch("contacts", since)

    def get_interactions(self, since=None) -> Iterator[Page]:
        for stream in self.streams:
            if stream not in ("owners", "accounts", "contacts"):
                yield from self.fetch(stream, since)

    def get_metrics(self) -> Iterator[Page]:
        return iter(())
