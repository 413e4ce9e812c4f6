"""Reviewing org changes: the state a new change starts in, a CSM's confirm and dismiss, and what a
confirmed departure does to the contact.  Every org-change source (CRM diff, webhook, news, snapshot)
decides a new change's state with ``state_for`` and ``dismissed_fingerprints``."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..config import rules_config
from ..models import OrgChange
from ..rules.triage import TITLE_CHANGE_KINDS, change_fingerprint, needs_confirmation, title_from_headline
from ..services.sponsors import contact_confirm_title, contact_mark_departed


def state_for(confidence: float, *, dismissed: bool = False) -> str:
    """The review state a new change starts in: dismissed (a repeat of a dismissed change, or a mere
    rewording), pending (below ``low_confidence_threshold``: a CSM confirms it) or confirmed."""
    if dismissed:
        return OrgChange.State.DISMISSED
    if needs_confirmation(confidence, config=rules_config().guardrails):
        return OrgChange.State.PENDING
    return OrgChange.State.CONFIRMED


def dismissed_fingerprints(account_ids) -> set:
    """``{(account_id, fingerprint)}`` of dismissed changes: what must not alert again."""
    return set(OrgChange.objects.filter(account_id__in=list(account_ids), state=OrgChange.State.DISMISSED)
               .exclude(fingerprint="").values_list("account_id", "fingerprint"))


def fingerprint_of(change: OrgChange) -> str:
    return change_fingerprint(change.kind, change.contact_id, change.old_value,
                                         change.new_value or change.headline)


def apply_departure(change: OrgChange, *, by=None) -> None:
    """A confirmed departure: the contact is departed (as of the change's date), through the sponsor service."""
    if change.contact is None:
        return
    source = "app" if by is not None else _SOURCE_OF.get(change.source, "rule")
    contact_mark_departed(contact=change.contact, on=change.occurred_on, by=by, source=source,
                          reason=f"departure confirmed ({change.get_source_display()})")


# Where an org change came from, as an audit-trail source.
_SOURCE_OF = {"crm": "crm", "webhook": "webhook", "news": "news", "linkedin": "news", "manual": "app"}


def confirmed_title(change: OrgChange) -> str:
    """The new title a promotion or role change gives its contact: the value the source sent, else the
    title its headline names ("Nadia Dubois named Executive Vice President")."""
    if change.kind not in TITLE_CHANGE_KINDS or change.contact is None:
        return ""
    if change.source in ("crm", "webhook") and change.new_value:
        return change.new_value
    return title_from_headline(change.headline, change.contact.name)


@transaction.atomic
def org_change_confirm(*, change: OrgChange, by, title: str | None = None) -> OrgChange:
    """A CSM confirms a change (it may now alert): a departure marks the contact departed; a promotion or
    role change gives the contact its new title (``title``, else ``confirmed_title``)."""
    change = OrgChange.objects.select_for_update(of=("self",)).select_related("contact").get(pk=change.pk)
    change.state, change.reviewed_by, change.reviewed_at = OrgChange.State.CONFIRMED, by, timezone.now()
    change.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    if change.kind == "departure":
        apply_departure(change, by=by)
    new_title = confirmed_title(change) if title is None else title
    if new_title and change.contact is not None:
        contact_confirm_title(contact=change.contact, title=new_title, by=by,
                              reason=f"{change.get_kind_display().lower()} confirmed")
    return change


@transaction.atomic
def org_change_dismiss(*, change: OrgChange, by) -> OrgChange:
    """A CSM dismisses a change; the same change arriving again stays dismissed (its fingerprint)."""
    change = OrgChange.objects.select_for_update().get(pk=change.pk)
    change.state, change.reviewed_by, change.reviewed_at = OrgChange.State.DISMISSED, by, timezone.now()
    change.fingerprint = change.fingerprint or fingerprint_of(change)
    change.save(update_fields=["state", "reviewed_by", "reviewed_at", "fingerprint"])
    return change
