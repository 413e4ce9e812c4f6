"""Shared mapping helpers: CRM values → the snapshot format's values (roles from titles, dates, numbers).

Every connector maps its records with these, so a title means the same role whether it came from HubSpot,
Salesforce or a file.  A value that cannot be mapped raises ``Malformed`` naming the field; the connector
turns it into a ``RecordProblem`` for that record."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ...rules.triage import title_rank


class Malformed(ValueError):
    """One record cannot be mapped; the message names the field."""


def roles_from_title(title: str) -> list[str]:
    rank = title_rank(title or "")
    return ["c_level"] if rank == 6 else ["vp"] if rank in (4, 5) else ["director"] if rank == 3 else []


def merge_roles(*groups) -> list[str]:
    roles = list(dict.fromkeys(r for group in groups for r in group if r))
    return roles or ["other"]


def iso_datetime(value, field: str) -> str | None:
    """An ISO 8601 date-time with a zone from an ISO text or epoch milliseconds (HubSpot sends both)."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            moment = datetime.fromtimestamp(int(value) / 1000, tz=UTC)
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise Malformed(f"{field}: {str(value)[:40]!r} is not a date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_moment(value) -> datetime | None:
    text = iso_datetime(value, "modified")
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def iso_date(value, field: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    if text.isdigit():                      # HubSpot date properties: midnight UTC in epoch milliseconds
        return iso_datetime(text, field)[:10]
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise Malformed(f"{field}: {text[:40]!r} is not a date") from None


def number(value, field: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise Malformed(f"{field}: {str(value)[:40]!r} is not a number") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise Malformed(f"{field}: {value!r} is not a number")
    return result


def slug(value) -> str:
    return str(value or "").strip().lower().replace("-", "_").replace(" ", "_")
