"""News feeds about customer accounts (RSS or Atom), polled for news about their executives.

Entries naming an executive are classified by ``rules.triage.classify_news``; news is unconfirmed by
default (``TriageConfig.news_confidence``, 0.5), so a CSM confirms it before it alerts.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from ..config import rules_config
from ..models import Contact, NewsFeed, OrgChange
from ..rules.triage import SENTENCE_END, change_fingerprint, classify_news, mentions, normalize_company
from .review import apply_departure, dismissed_fingerprints, state_for

FEED_TIMEOUT_SECONDS = 20
FEED_MAX_BYTES = 5_000_000
USER_AGENT = "ExecutiveSponsorTracker/1 (+news feed poller)"


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
    import feedparser  # noqa: PLC0415 - heavy, and only the hourly poll needs it

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
    dismissed = dismissed_fingerprints([account.pk])
    result = FeedPoll(status="fetched", entries=len(parsed.entries))
    for entry in parsed.entries:
        for contact, kind in _what_the_entry_says(entry, executives, account):
            result.created += _store(entry, feed=feed, contact=contact, kind=kind, dismissed=dismissed, today=today)
    return result


def _what_the_entry_says(entry, executives, account) -> list:
    """``[(contact or None, kind)]``: the executives an entry names with what it says of them, else what it
    says of the whole account."""
    text = f"{strip_tags(entry.get('title', ''))}. {strip_tags(entry.get('summary', ''))}"
    sentences = SENTENCE_END.split(text)
    found = []
    for contact in executives:
        said = " ".join(s for s in sentences if mentions(contact.name, s))
        kind = classify_news(said, about_person=True) if said else None
        if kind:
            found.append((contact, kind))
    company = normalize_company(account.name)
    if not found and company and mentions(company, normalize_company(text) + " " + text):
        kind = classify_news(text, about_person=False)
        if kind:
            found.append((None, kind))
    return found


def _store(entry, *, feed, contact, kind, dismissed, today) -> bool:
    """Store one org change from a news entry (once: keyed by the entry and the contact); True when new."""
    account, confidence = feed.account, rules_config().triage.news_confidence
    title, summary = strip_tags(entry.get("title", "")), strip_tags(entry.get("summary", ""))
    ref = entry.get("id") or entry.get("link") or title
    contact_id = contact.pk if contact else None
    fp = change_fingerprint(kind, contact_id, "", title)
    change, created = OrgChange.objects.get_or_create(
        account=account,
        external_id=f"news:{hashlib.sha256(ref.encode()).hexdigest()[:40]}:{contact_id or 'account'}",
        defaults=dict(
            contact=contact, kind=kind, occurred_on=_entry_date(entry) or today, source="news",
            headline=title[:500], url=(entry.get("link") or "")[:1000], confidence=confidence,
            state=state_for(confidence, dismissed=(account.pk, fp) in dismissed), new_value=title[:500],
            fingerprint=fp,
            evidence={"feed": feed.url, "entry_id": entry.get("id", ""), "title": title,
                      "summary": summary[:2000], "link": entry.get("link", ""),
                      "published": dict.get(entry, "published") or dict.get(entry, "updated", ""),
                      "matched": contact.name if contact else account.name},
        ),
    )
    if created and change.kind == "departure" and change.state == OrgChange.State.CONFIRMED:
        apply_departure(change)     # as a webhook's: a departure confirmed on arrival marks the contact
    return created


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
