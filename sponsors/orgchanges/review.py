"""Reviewing org changes: the state a new change starts in, a CSM's confirm and dismiss, and what a
confirmed departure does to the contact.  Every org-change source (CRM diff, webhook, news, snapshot)
decides a new change's state with ``state_for`` and ``dismissed_fingerprints``."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..config import rules_config
from ..models import Contact, OrgChange
from ..rules.triage import change_fingerprint, needs_confirmation


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


def apply_departure(change: OrgChange) -> None:
    """A confirmed departure: the contact is departed (as of the change's date)."""
    contact = change.contact
    if contact is None or contact.status == Contact.Status.DEPARTED and contact.departed_on:
        return
    contact.status = Contact.Status.DEPARTED
    contact.departed_on = contact.departed_on or change.occurred_on
    contact.save(update_fields=["status", "departed_on", "updated_at"])


@transaction.atomic
def org_change_confirm(*, change: OrgChange, by) -> OrgChange:
    """A CSM confirms a change (it may now alert; a departure marks the contact departed)."""
    change = OrgChange.objects.select_for_update(of=("self",)).select_related("contact").get(pk=change.pk)
    change.state, change.reviewed_by, change.reviewed_at = OrgChange.State.CONFIRMED, by, timezone.now()
    change.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    if change.kind == "departure":
        apply_departure(change)
    return change


@transaction.atomic
def org_change_dismiss(*, change: OrgChange, by) -> OrgChange:
    """A CSM dismisses a change; the same change arriving again stays dismissed (its fingerprint)."""
    change = OrgChange.objects.select_for_update().get(pk=change.pk)
    change.state, change.reviewed_by, change.reviewed_at = OrgChange.State.DISMISSED, by, timezone.now()
    change.fingerprint = change.fingerprint or fingerprint_of(change)
    change.save(update_fields=["state", "reviewed_by", "reviewed_at", "fingerprint"])
    return change
