"""Writes about sponsors (HackSoft style: keyword-only, one transaction, validation inside)."""

from django.db import transaction

from .models import Contact


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
