"""Who is calling the API, and how often.

``ApiTokenAuthentication``: ``Authorization: Bearer est_…`` (or ``Token est_…``), a personal token made on
``/settings/api-tokens/`` or with ``manage.py api_token``; checked by ``accounts.tokens``.  It is the first
authentication class, so an anonymous caller gets a 401 with ``WWW-Authenticate: Bearer``; the browser's
session (``SessionAuthentication``, CSRF enforced on writes) comes second.

``TokenRateThrottle``: ``settings.API_RATE`` requests per token (a session: per user); beyond it a 429
with ``Retry-After``.  Counters in the ``api-throttle`` cache (Redis when ``REDIS_URL`` is set)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken
from accounts.tokens import token_authenticate

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    """A personal API token in the ``Authorization`` header."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the header as “Authorization: Bearer <token>”, one token, no spaces.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raw = ""
        token = token_authenticate(raw)
        if token is None:
            raise AuthenticationFailed("This token is unknown or revoked (tokens: /settings/api-tokens/).")
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class TokenRateThrottle(SimpleRateThrottle):
    """``settings.API_RATE`` (e.g. ``600/minute``) per token, or per user for a browser session."""

    scope = "api"
    cache = caches["api-throttle"]

    def get_rate(self):
        return settings.API_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None          # anonymous callers are refused (401) before they are counted
        return self.cache_format % {"scope": self.scope, "ident": ident}
