"""Personal API tokens: THE door for making, checking and revoking them (``ApiToken``).

A token is ``est_`` followed by 43 URL-safe characters (256 random bits).  Only its SHA-256 digest is
kept; the token is returned once by ``token_create`` and never again.  ``token_authenticate`` finds the
active token of an active user by digest and records its last use (at most one write a minute per token,
so a busy client does not write on every request)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .inputs import text_problem
from .models import ApiToken, User

TOKEN_PREFIX = "est_"
TOKEN_SHAPE = re.compile(r"est_[A-Za-z0-9_-]{43}", re.ASCII)
SHOWN_PREFIX_LENGTH = 12                          # "est_" + 8 characters
MAX_ACTIVE_TOKENS = 20                            # per user
LAST_USE_RESOLUTION = timedelta(minutes=1)        # last use is recorded to the minute
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def _clean_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "Name the token after what will use it, e.g. “Slack bot”."})
    name = " ".join(name.split())
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"At most {NAME_MAX_LENGTH} characters (this one has {len(name)})."})
    if why := text_problem(name):
        raise ValidationError({"name": f"The name {why}."})
    return name


@transaction.atomic
def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: ``(token row, the token itself)``; the token is never shown again."""
    name = _clean_name(name)
    User.objects.select_for_update().filter(pk=user.pk).first()     # one creation per user at a time
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError({"name": f"You already have {MAX_ACTIVE_TOKENS} active tokens: revoke one you no "
                                       "longer use first."})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:SHOWN_PREFIX_LENGTH], digest=digest_of(raw))
    return token, raw


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token ``raw`` is, of an active user (with ``.user`` loaded), or None."""
    if not isinstance(raw, str) or not TOKEN_SHAPE.fullmatch(raw):
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(digest=digest_of(raw), revoked_at__isnull=True, user__is_active=True).first())
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke one of ``by``'s own tokens (at once: the next request with it is a 401).  Revoking twice is
    harmless; someone else's token is refused."""
    if token.user_id != by.pk:
        raise ValidationError({"token": "Not one of your tokens."})
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=token.revoked_at)
    return token


def tokens_of(user: User, *, include_revoked: bool = False):
    tokens = ApiToken.objects.filter(user=user)
    return tokens if include_revoked else tokens.filter(revoked_at__isnull=True)
