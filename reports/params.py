"""Parsing request and command-line parameters into domain values, with errors naming the field.

Dates go through THE product date range (``accounts.inputs``): ``?as_of=0001-01-01`` is a 400
naming ``as_of``, never an ``OverflowError`` in the rules."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from accounts.inputs import InputError, parse_date


class BadParameter(InputError):
    """A bad request or command-line parameter (``field``: its name)."""


def parse_as_of(value: str | None, *, field: str = "as_of") -> date:
    """``YYYY-MM-DD`` inside the product's date range -> date; empty -> today in the configured time zone."""
    if value is None or not str(value).strip():
        return timezone.localdate()
    try:
        return parse_date(str(value), field=field)
    except InputError as exc:
        raise BadParameter(field, exc.message) from None


def form_errors(form) -> list[str]:
    """A bound form's errors as ``"field: message"`` lines (a form-wide one without a field), for a notice or
    a plain-text 400."""
    return [f"{name}: {e}" if name != "__all__" else e for name, errs in form.errors.items() for e in errs]
