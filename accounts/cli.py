"""What the management commands share: the ``--as-of`` date and finding an account by its id."""

from argparse import ArgumentTypeError
from datetime import date

from django.core.management.base import CommandError

from .inputs import InputError, parse_date
from .models import Account


def as_of_date(value: str) -> date:
    """argparse type of ``--as-of``: a calendar date, YYYY-MM-DD, inside the product's date range."""
    try:
        return parse_date(value, field="--as-of")
    except InputError as exc:
        raise ArgumentTypeError(exc.message) from None


def resolve_account(value: str, *, label: str = "--account") -> Account:
    """An account by its CRM (external) id, or by primary key (``pk:12``, or a plain number that is
    nobody's external id).  Unknown or ambiguous → CommandError naming ``label``."""
    value = value.strip()
    if value.startswith("pk:"):
        pk = value[3:]
        if not pk.isdigit():
            raise CommandError(f"{label} {value!r}: pk: must be followed by a number")
        found = Account.objects.filter(pk=int(pk)).first()
        if found is None:
            raise CommandError(f"{label} {value!r} not found: no account with that pk")
        return found
    matches = list(Account.objects.filter(external_id=value).order_by("pk")[:5])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listed = ", ".join(f"{a.source}/{a.external_id} (pk:{a.pk})" for a in matches)
        hint = "--account pk:N" if label == "--account" else "pk:N"
        raise CommandError(f"{label} {value!r} is the external id of several accounts: {listed}; pass {hint}")
    if value.isdigit():
        found = Account.objects.filter(pk=int(value)).first()
        if found is not None:
            return found
    raise CommandError(f"{label} {value!r} not found: no account with that external id or pk "
                       "(use its CRM id, e.g. acc_00001, or pk:N)")
