"""Parsing request and command-line parameters into domain values, with errors naming the field."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


class BadParameter(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_as_of(value: str | None, *, field: str = "as_of") -> date:
    """``YYYY-MM-DD`` -> date; empty -> today in the configured time zone."""
    if value is None or not str(value).strip():
        return timezone.localdate()
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadParameter(field, f"{str(value)[:40]!r} is not a date (YYYY-MM-DD)") from None
