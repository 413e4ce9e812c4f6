"""Org-change ingestion and review: every source lands in the same ``OrgChange`` rows.

Sources:

* the snapshot's ``org_changes`` (``accounts.crm.sync``) and what the CRM sync sees change on a
  stored contact (``record_crm_contact_changes``): status → departed is a ``departure`` (source
  ``crm``, confidence 1, confirmed); a reworded title ("VP Sales" → "Vice President, Sales") is kept
  as a *dismissed* ``role_change`` (history, never an alert); any other title change is a
  ``promotion`` (the title ranks higher) or a ``role_change``;
* job-change webhooks (``receive_webhook`` → ``WebhookDelivery`` → ``process_webhook_delivery``);
* per-account news feeds, RSS or Atom (``poll_news_feeds``), matched to the account's executives
  by full name; news is unconfirmed by default (``EXEC_SPONSOR_NEWS_CONFIDENCE``, 0.5).

A change below ``low_confidence_threshold`` (``EXEC_SPONSOR_GUARDRAILS``, default 0.7) waits in
state ``pending`` for a CSM (``org_change_confirm`` / ``org_change_dismiss``) and never alerts by
itself.  A dismissed change leaves its fingerprint (``guardrails.change_fingerprint``): the same
change arriving again from any source is stored dismissed.  Confirming a departure marks the
contact departed; the escalation alert then proposes the backup sponsor as the new primary
(``sponsor_accept_succession`` makes it so).

The webhook payload (provider-neutral JSON, signed — see ``verify_signature``)::

    {"id": "evt_123", "event": "job_change",
     "person": {"name": "Priya Natarajan", "email": "priya@northwind.example",
                "linkedin_url": "https://www.linkedin.com/in/priya"},
     "previous": {"company": "Northwind Health", "title": "COO"},
     "current": {"company": "Globex", "title": "CEO"},
     "occurred_on": "2026-11-18", "confidence": 0.95}

The person is matched to contacts by e-mail or LinkedIn URL, else by name within the account
whose name matches ``previous.company``.  A current company that is not a mere rename of the
account's name ("Acme" → "Acme Inc." is a rename) is a departure; otherwise a changed title is a
promotion or role change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.models import Account

from . import guardrails, services
from .models import Alert, Contact, NewsFeed, OrgChange, WebhookDelivery
from .signals import refresh_on_commit

FEED_TIMEOUT_SECONDS = 20
FEED_MAX_BYTES = 5_000_000
NEWS_CONFIDENCE = 0.5
WEBHOOK_CONFIDENCE = 0.9
WEBHOOK_TOLERANCE_SECONDS = 300
USER_AGENT = "ExecutiveSponsorTracker/1 (+news feed poller)"


def low_confidence_threshold() -> float:
    from .alerts import guardrail_config

    return guardrail_config().low_confidence_threshold


def _state_for(confidence: float, *, dismissed: bool = False) -> str:
    if dismissed:
        return OrgChange.State.DISMISSED
    return OrgChange.State.PENDING if confidence < low_confidence_threshold() else OrgChange.State.CONFIRMED


def _dismissed(account_ids) -> set:
    """``{(account_id, fingerprint)}`` of dismissed changes: what must not alert again."""
    return set(OrgChange.objects.filter(account_id__in=list(account_ids), state=OrgChange.State.DISMISSED)
               .exclude(fingerprint="").values_list("account_id", "fingerprint"))


def fingerprint_of(change: OrgChange) -> str:
    return guardrails.change_fingerprint(change.kind, change.contact_id, change.old_value,
                                         change.new_value or change.headline)


# --- titles --------------------------------------------------------------------------------

def title_rank(title: str) -> int:
    """A rough seniority of a title: C-level/president 6, EVP/SVP 5, VP 4, head/director 3, manager 2, else 1."""
    words = guardrails.normalize_title(title).split()
    text = " ".join(words)
    if "chief" in words or (re.search(r"(^| )president( |$)", text) and "vice president" not in text):
        return 6
    if "vice president" in text:
        return 5 if ({"executive", "senior"} & set(words)) else 4
    if {"head", "director"} & set(words):
        return 3
    if "manager" in words:
        return 2
    return 1


def title_change_kind(old: str, new: str) -> str | None:
    """``None`` when nothing changed, ``"trivial"`` for a rewording, else ``promotion``/``role_change``."""
    if (old or "").strip() == (new or "").strip():
        return None
    if guardrails.is_trivial_title_change(old or "", new or ""):
        return "trivial"
    return "promotion" if title_rank(new) > title_rank(old) else "role_change"


# --- review ------------------------------------------------------------------------------------

def apply_departure(change: OrgChange) -> None:
    """A confirmed departure: the contact is departed (as of the change's date)."""
    contact = change.contact
    if contact is None or contact.status == Contact.Status.DEPARTED and contact.departed_on:
        return
    contact.status = Contact.Status.DEPARTED
    contact.departed_on = contact.departed_on or change.occurred_on
    contact.save(update_fields=["status", "departed_on", "updated_at"])


@transaction.atomic
def org_change_confirm(*, change: OrgChange, by) -> OrgChange:
    """A CSM confirms a change (it may now alert; a departure marks the contact departed)."""
    change = OrgChange.objects.select_for_update(of=("self",)).select_related("contact").get(pk=change.pk)
    change.state, change.reviewed_by, change.reviewed_at = OrgChange.State.CONFIRMED, by, timezone.now()
    change.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    if change.kind == "departure":
        apply_departure(change)
    return change


@transaction.atomic
def org_change_dismiss(*, change: OrgChange, by) -> OrgChange:
    """A CSM dismisses a change; the same change arriving again stays dismissed (its fingerprint)."""
    change = OrgChange.objects.select_for_update().get(pk=change.pk)
    change.state, change.reviewed_by, change.reviewed_at = OrgChange.State.DISMISSED, by, timezone.now()
    change.fingerprint = change.fingerprint or fingerprint_of(change)
    change.save(update_fields=["state", "reviewed_by", "reviewed_at", "fingerprint"])
    return change


@transaction.atomic
def sponsor_accept_succession(*, alert: Alert, by) -> Contact:
    """Make the backup proposed by a ``sponsor_departed`` alert the new primary sponsor."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    proposed = alert.details.get("proposed_primary_id") if alert.code == "sponsor_departed" else None
    if not proposed:
        raise services.SponsorError("no backup sponsor was proposed for this departure; name a new primary "
                                    "sponsor on the contact instead")
    contact = Contact.objects.get(pk=proposed, account_id=alert.account_id)
    services.sponsor_assign_primary(contact=contact, by=by)
    alert.details = {**alert.details, "succession_accepted_by": getattr(by, "email", ""),
                     "succession_accepted_at": timezone.now().isoformat()}
    fields = ["details"]
    if alert.status == Alert.Status.OPEN:
        alert.status, alert.acknowledged_at, alert.acknowledged_by = Alert.Status.ACKNOWLEDGED, timezone.now(), by
        fields += ["status", "acknowledged_at", "acknowledged_by"]
    alert.save(update_fields=fields)
    return contact


# --- (a) the CRM sync ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredContact:
    pk: int
    name: str
    title: str
    status: str


def crm_contact_state(account_ids) -> dict:
    """``{(account_id, external_id): StoredContact}`` before a sync writes (one query)."""
    return {
        (aid, ext): StoredContact(pk, name, title, status)
        for pk, aid, ext, name, title, status in Contact.objects.filter(
            account_id__in=list(account_ids), external_id__isnull=False)
        .values_list("pk", "account_id", "external_id", "name", "title", "status")
    }


def record_crm_contact_changes(*, before: dict, after: dict, occurred_on: date) -> Counter:
    """Org changes for stored contacts whose title or status the CRM changed.

    ``before``: ``crm_contact_state`` read before the sync; ``after``: ``{(account_id, external_id):
    (name, title, status)}`` as synced.  Bulk: a fixed number of queries.
    """
    rows, departed = [], []
    dismissed = _dismissed({key[0] for key in after if key in before})
    for key, (name, title, status) in after.items():
        old = before.get(key)
        if old is None:
            continue
        account_id = key[0]
        if old.status != "departed" and status == "departed":
            fp = guardrails.change_fingerprint("departure", old.pk, old.status, status)
            rows.append(OrgChange(
                account_id=account_id, contact_id=old.pk, kind="departure", occurred_on=occurred_on, source="crm",
                headline=f"{name} is marked departed in the CRM", confidence=1.0,
                state=_state_for(1.0, dismissed=(account_id, fp) in dismissed), old_value=old.status,
                new_value=status, fingerprint=fp,
                evidence={"field": "status", "old": old.status, "new": status, "contact": name},
            ))
            departed.append(old.pk)
        kind = title_change_kind(old.title, title)
        if kind is not None:
            trivial = kind == "trivial"
            kind = "role_change" if trivial else kind
            fp = guardrails.change_fingerprint(kind, old.pk, old.title, title)
            rows.append(OrgChange(
                account_id=account_id, contact_id=old.pk, kind=kind, occurred_on=occurred_on, source="crm",
                headline=f"{name}: {old.title or '(no title)'} → {title or '(no title)'}", confidence=1.0,
                state=_state_for(1.0, dismissed=trivial or (account_id, fp) in dismissed),
                old_value=old.title, new_value=title, fingerprint=fp,
                evidence={"field": "title", "old": old.title, "new": title, "contact": name,
                          "trivial_rewording": trivial},
            ))
    if not rows:
        return Counter()
    OrgChange.objects.bulk_create(rows)
    if departed:
        Contact.objects.filter(pk__in=departed, departed_on__isnull=True).update(departed_on=occurred_on)
    for account_id in {r.account_id for r in rows if r.state == OrgChange.State.CONFIRMED}:
        refresh_on_commit(account_id)
    return Counter(created=len(rows))


# --- (b) job-change webhooks --------------------------------------------------------------------

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
                     tolerance: int = WEBHOOK_TOLERANCE_SECONDS) -> None:
    """Raise ``WebhookRefused`` unless the signature is right and the timestamp within ``tolerance``."""
    if not timestamp or not signature:
        raise WebhookRefused(401, "missing X-Timestamp or X-Signature header")
    try:
        ts = int(timestamp)
    except ValueError:
        raise WebhookRefused(400, "X-Timestamp must be unix seconds") from None
    if abs(now - ts) > tolerance:
        raise WebhookRefused(401, f"X-Timestamp is more than {tolerance} seconds away from now (replay refused)")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower()):
        raise WebhookRefused(401, "X-Signature does not match the body")


def receive_webhook(*, provider: str, body: bytes, timestamp: str | None, signature: str | None,
                    now: float | None = None) -> tuple[WebhookDelivery, bool]:
    """Verify and store one delivery; returns ``(delivery, created)``.  A delivery id seen before is
    not stored or processed again (``created`` False).  Processing is queued on commit."""
    secret = webhook_secret(provider)
    if not secret:
        raise WebhookRefused(404, f"unknown webhook provider {provider!r}")
    tolerance = int(getattr(settings, "EXEC_SPONSOR_WEBHOOK_TOLERANCE_SECONDS", WEBHOOK_TOLERANCE_SECONDS))
    verify_signature(secret=secret, timestamp=timestamp, signature=signature, body=body,
                     now=timezone.now().timestamp() if now is None else now, tolerance=tolerance)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRefused(400, "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookRefused(400, "the body must be a JSON object")
    delivery_id = str(payload.get("id") or hashlib.sha256(body).hexdigest())[:128]
    from .alert_tasks import process_webhook_delivery

    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(provider=provider, delivery_id=delivery_id, payload=payload)
            process_webhook_delivery.delay_on_commit(delivery.pk)
    except IntegrityError:
        return WebhookDelivery.objects.get(provider=provider, delivery_id=delivery_id), False
    return delivery, True


class PayloadError(ValueError):
    pass


def _text(d, key, limit=255) -> str:
    value = d.get(key) if isinstance(d, dict) else None
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{key} must be a string")
    return value.strip()[:limit]


def _parse_job_change(payload: dict) -> dict:
    if payload.get("event") != "job_change":
        raise PayloadError(f"event must be 'job_change', got {payload.get('event')!r}")
    person = payload.get("person")
    if not isinstance(person, dict):
        raise PayloadError("person must be an object with name, email or linkedin_url")
    out = {
        "name": _text(person, "name"), "email": _text(person, "email"),
        "linkedin_url": _text(person, "linkedin_url", 500).rstrip("/"),
        "previous_company": _text(payload.get("previous") or {}, "company"),
        "previous_title": _text(payload.get("previous") or {}, "title"),
        "current_company": _text(payload.get("current") or {}, "company"),
        "current_title": _text(payload.get("current") or {}, "title"),
    }
    if not (out["name"] or out["email"] or out["linkedin_url"]):
        raise PayloadError("person needs a name, email or linkedin_url")
    try:
        out["occurred_on"] = date.fromisoformat(payload["occurred_on"]) if payload.get("occurred_on") else None
    except (TypeError, ValueError):
        raise PayloadError("occurred_on must be an ISO date (YYYY-MM-DD)") from None
    confidence = payload.get("confidence", WEBHOOK_CONFIDENCE)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise PayloadError("confidence must be a number from 0 to 1")
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
    company = guardrails.normalize_company(change["previous_company"])
    first = company.split()[0] if company else ""
    accounts = [a.pk for a in Account.objects.filter(name__icontains=first)
                if guardrails.normalize_company(a.name) == company] if first else []
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
    dismissed = _dismissed({c.account_id for c in contacts})
    created = []
    for contact in contacts:
        account = contact.account
        moved = change["current_company"] and not guardrails.is_trivial_company_rename(
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
        fp = guardrails.change_fingerprint(kind, contact.pk, old, new)
        state = _state_for(change["confidence"], dismissed=trivial or (account.pk, fp) in dismissed)
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


# --- (c) news feeds -----------------------------------------------------------------------------

DEPARTURE_WORDS = re.compile(r"\b(joins|joined|departs|departed|departing|leaves|leaving|left|steps? down|"
                             r"stepping down|stepped down|resigns|resigned|retires|retired)\b", re.I)
PROMOTION_WORDS = re.compile(r"\b(promoted|promotion|named|appointed|elevated)\b", re.I)
ACQUISITION_WORDS = re.compile(r"\bacquir", re.I)
LAYOFF_WORDS = re.compile(r"\b(layoffs?|lays off|laid off|job cuts)\b", re.I)
REORG_WORDS = re.compile(r"\b(reorgani[sz]ation|reorgani[sz]es|restructur\w*)\b", re.I)
ACCOUNT_WIDE = (("acquisition", ACQUISITION_WORDS), ("layoffs", LAYOFF_WORDS), ("reorg", REORG_WORDS))
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


def classify_news(text: str, *, about_person: bool) -> str | None:
    """The org-change kind a piece of news suggests (``None``: nothing we track)."""
    if about_person:
        if DEPARTURE_WORDS.search(text):
            return "departure"
        if PROMOTION_WORDS.search(text):
            return "promotion"
    for kind, words in ACCOUNT_WIDE:
        if words.search(text):
            return kind
    return None


def _mentions(name: str, text: str) -> bool:
    return bool(name.strip()) and re.search(r"(?<!\w)" + re.escape(name.strip()) + r"(?!\w)", text, re.I) is not None


@dataclass
class FeedPoll:
    status: str                 # "fetched" | "not modified" | "error"
    entries: int = 0
    created: int = 0
    error: str = ""


def fetch_feed(feed: NewsFeed) -> tuple[int, bytes, dict]:
    """GET the feed with its ETag / Last-Modified; ``(status, body, headers)``; 304 has no body."""
    if not feed.url.lower().startswith(("http://", "https://")):
        raise ValueError(f"feed URL must be http(s): {feed.url}")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.modified:
        headers["If-Modified-Since"] = feed.modified
    request = urllib.request.Request(feed.url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=FEED_TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) only
            return response.status, response.read(FEED_MAX_BYTES), dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, b"", dict(exc.headers.items())
        raise


def _entry_date(entry) -> date | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed = dict.get(entry, key)  # plain dict access: no deprecated updated→published fallback
        if parsed:
            return datetime(*parsed[:6]).date()     # feedparser normalises to UTC
    return None


def poll_news_feed(*, feed: NewsFeed, today: date | None = None) -> FeedPoll:
    """Fetch one feed and store the org changes its entries suggest about the account's executives."""
    import feedparser

    today = today or timezone.localdate()
    status, body, headers = fetch_feed(feed)
    feed.last_polled_at, feed.last_error = timezone.now(), ""
    lower = {k.lower(): v for k, v in headers.items()}
    if status == 304:
        feed.save(update_fields=["last_polled_at", "last_error"])
        return FeedPoll(status="not modified")
    parsed = feedparser.parse(body, response_headers=lower)
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"not an RSS or Atom feed: {parsed.get('bozo_exception')}")
    feed.etag = (lower.get("etag") or "")[:255]
    feed.modified = (lower.get("last-modified") or "")[:255]
    feed.save(update_fields=["last_polled_at", "last_error", "etag", "modified"])

    account = feed.account
    executives = list(Contact.objects.filter(account=account, status=Contact.Status.ACTIVE)
                      .filter(Q(is_executive=True) | ~Q(sponsor="")).order_by("pk"))
    confidence = float(getattr(settings, "EXEC_SPONSOR_NEWS_CONFIDENCE", NEWS_CONFIDENCE))
    dismissed = _dismissed([account.pk])
    company = guardrails.normalize_company(account.name)
    result = FeedPoll(status="fetched", entries=len(parsed.entries))
    for entry in parsed.entries:
        title = strip_tags(entry.get("title", ""))
        summary = strip_tags(entry.get("summary", ""))
        text = f"{title}. {summary}"
        sentences = SENTENCE_END.split(text)
        found = []
        for contact in executives:
            said = " ".join(s for s in sentences if _mentions(contact.name, s))
            kind = classify_news(said, about_person=True) if said else None
            if kind:
                found.append((contact, kind))
        if not found and company and _mentions(company, guardrails.normalize_company(text) + " " + text):
            kind = classify_news(text, about_person=False)
            if kind:
                found.append((None, kind))
        ref = entry.get("id") or entry.get("link") or title
        for contact, kind in found:
            contact_id = contact.pk if contact else None
            fp = guardrails.change_fingerprint(kind, contact_id, "", title)
            _oc, created = OrgChange.objects.get_or_create(
                account=account,
                external_id=f"news:{hashlib.sha256(ref.encode()).hexdigest()[:40]}:{contact_id or 'account'}",
                defaults=dict(
                    contact=contact, kind=kind, occurred_on=_entry_date(entry) or today, source="news",
                    headline=title[:500], url=(entry.get("link") or "")[:1000], confidence=confidence,
                    state=_state_for(confidence, dismissed=(account.pk, fp) in dismissed), new_value=title[:500],
                    fingerprint=fp,
                    evidence={"feed": feed.url, "entry_id": entry.get("id", ""), "title": title,
                              "summary": summary[:2000], "link": entry.get("link", ""),
                              "published": dict.get(entry, "published") or dict.get(entry, "updated", ""),
                              "matched": contact.name if contact else account.name},
                ),
            )
            result.created += created
    return result


def poll_news_feeds(*, today: date | None = None) -> str:
    """Poll every feed; a failing feed records its error and does not stop the others."""
    totals = Counter()
    for feed in NewsFeed.objects.select_related("account").order_by("pk"):
        try:
            with transaction.atomic():
                outcome = poll_news_feed(feed=feed, today=today)
            totals[outcome.status] += 1
            totals["org changes"] += outcome.created
        except Exception as exc:  # noqa: BLE001 - one broken feed must not stop the poll
            NewsFeed.objects.filter(pk=feed.pk).update(last_polled_at=timezone.now(),
                                                       last_error=f"{type(exc).__name__}: {exc}"[:2000])
            totals["error"] += 1
    return ", ".join(f"{n} {k}" for k, n in sorted(totals.items())) or "no feeds"
