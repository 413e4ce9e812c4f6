"""Per-user time zones: an IANA name (``Pacific/Auckland``), or empty for the site's ``TIME_ZONE``.

Pure Python (``zoneinfo``): the validator the ``User.time_zone`` field and the preference form share.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def time_zone_error(name: str) -> str:
    """'' when ``name`` is empty or a known IANA time zone, else the error to show (naming the value)."""
    if not name:
        return ""
    if not isinstance(name, str) or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return f"{name!r} is not an IANA time zone name (e.g. Europe/Paris, America/Los_Angeles)"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r} (use an IANA name, e.g. Europe/Paris, America/Los_Angeles)"
    return ""


def zone(name: str, default: str) -> ZoneInfo:
    """The zone named ``name``, or ``default`` (the site's) when ``name`` is empty or unknown."""
    return ZoneInfo(name) if name and not time_zone_error(name) else ZoneInfo(default)
