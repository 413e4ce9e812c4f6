"""The rules every input and every rendered link shares, in one place: the safe-URL rule (http/https
only).  Pure Python: parsers, templates and e-mails all call it."""

from __future__ import annotations

from urllib.parse import urlsplit

SAFE_URL_SCHEMES = frozenset({"http", "https"})


def safe_url(value) -> str:
    """``value`` if it is an absolute http(s) URL, else '' (no ``javascript:``, ``data:`` or relative links)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme.lower() in SAFE_URL_SCHEMES and parts.netloc else ""
