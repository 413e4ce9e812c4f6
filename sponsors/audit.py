"""The audit trail: every change to a contact's sponsor role, status and title, to an interaction and to
an alert's state is a django-simple-history row with who (a user, or a source: the CRM, a webhook, the
news, a rule), when, the values then, and why.

Services mark the instance before they save it: ``audited(contact, by=user, source="admin", reason=…)``.
``contact_changes`` reads the trail back as "old → new" lines for the pages and the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from accounts.vocabulary import CHANGE_SOURCE_LABELS, CHANGE_SOURCES

from .models import Contact

# The contact fields whose changes the trail shows (sponsor role, status, title).
CONTACT_AUDITED_FIELDS = ("sponsor", "status", "title", "departed_on")
FIELD_LABELS = {"sponsor": "sponsor role", "status": "status", "title": "title", "departed_on": "departed on"}


def audited(instance, *, by=None, source: str = "app", reason: str = ""):
    """Mark ``instance`` so the history row its next save writes says who, from where and why."""
    if source not in CHANGE_SOURCES:
        raise ValueError(f"unknown change source {source!r} (sources: {', '.join(CHANGE_SOURCES)})")
    instance._history_user = by if getattr(by, "pk", None) else None
    instance._history_source = source
    instance._change_reason = reason[:100] if reason else None
    return instance


def ensure_baseline(instance) -> None:
    """Rows written in bulk (a CRM import) have no history yet: record their state before the first
    audited change, so the trail can say "old → new"."""
    if instance.pk is not None and not type(instance).history.filter(id=instance.pk).exists():
        type(instance).history.bulk_history_create([instance], default_change_reason="state before the first change")


@receiver(pre_create_historical_record, dispatch_uid="sponsors.audit.source")
def _record_source(sender, instance, history_instance, **kwargs):
    history_instance.history_source = getattr(instance, "_history_source", "app")


@dataclass(frozen=True, slots=True)
class Change:
    """One audited change of one field: ``old → new``, by whom or what, when, and why."""

    contact_id: int
    field: str
    old: str
    new: str
    at: datetime
    by: str                 # a user's name, or the source in words ("the CRM")
    reason: str

    @property
    def text(self) -> str:
        old = self.old or "—"
        new = self.new or "—"
        why = f" ({self.reason})" if self.reason else ""
        return f"{FIELD_LABELS[self.field].capitalize()}: {old} → {new}, by {self.by}{why}"


def _who(row) -> str:
    user = row.history_user
    if user is not None:
        return user.get_full_name() or user.email or user.username
    return CHANGE_SOURCE_LABELS.get(row.history_source, row.history_source)


def contact_changes(contact_ids, *, limit_per_contact: int = 5) -> dict[int, list[Change]]:
    """``{contact_id: [Change, newest first]}`` for the audited fields (one query over the history)."""
    rows = (Contact.history.filter(id__in=list(contact_ids)).select_related("history_user")
            .order_by("id", "history_date", "history_id"))
    last: dict[int, object] = {}
    out: dict[int, list[Change]] = {}
    for row in rows:
        before = last.get(row.id)
        last[row.id] = row
        if before is None:
            continue
        for field in CONTACT_AUDITED_FIELDS:
            old, new = getattr(before, field), getattr(row, field)
            if old != new:
                out.setdefault(row.id, []).append(Change(
                    contact_id=row.id, field=field, old=_text(field, old), new=_text(field, new),
                    at=row.history_date, by=_who(row), reason=row.history_change_reason or ""))
    return {cid: list(reversed(changes))[:limit_per_contact] for cid, changes in out.items()}


def _text(field: str, value) -> str:
    if value in (None, ""):
        return ""
    if field == "sponsor":
        return dict(Contact.Sponsor.choices).get(value, value)
    if field == "status":
        return dict(Contact.Status.choices).get(value, value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
