"""THE door for sponsor and contact changes (HackSoft style: keyword-only, one transaction, rules inside).

The admin (forms and actions), the pages, the API, the CRM sync and the org-change sources all call
these, so the same rules hold on every path and every change lands in the audit trail
(``sponsors.audit``):

* only an executive (executive sponsor, C-level or VP) can be primary or backup sponsor;
* an account has one primary sponsor: naming a second is refused with a message naming the current one,
  unless the caller asks to replace them (the admin's and the page's "make primary"); the replaced
  primary becomes a backup when still an active executive, else holds no role;
* a departed person cannot be given a sponsor role; marking someone departed keeps the role they held
  (the escalation names it) until a succession or a person clears it;
* accepting a succession makes the proposed backup primary and leaves the departed person without a
  role — so the account now needs a new backup (``no_backup_sponsor`` opens, as it should).

Refusals are ``SponsorError`` (a ``ValidationError`` naming the field), and nothing is written.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.vocabulary import CONTACT_ROLES, is_executive

from ..audit import audited, ensure_baseline
from ..models import Alert, Contact
from ..selectors.departures import confirmed_departures

SPONSOR_ROLE_WORDS = {"primary": "the primary sponsor", "backup": "a backup sponsor"}


class SponsorError(ValidationError):
    """A sponsor or contact change the rules refuse; ``str()`` is the message, ``field`` the field at fault."""

    def __init__(self, message: str, *, field: str = "sponsor"):
        super().__init__({field: [message]})
        self.field = field
        self.text = message

    def __str__(self) -> str:
        return self.text


def _save(contact: Contact, fields: list[str], *, by, source: str, reason: str) -> Contact:
    audited(contact, by=by, source=source, reason=reason)
    contact.save(update_fields=[*fields, "updated_at"])
    return contact


def _locked(contact: Contact | None) -> Contact | None:
    """The contact as stored, locked for the transaction, with its state before this change in the trail."""
    if contact is None:
        return None
    contact = Contact.objects.select_for_update().select_related("account").get(pk=contact.pk)
    ensure_baseline(contact)
    return contact


def has_left(contact: Contact) -> bool:
    """The one rule of who has left (``AccountFacts.departures``), as of today: CRM status departed, or a
    confirmed departure org change (LinkedIn, the news, a webhook, a CSM) before the CRM catches up."""
    return contact.status == Contact.Status.DEPARTED or confirmed_departures(
        as_of=timezone.localdate(), contact=contact).exists()


def check_sponsor_role(contact: Contact, role: str) -> None:
    """Refuse ``role`` ("primary" / "backup") for a contact who cannot hold it (not written, just checked)."""
    if role not in SPONSOR_ROLE_WORDS:
        return
    what = SPONSOR_ROLE_WORDS[role]
    if has_left(contact):
        raise SponsorError(f"{contact.name} has left {contact.account.name}; a departed person cannot be {what}")
    if not is_executive(contact.roles):
        raise SponsorError(f"{contact.name} is not an executive (roles: {', '.join(contact.roles) or 'none'}); "
                           f"only an executive sponsor, C-level or VP can be {what}")


def check_sponsor_change(contact: Contact, *, sponsor: str, roles) -> None:
    """What a form checks before it saves a contact with ``sponsor`` and ``roles`` (nothing written): the
    same rules as the writes, with the same messages.  ``contact`` may be unsaved (a new one)."""
    if sponsor not in ("", "primary", "backup"):
        raise SponsorError(f"unknown sponsor role {sponsor!r}; use primary, backup or none")
    probe = Contact(pk=contact.pk, account=contact.account, name=contact.name, roles=list(roles),
                    status=contact.status) if contact.pk else contact
    probe.roles = list(roles)
    if sponsor and (sponsor != (Contact.objects.filter(pk=contact.pk).values_list("sponsor", flat=True).first()
                                if contact.pk else "")):
        check_sponsor_role(probe, sponsor)
    elif sponsor and not is_executive(roles):
        raise SponsorError(f"{contact.name} is {SPONSOR_ROLE_WORDS[sponsor]}; only an executive can be one, so "
                           f"remove the sponsor role before removing the executive roles", field="roles")
    if sponsor == "primary":
        other = Contact.objects.filter(account_id=contact.account_id, sponsor="primary").exclude(pk=contact.pk).first()
        if other is not None:
            raise SponsorError(f"{other.name} is already the primary sponsor of {contact.account.name}; make "
                               f"{other.name} a backup or remove their role first, or use the 'Make primary' "
                               f"action to replace them")


def current_primary(contact: Contact) -> Contact | None:
    """The account's primary sponsor other than ``contact`` (locked for the transaction)."""
    return _locked(Contact.objects.filter(account_id=contact.account_id, sponsor="primary")
                   .exclude(pk=contact.pk).first())


