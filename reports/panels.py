"""The live panels of the account report page: what changed since last week, the open alerts, the org
changes awaiting confirmation, and the sponsors with their change history.  Reads only (selectors shaped
for the template); the actions that change them are the views in ``reports/views.py``, which call the
sponsors services.

Each ``*_panel`` function returns the template context of one ``{% partialdef %}`` fragment of
``reports/account_report.html``, so the page and the HTMX actions render the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db.models import Q
from django.utils import timezone

from accounts.inputs import safe_url
from reports.links import Link
from sponsors.audit import contact_changes
from sponsors.config import rules_config
from sponsors.models import Alert, Contact, OrgChange
from sponsors.selectors.departures import departure_days
from sponsors.selectors.history import score_changes

# --- what changed since last week -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Delta:
    """A score difference for display: ``direction`` is up/down/flat/none (none: no number to compare)."""

    value: int | None

    @property
    def direction(self) -> str:
        if self.value is None:
            return "none"
        return "up" if self.value > 0 else "down" if self.value < 0 else "flat"

    @property
    def text(self) -> str:
        if self.value is None:
            return ""
        if self.value > 0:
            return f"▲ {self.value}"
        if self.value < 0:
            return f"▼ {-self.value}"
        return "±0"


@dataclass(frozen=True, slots=True)
class FactorRow:
    label: str
    score_then: int | None
    score_now: int | None
    delta: Delta
    note_then: str
    note_now: str


@dataclass(frozen=True, slots=True)
class ExecutiveRow:
    name: str
    score_then: int | None          # None: not scored then (a new executive)
    score_now: int | None           # None: no longer scored (departed, no longer an executive)
    delta: Delta
    level_then: str | None
    level_now: str | None
    factors: tuple[FactorRow, ...]

    @property
    def level_changed(self) -> bool:
        return bool(self.level_then and self.level_now and self.level_then != self.level_now)


def _executive_row(change) -> ExecutiveRow:
    return ExecutiveRow(
        name=change.name, score_then=change.score_then, score_now=change.score_now, delta=Delta(change.delta),
        level_then=change.level_then, level_now=change.level_now,
        factors=tuple(FactorRow(label=f.label, score_then=f.score_then, score_now=f.score_now, delta=Delta(f.delta),
                                note_then=f.note_then, note_now=f.note_now) for f in change.factors),
    )


def changes_panel(*, account, as_of: date, days: int | None = None) -> dict:
    """Scores now against ``days`` (``ReportConfig.change_days``, 7) before ``as_of`` (from the stored snapshots).

    ``changes_state``: ``no_history`` (no snapshot on or before ``as_of - days``), ``stale`` (no
    snapshot after it either, so nothing to compare), ``no_change`` or ``changed``."""
    days = rules_config().report.change_days if days is None else days
    changes = score_changes(account=account, as_of=as_of, days=days)
    rows = tuple(_executive_row(c) for c in changes.changed)
    overall = changes.account
    if changes.then_as_of is None:
        state = "no_history"
    elif changes.now_as_of == changes.then_as_of:
        state = "stale"
    elif rows or (overall is not None and overall.changed):
        state = "changed"
    else:
        state = "no_change"
    return {
        "changes": changes,
        "changes_state": state,
        "changes_overall": _executive_row(overall) if overall is not None else None,
        "changes_rows": rows,
        "changes_unchanged": len(changes.contacts) - len(rows),
    }


# --- per-item links ------------------------------------------------------------------------------------

class AccountLinks:
    """The panels' per-item links of one account, each reversed once per page (``reports.links.Link``): a
    ``{% url %}`` per alert and per sponsor form cost the workspace ~50 reverse() calls."""

    def __init__(self, account_id: int):
        self.account_id = account_id

    @cached_property
    def acknowledge(self) -> Link:
        return Link("reports:alert_acknowledge", self.account_id, Link.ID)

    @cached_property
    def accept_succession(self) -> Link:
        return Link("reports:alert_accept_succession", self.account_id, Link.ID)

    @cached_property
    def contact_edit(self) -> Link:
        return Link("reports:contact_edit", self.account_id, Link.ID)

    @cached_property
    def contact_sponsor(self) -> Link:
        return Link("reports:contact_sponsor", self.account_id, Link.ID)

    @cached_property
    def contact_departed(self) -> Link:
        return Link("reports:contact_departed", self.account_id, Link.ID)


# --- open alerts ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertItem:
    alert: Alert
    account_links: AccountLinks | None = None

    @property
    def acknowledge_url(self) -> str:
        return self.account_links.acknowledge(self.alert.pk)

    @property
    def accept_succession_url(self) -> str:
        return self.account_links.accept_succession(self.alert.pk)

    @property
    def can_acknowledge(self) -> bool:
        return self.alert.status == Alert.Status.OPEN

    @property
    def proposed_primary_name(self) -> str | None:
        """The backup a ``sponsor_departed`` alert proposes as the new primary, until that is accepted."""
        if self.alert.code != "sponsor_departed" or self.alert.proposed_primary is None:
            return None
        if (self.alert.details or {}).get("succession_accepted_at"):
            return None
        return self.alert.proposed_primary.name

    @property
    def succession_accepted(self) -> bool:
        return bool((self.alert.details or {}).get("succession_accepted_at"))


def unresolved_alerts(account):
    return (Alert.objects.filter(account=account, status__in=[Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED])
            .select_related("acknowledged_by", "proposed_primary").order_by("-opened_at", "-pk"))


def alerts_panel(*, account, as_of: date | None = None, notice: str = "", error: str = "") -> dict:
    """The account's open and acknowledged alerts, newest first.  Alerts are the current state:
    ``alerts_current_only`` says so when the page shows another day."""
    links = AccountLinks(account.pk)
    return {
        "alert_items": [AlertItem(a, links) for a in unresolved_alerts(account)],
        "alerts_current_only": as_of is not None and as_of != timezone.localdate(),
        "alerts_notice": notice,
        "alerts_error": error,
    }


# --- org changes awaiting confirmation -------------------------------------------------------------------

@dataclass(frozen=True)
class OrgChangeItem:
    change: OrgChange

    @property
    def confidence_percent(self) -> int:
        return round(self.change.confidence * 100)

    @property
    def evidence_url(self) -> str:
        """The change's URL, else the link in its evidence (a news entry's), when it is http(s)."""
        return safe_url(self.change.url) or safe_url((self.change.evidence or {}).get("link"))


def pending_org_changes(account):
    return (OrgChange.objects.filter(account=account, state=OrgChange.State.PENDING)
            .select_related("contact").order_by("-occurred_on", "-pk"))


def org_changes_panel(*, account, notice: str = "", error: str = "") -> dict:
    return {
        "org_change_items": [OrgChangeItem(c) for c in pending_org_changes(account)],
        "org_changes_notice": notice,
        "org_changes_error": error,
    }


# --- sponsors: roles, status, and each one's change history ------------------------------------------------

SPONSOR_ORDER = {"primary": 0, "backup": 1, "": 2}


@dataclass(frozen=True)
class SponsorItem:
    contact: Contact
    history: tuple                      # sponsors.audit.Change, newest first
    left_on: date | None = None         # a confirmed departure org change, before the CRM's status says so
    confirmed_departure: bool = False
    links: AccountLinks | None = None

    @property
    def edit_url(self) -> str:
        return self.links.contact_edit(self.contact.pk)

    @property
    def sponsor_url(self) -> str:
        return self.links.contact_sponsor(self.contact.pk)

    @property
    def departed_url(self) -> str:
        return self.links.contact_departed(self.contact.pk)

    @property
    def departed(self) -> bool:
        return self.contact.status == Contact.Status.DEPARTED or self.confirmed_departure

    @property
    def can_be_sponsor(self) -> bool:
        return self.contact.is_executive and not self.departed


def sponsors_panel(*, account, user, notice: str = "", error: str = "", contacts=None, left=None) -> dict:
    """The account's executives and named sponsors (primary first) with their last role, status and title
    changes; ``sponsors_editable`` when the user may change roles (admins: server-enforced too).  One query,
    and one each for what is not given: ``contacts`` (every contact of the account, as the workspace has read
    them) and ``left`` (``departure_days`` of the account)."""
    if contacts is None:
        contacts = Contact.objects.filter(account=account).filter(Q(is_executive=True) | ~Q(sponsor=""))
    people = sorted((c for c in contacts if c.is_executive or c.sponsor),
                    key=lambda c: (SPONSOR_ORDER.get(c.sponsor, 3), c.status != "active", c.name.casefold()))
    history = contact_changes([c.pk for c in people], limit_per_contact=3)
    if left is None:
        left = departure_days(as_of=timezone.localdate(), account=account)
    links = AccountLinks(account.pk)
    return {
        "sponsor_items": [SponsorItem(c, tuple(history.get(c.pk, ())), left.get(c.pk), c.pk in left, links)
                          for c in people],
        "sponsors_editable": bool(getattr(user, "is_admin", False)),
        "sponsors_notice": notice,
        "sponsors_error": error,
    }
