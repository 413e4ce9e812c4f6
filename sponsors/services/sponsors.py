"""Writes about sponsors (HackSoft style: keyword-only, one transaction, validation inside)."""

from django.db import transaction
from django.utils import timezone

from ..models import Alert, Contact


class SponsorError(Exception):
    """A sponsor change the rules refuse; the message says why."""


@transaction.atomic
def sponsor_assign_backup(*, contact: Contact, by=None) -> Contact:
    """Name ``contact`` a backup sponsor of its account."""
    if contact.status != Contact.Status.ACTIVE:
        raise SponsorError("a departed contact cannot be a backup sponsor")
    if not contact.is_executive:
        raise SponsorError("only an executive (executive sponsor, C-level or VP) can be a backup sponsor")
    if contact.sponsor == Contact.Sponsor.PRIMARY:
        raise SponsorError("is the primary sponsor; name another executive as backup")
    contact.sponsor = Contact.Sponsor.BACKUP
    contact.save(update_fields=["sponsor", "updated_at"])
    return contact


@transaction.atomic
def sponsor_assign_primary(*, contact: Contact, by=None) -> Contact:
    """Make ``contact`` the primary sponsor; the previous primary becomes a backup."""
    if contact.status != Contact.Status.ACTIVE:
        raise SponsorError("a departed contact cannot be the primary sponsor")
    previous = (Contact.objects.select_for_update().filter(account_id=contact.account_id, sponsor="primary")
                .exclude(pk=contact.pk).first())
    if previous:
        previous.sponsor = Contact.Sponsor.BACKUP if previous.status == Contact.Status.ACTIVE else ""
        previous.save(update_fields=["sponsor", "updated_at"])
    contact.sponsor = Contact.Sponsor.PRIMARY
    contact.save(update_fields=["sponsor", "updated_at"])
    return contact


@transaction.atomic
def sponsor_clear(*, contact: Contact, by=None) -> Contact:
    contact.sponsor = ""
    contact.save(update_fields=["sponsor", "updated_at"])
    return contact


@transaction.atomic
def sponsor_accept_succession(*, alert: Alert, by) -> Contact:
    """Make the backup proposed by a ``sponsor_departed`` alert (``Alert.proposed_primary``) the new
    primary sponsor."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    proposed = alert.proposed_primary_id if alert.code == "sponsor_departed" else None
    if not proposed:
        raise SponsorError("no backup sponsor was proposed for this departure (or it has since been removed); "
                           "name a new primary sponsor on the contact instead")
    contact = Contact.objects.get(pk=proposed, account_id=alert.account_id)
    sponsor_assign_primary(contact=contact, by=by)
    alert.details = {**alert.details, "succession_accepted_by": getattr(by, "email", ""),
                     "succession_accepted_at": timezone.now().isoformat()}
    fields = ["details"]
    if alert.status == Alert.Status.OPEN:
        alert.status, alert.acknowledged_at, alert.acknowledged_by = Alert.Status.ACKNOWLEDGED, timezone.now(), by
        fields += ["status", "acknowledged_at", "acknowledged_by"]
    alert.save(update_fields=fields)
    return contact