@transaction.atomic
def sponsor_assign_primary(*, contact: Contact, by=None, source: str = "app", replace_current: bool = False,
                           reason: str = "") -> Contact:
    """Make ``contact`` the primary sponsor.  With another primary on record: refused naming them, unless
    ``replace_current`` (then they become a backup if still an active executive, else hold no role)."""
    contact = _locked(contact)
    check_sponsor_role(contact, "primary")
    previous = current_primary(contact)
    if previous is not None:
        if not replace_current:
            raise SponsorError(f"{previous.name} is already the primary sponsor of {contact.account.name}; "
                               f"make {previous.name} a backup or remove their role first, or use "
                               f"'make primary' to replace them")
        keeps_backup = not has_left(previous) and is_executive(previous.roles)
        previous.sponsor = Contact.Sponsor.BACKUP if keeps_backup else Contact.Sponsor.NONE
        _save(previous, ["sponsor"], by=by, source=source, reason=f"{contact.name} became primary sponsor")
    contact.sponsor = Contact.Sponsor.PRIMARY
    return _save(contact, ["sponsor"], by=by, source=source, reason=reason or "named primary sponsor")


@transaction.atomic
def sponsor_assign_backup(*, contact: Contact, by=None, source: str = "app", reason: str = "") -> Contact:
    """Name ``contact`` a backup sponsor of its account."""
    contact = _locked(contact)
    check_sponsor_role(contact, "backup")
    if contact.sponsor == Contact.Sponsor.PRIMARY:
        raise SponsorError(f"{contact.name} is the primary sponsor; name another executive as backup")
    contact.sponsor = Contact.Sponsor.BACKUP
    return _save(contact, ["sponsor"], by=by, source=source, reason=reason or "named backup sponsor")


@transaction.atomic
def sponsor_clear(*, contact: Contact, by=None, source: str = "app", reason: str = "") -> Contact:
    """Remove the contact's sponsor role (primary or backup)."""
    contact = _locked(contact)
    if contact.sponsor == Contact.Sponsor.NONE:
        return contact
    contact.sponsor = Contact.Sponsor.NONE
    return _save(contact, ["sponsor"], by=by, source=source, reason=reason or "sponsor role removed")


SPONSOR_ROLES_SETTABLE = ("primary", "backup", "none")


def set_sponsor_role(*, contact: Contact, role: str, by=None, source: str = "app", replace_current: bool = False,
                     reason: str = "") -> Contact:
    """One entry for pages, the API and the admin: ``role`` = primary | backup | none."""
    if role == "primary":
        return sponsor_assign_primary(contact=contact, by=by, source=source, replace_current=replace_current,
                                      reason=reason)
    if role == "backup":
        return sponsor_assign_backup(contact=contact, by=by, source=source, reason=reason)
    if role == "none":
        return sponsor_clear(contact=contact, by=by, source=source, reason=reason)
    raise SponsorError(f"unknown role {role!r}; use one of {', '.join(SPONSOR_ROLES_SETTABLE)}", field="role")


@transaction.atomic
def contact_mark_departed(*, contact: Contact, on: date | None = None, by=None, source: str = "app",
                          reason: str = "") -> Contact:
    """The contact has left the customer (as of ``on``, default today).  Their sponsor role stays until a
    succession or a person clears it: the escalation names the role they held."""
    contact = _locked(contact)
    if contact.status == Contact.Status.DEPARTED and contact.departed_on:
        return contact
    contact.status = Contact.Status.DEPARTED
    contact.departed_on = contact.departed_on or on or timezone.localdate()
    return _save(contact, ["status", "departed_on"], by=by, source=source, reason=reason or "departed")


@transaction.atomic
def contact_confirm_title(*, contact: Contact, title: str, by=None, source: str = "app", reason: str = "") -> Contact:
    """A new title confirmed from an org change (promotion or role change)."""
    contact = _locked(contact)
    title = (title or "").strip()[:255]
    if not title or title == contact.title:
        return contact
    contact.title = title
    return _save(contact, ["title"], by=by, source=source, reason=reason or "title confirmed")


