"""Secrets stored in the database, encrypted at rest (the teams' Slack webhook URLs).

Fernet (``cryptography``: AES-128-CBC with an HMAC-SHA256, a timestamp and a version byte) with the keys
of ``EXEC_SPONSOR_ENCRYPTION_KEYS`` (the environment): the first key encrypts, every key decrypts
(``MultiFernet``), so a key is rotated by putting the new one first and keeping the old one until
``rotate`` has re-encrypted the stored values.  Without a key, storing or reading a secret is refused
with an error naming the setting — never a plaintext fallback.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SETTING = "EXEC_SPONSOR_ENCRYPTION_KEYS"


class SecretUnreadable(Exception):
    """A stored secret no configured key opens (a removed key, or a tampered value)."""


def _fernet() -> MultiFernet:
    keys = getattr(settings, SETTING, None) or []
    if isinstance(keys, str):
        keys = [k for k in keys.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured(f"{SETTING} is not set: it is needed to store secrets such as Slack webhook "
                                   "URLs (generate a key with cryptography.fernet.Fernet.generate_key())")
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"{SETTING}: a key is not a valid Fernet key ({exc})") from None


def configuration_problem() -> str:
    """Why no secret can be stored now (no key, a bad key), or "" — for forms to say so on the field."""
    try:
        _fernet()
    except ImproperlyConfigured as exc:
        return str(exc)
    return ""


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(f"a stored secret cannot be decrypted with the keys of {SETTING}") from None


def rotate(token: str) -> str:
    """The same secret encrypted with the first key."""
    return _fernet().rotate(token.encode()).decode()
