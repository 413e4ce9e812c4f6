"""The one door for CRM connections: create one, store its credentials encrypted, read them back.

Credentials are a HubSpot private-app token, a Salesforce access token, or a Salesforce username-password
flow given as a JSON object (``{"username": …, "password": …, "security_token": …, "domain": "login"}``).
They are stored encrypted with ``sponsors.crypto`` (Fernet, keys from ``EXEC_SPONSOR_ENCRYPTION_KEYS``) and
shown only by a hint; or the connection names an environment variable (``token_env``) read at run time, so
the secret never enters the database."""

from __future__ import annotations

import json
import os
import re
import time

from django.core.exceptions import ValidationError
from django.db import connection as database

from .. import crypto
from ..config import rules_config
from ..models import CrmConnection
from ..queue import SYNC_CRM_CONNECTION, queue_on_commit
from .connectors.analytics import AnalyticsSource
from .connectors.base import AuthError
from .connectors.hubspot import HubSpotConnector

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
RESERVED_NAMES = {"snapshot"}         # import_snapshot's default source


def connection_create(*, name: str, kind: str, base_url: str = "", api_prefix: str = "", token: str = "",
                      token_env: str = "", options: dict | None = None, analytics_url: str = "",
                      analytics_csv: str = "") -> CrmConnection:
    """A new connection; a bad value is a ValidationError naming its field, and nothing is written."""
    if not NAME.match(name or "") or name in RESERVED_NAMES:
        raise ValidationError({"name": f"{name!r}: use 1–32 lower-case letters, digits, '-' or '_' (not 'snapshot'); "
                                       "it becomes the source name of the connection's accounts"})
    if kind not in CrmConnection.Kind.values:
        raise ValidationError({"kind": f"{kind!r}: choose {' or '.join(CrmConnection.Kind.values)}"})
    if CrmConnection.objects.filter(name=name).exists():
        raise ValidationError({"name": f"a connection named {name!r} exists"})
    if token_env and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", token_env):
        raise ValidationError({"token_env": f"{token_env!r} is not an environment variable name"})
    connection = CrmConnection(name=name, kind=kind, base_url=base_url, api_prefix=api_prefix, token_env=token_env,
                               options=options or {}, analytics_url=analytics_url, analytics_csv=analytics_csv)
    if token:
        connection_set_credentials(connection, token, save=False)
    connection.full_clean(exclude=["credentials_encrypted", "credential_hint"])
    connection.save()
    return connection


def connection_set_credentials(connection: CrmConnection, secret: str, *, save: bool = True) -> None:
    """Encrypt and keep ``secret`` (a token, or a JSON object of a username-password flow)."""
    secret = (secret or "").strip()
    if not secret:
        raise ValidationError({"credentials": "enter the token (or the JSON credentials)"})
    if secret.startswith("{"):
        try:
            parsed = json.loads(secret)
        except ValueError:
            raise ValidationError({"credentials": "starts with '{' but is not a JSON object"}) from None
        hint = f"{parsed.get('username', 'credentials')}"[:30]
    else:
        hint = f"…{secret[-4:]}"
    connection.credentials_encrypted = crypto.encrypt(secret)
    connection.credential_hint = hint
    if save:
        connection.save(update_fields=["credentials_encrypted", "credential_hint", "updated_at"])


def connection_credentials(connection: CrmConnection) -> dict:
    """``{"token": …}`` or the JSON object stored; an ``AuthError`` saying what is missing otherwise."""
    if connection.token_env:
        secret = os.environ.get(connection.token_env, "")
        if not secret:
            raise AuthError(f"the environment variable {connection.token_env} (the token of connection "
                            f"{connection.name!r}) is not set for this process")
    elif connection.credentials_encrypted:
        try:
            secret = crypto.decrypt(connection.credentials_encrypted)
        except crypto.SecretUnreadable as exc:
            raise AuthError(f"the stored credentials of {connection.name!r} cannot be read: {exc}") from None
    else:
        raise AuthError(f"connection {connection.name!r} has no credentials: store a token in the admin or give "
                        "it --token-env VAR")
    return json.loads(secret) if secret.startswith("{") else {"token": secret}


def build_connector(connection: CrmConnection, *, sleep=time.sleep):
    """The connection's connector, with its credentials, its analytics source and the rules' manners."""
    from .connectors.salesforce import SalesforceConnector  # noqa: PLC0415 - simple-salesforce loads zeep/lxml

    conf = rules_config().crm
    credentials = connection_credentials(connection)
    if connection.kind == "hubspot":
        connector = HubSpotConnector(token=credentials.get("token", ""), conf=conf, base_url=connection.base_url,
                                     prefix=connection.api_prefix, options=connection.options, sleep=sleep)
    else:
        connector = SalesforceConnector(credentials=credentials, conf=conf, instance_url=connection.base_url,
                                        version=connection.api_prefix, options=connection.options, sleep=sleep)
    if connection.analytics_url or connection.analytics_csv:
        source = AnalyticsSource(url=connection.analytics_url, csv_path=connection.analytics_csv, conf=conf,
                                 sleep=sleep)
        connector.get_metrics = source.pages
    return connector


EDITABLE = ("kind", "base_url", "api_prefix", "token_env", "options", "analytics_url", "analytics_csv", "enabled")


def connection_update(connection: CrmConnection, *, secret: str = "", **changes) -> CrmConnection:
    """Change a connection's settings (``EDITABLE``) and, when ``secret`` is given, its credentials."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({unknown[0]: "cannot be changed here"})
    for name, value in changes.items():
        setattr(connection, name, value)
    if secret:
        connection_set_credentials(connection, secret, save=False)
    connection.full_clean(exclude=["credentials_encrypted", "credential_hint"], validate_unique=False)
    connection.save()
    return connection


def sync_unavailable() -> str:
    """Why no CRM sync can run on this database, or "": the mirror is written with PostgreSQL's upserts, so the
    embedded SQLite demo (no ``DATABASE_URL``) imports snapshot files only."""
    if database.vendor != "postgresql":
        return ("CRM sync needs PostgreSQL: set DATABASE_URL (the embedded SQLite demo imports snapshot files "
                "only, with import_snapshot)")
    return ""


def connection_sync_soon(connection: CrmConnection, *, full: bool = False, trigger: str = "admin") -> None:
    """Queue a run of ``connection`` when the current transaction commits (the admin's "Sync now");
    a ValidationError says why not when this database cannot sync."""
    if problem := sync_unavailable():
        raise ValidationError(problem)
    queue_on_commit(SYNC_CRM_CONNECTION, connection.pk, full, trigger)
