"""Absolute links into the app for messages read outside it (e-mail, Slack): ``SITE_URL`` + a path.

Pages are named URLs (``reports:account_report``); resolving a name is a lookup at run time, not an
import, so the outbox links to the top floor's pages without importing it.  Every link passes the one
safe-URL rule; a ``SITE_URL`` that is not an absolute http(s) URL is an error naming the setting.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.inputs import safe_url


def site_url() -> str:
    base = safe_url(getattr(settings, "SITE_URL", "") or "")
    if not base:
        raise ImproperlyConfigured(f"SITE_URL must be the app's absolute http(s) address, got "
                                   f"{getattr(settings, 'SITE_URL', '')!r}")
    return base.rstrip("/")


def absolute(path: str, **query) -> str:
    """``SITE_URL`` + ``path`` (+ ``?query``)."""
    tail = f"?{urlencode(query)}" if query else ""
    return f"{site_url()}{path}{tail}"


def url(name: str, *args, **query) -> str:
    """The absolute URL of the named page: ``url("reports:account_report", 12)``."""
    return absolute(reverse(name, args=args), **query)


def account_url(account_id) -> str:
    return url("reports:account_report", account_id)
