"""Job-change webhooks: verify the signature, store the delivery, process it on Celery into org changes.

``receive_webhook`` → ``WebhookDelivery`` → (task) ``process_webhook_delivery``.  The payload format is
described in the README and ``schemas/job-change-v1.schema.json``.

Nothing is stored unless it is acceptable: the body is at most ``MAX_BODY_BYTES``, the signature check
never raises on odd headers, the JSON is decoded safely (depth, NaN, NUL characters:
``accounts.inputs.decode_json``) and validated against the schema (event, sizes, dates inside the
product range, confidence 0..1) and the checks a schema cannot express (a person to match, a real
calendar date) — any problem is a 400 naming the JSON path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from functools import cache
from pathlib import Path

import jsonschema
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.inputs import InputError, decode_json, parse_date
from accounts.json_problems import schema_problems
from accounts.models import Account

from ..config import rules_config
from ..models import Contact, OrgChange, WebhookDelivery
from ..queue import PROCESS_WEBHOOK_DELIVERY, queue_on_commit
from ..rules.triage import change_fingerprint, is_trivial_company_rename, normalize_company, title_change_kind
from .review import apply_departure, dismissed_fingerprints, state_for

MAX_BODY_BYTES = 64 * 1024
MAX_PAYLOAD_DEPTH = 8
SCHEMA_PATH = Path(__file__).with_name("schemas") / "job-change-v1.schema.json"
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)


@cache
def payload_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


class WebhookRefused(Exception):
    """A delivery we do not accept; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def webhook_secret(provider: str) -> str | None:
    return (getattr(settings, "EXEC_SPONSOR_WEBHOOK_SECRETS", {}) or {}).get(provider)


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The signature a provider sends: hex HMAC-SHA256 over ``"<timestamp>." + raw body``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(*, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float,
                     tolerance: int) -> None:
    """Raise ``WebhookRefused`` unless the signature is right and the timestamp within ``tolerance``."""
    if not timestamp or not signature:
        raise WebhookRefused(401, "missing X-Timestamp or X-Signature header")
    timestamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        raise WebhookRefused(400, "X-Timestamp must be unix seconds")
    if abs(now - int(timestamp)) > tolerance:
        raise WebhookRefused(401, f"X-Timestamp is more than {tolerance} seconds away from now (replay refused)")
    signature = signature.strip().lower()
    if not _SIGNATURE.fullmatch(signature):   # non-ASCII or odd lengths never reach compare_digest
        raise WebhookRefused(401, "X-Signature must be the 64 hex digits of an HMAC-SHA256")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise WebhookRefused(401, "X-Signature does not match the body")


def receive_webhook(*, provider: str, body: bytes, timestamp: str | None, signature: str | None,
                    now: float | None = None) -> tuple[WebhookDelivery, bool]:
    """Verify and store one delivery; returns ``(delivery, created)``.  A delivery id seen before is
    not stored or processed again (``created`` False).  Processing is queued on commit."""
    secret = webhook_secret(provider)
    if not secret:
        raise WebhookRefused(404, f"unknown webhook provider {provider!r}")
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRefused(413, f"the body is {len(body):,} bytes; at most {MAX_BODY_BYTES:,} are accepted")
    tolerance = rules_config().triage.webhook_tolerance_seconds
    verify_signature(secret=secret, timestamp=timestamp, signature=signature, body=body,
                     now=timezone.now().timestamp() if now is None else now, tolerance=tolerance)
    payload = checked_payload(body)
    delivery_id = str(payload.get("id") or hashlib.sha256(body).hexdigest())
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(provider=provider, delivery_id=delivery_id, payload=payload)
            queue_on_commit(PROCESS_WEBHOOK_DELIVERY, delivery.pk)
    except IntegrityError:
        return WebhookDelivery.objects.get(provider=provider, delivery_id=delivery_id), False
    return delivery, True


class PayloadError(ValueError):
    pass


