"""The outbox, whatever the channel: one row per message, delivered at most once at a time.

A channel is a small transport class with one ``notify(row)`` (``email.EmailTransport``,
``slack.SlackTransport``); ``deliver(row_id, transports)`` does the rest, the same for every channel:

1. it *claims* the row with one conditional UPDATE — ``pending`` (and past its ``not_before``), or
   ``sending`` with a claim older than the lease (a worker that died mid-send) — so two workers never
   both hold it, and counts the attempt;
2. it calls the row's transport;
3. it marks the row ``sent``; a failure puts it back to ``pending`` with ``last_error`` and the task
   retries with backoff, until ``max_attempts`` claims make it ``failed``.  A transport may say more:
   ``RetryLater(seconds)`` (Slack's 429 with Retry-After: the row is not claimed again before then, by
   the task or the flush) or ``Undeliverable`` (it never will be: failed at once, no retry).

``resendable_ids`` is what the periodic flush queues again: rows pending for a while (a lost task
message) or held by a dead worker.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol

from django.db.models import F, Q
from django.utils import timezone

from ..config import rules_config
from ..models import OutboundEmail

Status = OutboundEmail.Status


class Transport(Protocol):
    channel: str

    def notify(self, row: OutboundEmail) -> None:
        """Deliver ``row`` or raise (``RetryLater``, ``Undeliverable``, or any error: retried)."""


class OutboxSendError(Exception):
    """Sending failed; the row is pending again and the task may retry (not before ``retry_after`` s)."""

    def __init__(self, message: str, *, retry_after: float = 0):
        super().__init__(message)
        self.retry_after = retry_after


class RetryLater(Exception):
    """The receiver asked us to come back later (HTTP 429 Retry-After): not before ``retry_after`` seconds."""

    def __init__(self, reason: str, *, retry_after: float):
        super().__init__(reason)
        self.retry_after = max(0.0, float(retry_after))


class Undeliverable(Exception):
    """This message can never be delivered (revoked webhook, disabled channel): fail it, do not retry."""


def retry_countdown(retries: int, conf) -> int:
    """Seconds before the next attempt: ``retry_backoff_seconds`` doubling per retry, capped at
    ``retry_backoff_max_seconds``, jittered (a random share of it, as Celery's ``retry_jitter``)."""
    ceiling = min(conf.retry_backoff_max_seconds, conf.retry_backoff_seconds * (2 ** retries))
    return random.randint(0, max(0, int(ceiling)))


def claimable(now, lease_seconds: int) -> Q:
    stale = now - timedelta(seconds=lease_seconds)
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    return (Q(status=Status.PENDING) & due) | Q(status=Status.SENDING, claimed_at__lt=stale)


def deliver(row_id: int, transports: Mapping[str, Transport]) -> str:
    """Deliver one outbox row through its channel's transport, at most once at a time.  Returns
    ``"sent"``, ``"failed"`` (for good) or ``"skipped"`` (sent already, failed, missing, not due yet, or
    claimed by a live worker) — or raises ``OutboxSendError`` (pending again: retry)."""
    conf = rules_config().outbox
    now = timezone.now()
    claimed = (OutboundEmail.objects.filter(claimable(now, conf.lease_seconds), pk=row_id, channel__in=list(transports))
               .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1))
    if not claimed:
        return "skipped"
    row = OutboundEmail.objects.select_related("slack_channel").get(pk=row_id)
    mine = OutboundEmail.objects.filter(pk=row.pk, status=Status.SENDING, claimed_at=now)
    transport = transports.get(row.channel)
    try:
        if transport is None:
            raise Undeliverable(f"no transport for channel {row.channel!r}")
        transport.notify(row)
    except Undeliverable as exc:
        mine.update(status=Status.FAILED, last_error=_error(row, exc), claimed_at=None)
        return "failed"
    except RetryLater as exc:
        return _release(row, mine, exc, conf, retry_after=exc.retry_after)
    except Exception as exc:  # noqa: BLE001 - any transport error: record it, retry later
        return _release(row, mine, exc, conf, retry_after=0)
    mine.update(status=Status.SENT, sent_at=timezone.now(), last_error="", not_before=None)
    return "sent"


def _error(row, exc) -> str:
    return f"attempt {row.attempts}: {type(exc).__name__}: {exc}"[:2000]


def _release(row, mine, exc, conf, *, retry_after: float) -> str:
    """Back to pending (not before ``retry_after`` s), or failed after the last attempt."""
    final = row.attempts >= conf.max_attempts
    not_before = timezone.now() + timedelta(seconds=retry_after) if retry_after and not final else None
    mine.update(status=Status.FAILED if final else Status.PENDING, last_error=_error(row, exc), claimed_at=None,
                not_before=not_before)
    if final:
        return "failed"
    raise OutboxSendError(f"{row.channel} message {row.pk} attempt {row.attempts} failed: {exc}",
                          retry_after=retry_after) from exc


def resendable_ids(*, older_than_seconds: int = 60, limit: int = 500) -> list[int]:
    """Rows a sweep should queue again: pending for a while (and due), or claimed by a worker that died."""
    now = timezone.now()
    lease = rules_config().outbox.lease_seconds
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    qs = OutboundEmail.objects.filter(
        (Q(status=Status.PENDING, created_at__lt=now - timedelta(seconds=older_than_seconds)) & due)
        | Q(status=Status.SENDING, claimed_at__lt=now - timedelta(seconds=lease))
    )
    return list(qs.order_by("created_at").values_list("pk", flat=True)[:limit])