@transaction.atomic
def sponsor_accept_succession(*, alert: Alert, by, source: str = "app") -> Contact:
    """Make the backup proposed by a ``sponsor_departed`` alert (``Alert.proposed_primary``) the primary
    sponsor; the departed primary is left without a role."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    proposed = alert.proposed_primary_id if alert.code == "sponsor_departed" else None
    if not proposed:
        raise SponsorError("no backup sponsor was proposed for this departure (or it has since been removed); "
                           "name a new primary sponsor on the contact instead")
    contact = Contact.objects.get(pk=proposed, account_id=alert.account_id)
    sponsor_assign_primary(contact=contact, by=by, source=source, replace_current=True,
                           reason="succession accepted after the primary sponsor left")
    alert.details = {**alert.details, "succession_accepted_by": getattr(by, "email", ""),
                     "succession_accepted_at": timezone.now().isoformat()}
    fields = ["details"]
    if alert.status == Alert.Status.OPEN:
        alert.status, alert.acknowledged_at, alert.acknowledged_by = Alert.Status.ACKNOWLEDGED, timezone.now(), by
        fields += ["status", "acknowledged_at", "acknowledged_by"]
    audited(alert, by=by, source=source, reason="succession accepted")
    alert.save(update_fields=fields)
    return contact


# --- adding and editing executives ----------------------------------------------------------------

EDITABLE_FIELDS = ("name", "title", "email", "roles", "in_role_since", "priorities", "communication_preference",
                   "linkedin_url")


def _clean_roles(roles) -> list[str]:
    if not isinstance(roles, list | tuple) or not all(isinstance(r, str) for r in roles):
        raise SponsorError(f"roles must be a list of {', '.join(CONTACT_ROLES)}", field="roles")
    unknown = [r for r in roles if r not in CONTACT_ROLES]
    if unknown:
        raise SponsorError(f"unknown role(s) {', '.join(unknown)}; use {', '.join(CONTACT_ROLES)}", field="roles")
    return list(dict.fromkeys(roles))


@transaction.atomic
def contact_create(*, account, name: str, roles, by=None, source: str = "app", sponsor: str = "",
                   **fields) -> Contact:
    """Add a contact (an executive, when ``roles`` says so) to ``account``, optionally as a sponsor."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise SponsorError(f"{unknown[0]} cannot be set here", field=unknown[0])
    if not (name or "").strip():
        raise SponsorError("a name is required", field="name")
    contact = Contact(account=account, name=name.strip(), roles=_clean_roles(roles), **fields)
    contact.full_clean(exclude=["account", "sponsor", "external_id"])
    _save_new(contact, by=by, source=source)
    if sponsor == Contact.Sponsor.PRIMARY:
        sponsor_assign_primary(contact=contact, by=by, source=source)
    elif sponsor == Contact.Sponsor.BACKUP:
        sponsor_assign_backup(contact=contact, by=by, source=source)
    return Contact.objects.get(pk=contact.pk)


def _save_new(contact: Contact, *, by, source: str) -> None:
    audited(contact, by=by, source=source, reason="added")
    contact.save()


@transaction.atomic
def contact_update(*, contact: Contact, changes: dict, by=None, source: str = "app") -> Contact:
    """Edit a contact's details (``EDITABLE_FIELDS``).  A change of roles that would leave a sponsor who is
    not an executive is refused: remove the sponsor role first."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise SponsorError(f"{unknown[0]} cannot be changed here", field=unknown[0])
    contact = _locked(contact)
    if "roles" in changes:
        changes = {**changes, "roles": _clean_roles(changes["roles"])}
        if contact.sponsor and not is_executive(changes["roles"]):
            raise SponsorError(f"{contact.name} is {SPONSOR_ROLE_WORDS[contact.sponsor]}; only an executive can "
                               f"be one, so remove the sponsor role before removing the executive roles",
                               field="roles")
    changed = [f for f, value in changes.items() if getattr(contact, f) != value]
    for f in changed:
        setattr(contact, f, changes[f])
    if not changed:
        return contact
    contact.full_clean(exclude=["account", "sponsor", "external_id"])
    fields = [*changed, "is_executive"] if "roles" in changed else changed
    return _save(contact, fields, by=by, source=source, reason="details edited")