def checked_payload(body: bytes) -> dict:
    """The decoded payload, or ``WebhookRefused(400)`` naming each JSON path at fault."""
    try:
        payload = decode_json(body, max_depth=MAX_PAYLOAD_DEPTH)
    except InputError as exc:
        raise WebhookRefused(400, f"the body is not acceptable JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise WebhookRefused(400, "the body must be a JSON object")
    problems = schema_problems(payload_validator(), payload, limit=10)
    if problems:
        raise WebhookRefused(400, "; ".join(str(p) for p in problems))
    try:
        _parse_job_change(payload)
    except PayloadError as exc:
        raise WebhookRefused(400, str(exc)) from None
    return payload


def _text(d, key, limit=255) -> str:
    value = d.get(key) if isinstance(d, dict) else None
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{key}: must be a string")
    return value.strip()[:limit]


def _parse_job_change(payload: dict) -> dict:
    if payload.get("event") != "job_change":
        raise PayloadError(f"event: must be 'job_change', got {payload.get('event')!r}"[:200])
    person = payload.get("person")
    if not isinstance(person, dict):
        raise PayloadError("person: must be an object with name, email or linkedin_url")
    out = {
        "name": _text(person, "name"), "email": _text(person, "email"),
        "linkedin_url": _text(person, "linkedin_url", 500).rstrip("/"),
        "previous_company": _text(payload.get("previous") or {}, "company"),
        "previous_title": _text(payload.get("previous") or {}, "title"),
        "current_company": _text(payload.get("current") or {}, "company"),
        "current_title": _text(payload.get("current") or {}, "title"),
    }
    if not (out["name"] or out["email"] or out["linkedin_url"]):
        raise PayloadError("person: needs a name, email or linkedin_url")
    try:
        out["occurred_on"] = parse_date(payload["occurred_on"], field="occurred_on") if payload.get(
            "occurred_on") else None
    except InputError as exc:
        raise PayloadError(str(exc)) from None
    confidence = payload.get("confidence")
    confidence = rules_config().triage.webhook_confidence if confidence is None else confidence
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not (
            math.isfinite(confidence) and 0 <= confidence <= 1):
        raise PayloadError("confidence: must be a number from 0 to 1")
    out["confidence"] = float(confidence)
    return out


def _match_contacts(change: dict) -> list[Contact]:
    q = Q()
    if change["email"]:
        q |= Q(email__iexact=change["email"])
    if change["linkedin_url"]:
        q |= Q(linkedin_url__iexact=change["linkedin_url"]) | Q(linkedin_url__iexact=change["linkedin_url"] + "/")
    found = list(Contact.objects.filter(q).select_related("account")) if q else []
    if found or not (change["name"] and change["previous_company"]):
        return found
    company = normalize_company(change["previous_company"])
    first = company.split()[0] if company else ""
    accounts = [a.pk for a in Account.objects.filter(name__icontains=first)
                if normalize_company(a.name) == company] if first else []
    return list(Contact.objects.filter(account_id__in=accounts, name__iexact=change["name"]).select_related("account"))


def process_webhook_delivery(*, delivery_id) -> str:
    """Turn a stored job-change delivery into org changes (idempotent: processed once)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            return "missing"
        if delivery.processed_at is not None:
            return "already processed"
        try:
            outcome = _process_job_change(delivery)
            delivery.error = ""
        except PayloadError as exc:
            outcome = f"refused: {exc}"
            delivery.error = str(exc)
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["processed_at", "error"])
    return outcome


def _process_job_change(delivery: WebhookDelivery) -> str:
    change = _parse_job_change(delivery.payload)
    contacts = _match_contacts(change)
    if not contacts:
        raise PayloadError("no contact matches this person (e-mail, LinkedIn URL or name at the previous company)")
    occurred_on = change["occurred_on"] or timezone.localdate()
    dismissed = dismissed_fingerprints({c.account_id for c in contacts})
    created = []
    for contact in contacts:
        account = contact.account
        moved = change["current_company"] and not is_trivial_company_rename(
            account.name, change["current_company"])
        old_title = change["previous_title"] or contact.title
        if moved:
            kind, old, new = "departure", account.name, change["current_company"]
            headline = f"{contact.name} left {account.name} for {change['current_company']}"
            if change["current_title"]:
                headline += f" ({change['current_title']})"
        else:
            kind = title_change_kind(old_title, change["current_title"]) if change["current_title"] else None
            if kind is None:
                continue  # same company (maybe renamed), same title: nothing happened
            old, new = old_title, change["current_title"]
            headline = f"{contact.name}: {old or '(no title)'} → {new}"
        trivial = kind == "trivial"
        kind = "role_change" if trivial else kind
        fp = change_fingerprint(kind, contact.pk, old, new)
        state = state_for(change["confidence"], dismissed=trivial or (account.pk, fp) in dismissed)
        oc, was_created = OrgChange.objects.get_or_create(
            account=account, external_id=f"webhook:{delivery.provider}:{delivery.delivery_id}:{contact.pk}"[:128],
            defaults=dict(
                contact=contact, kind=kind, occurred_on=occurred_on, source="webhook", headline=headline[:500],
                confidence=change["confidence"], state=state, old_value=old[:500], new_value=new[:500],
                fingerprint=fp, evidence={"provider": delivery.provider, "delivery_id": delivery.delivery_id,
                                          "payload": delivery.payload},
            ),
        )
        if was_created:
            created.append(oc)
            if oc.kind == "departure" and oc.state == OrgChange.State.CONFIRMED:
                apply_departure(oc)
    if not created:
        return "no org change (same company and title, or a rewording)"
    return ", ".join(f"{oc.kind} ({oc.state}) for {oc.contact.name}" for oc in created)
