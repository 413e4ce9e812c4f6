"""The Slack channel: a team's incoming webhook (``SlackChannel``), posts written to the outbox like
e-mails and delivered by ``SlackTransport.notify`` with the outbox's claim, lease, attempts and backoff.

What Slack answers decides what happens to the row (https://api.slack.com/messaging/webhooks):

* 2xx: sent;
* 429: back to pending, not claimed again before ``Retry-After`` (seconds or an HTTP date, honoured up
  to ``SlackConfig.max_retry_after_seconds``);
* 404 / 410 (``no_service``, ``channel_is_archived``: the webhook was revoked): the channel is disabled,
  the team's managers get one e-mail saying so (the admins when the team has none), and every post to
  it fails without being sent;
* another 4xx: the post can never succeed (``invalid_payload``…): failed, not retried;
* 5xx, a timeout or a network error: retried with backoff.

Slack's webhooks take no idempotency key: in the one window no system can close (Slack accepted the post,
the worker died before marking the row sent) the post is repeated after the lease.  Everything else —
a second sweep, a retried task, a re-run — is stopped by the dedupe key and the claim.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime
from email.utils import parsedate_to_datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from accounts.vocabulary import TIER_LABELS

from ..config import rules_config
from ..models import Alert, OutboundEmail, SlackChannel
from .core import RetryLater, Undeliverable
from .email import outbox_email, queue_outbox
from .links import account_url, url

log = logging.getLogger(__name__)
DISABLED_EMAIL = "slack_channel_disabled"
REVOKED = frozenset({404, 410})


class SlackError(Exception):
    """A post failed in a way worth retrying (5xx, timeout, network)."""


# --- posting ---------------------------------------------------------------------------------------

def post(webhook_url: str, payload: dict, *, timeout: float) -> tuple[int, dict, str]:
    """POST ``payload`` as JSON; ``(status, headers, body)`` whatever the status."""
    request = urllib.request.Request(webhook_url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only (safe_url)
            return response.status, dict(response.headers), response.read(2000).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers or {}), exc.read(2000).decode(errors="replace")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SlackError(f"no answer from Slack: {getattr(exc, 'reason', exc)}") from exc


def retry_after_seconds(value, *, now: datetime, cap: int) -> float:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), within 0..cap; unreadable → 1 s."""
    text = str(value or "").strip()
    try:
        seconds = float(int(text))
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(text) - now).total_seconds()
        except (TypeError, ValueError):
            seconds = 1.0
    return min(float(cap), max(0.0, seconds))


class SlackTransport:
    """The Slack channel: one POST of the row's Block Kit payload to its team's webhook."""

    channel = OutboundEmail.Channel.SLACK

    def notify(self, row: OutboundEmail) -> None:
        channel = row.slack_channel
        if channel is None or not channel.enabled:
            raise Undeliverable("the team's Slack channel is disabled or was removed")
        conf = rules_config().slack
        status, headers, body = post(channel.webhook_url, row.payload, timeout=conf.timeout_seconds)
        if 200 <= status < 300:
            return
        if status == 429:
            header = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
            wait = retry_after_seconds(header, now=timezone.now(), cap=conf.max_retry_after_seconds)
            raise RetryLater(f"HTTP 429 from Slack, Retry-After {header!r}", retry_after=wait)
        if status in REVOKED:
            disable_channel(channel, reason=f"Slack answered {status} {body.strip()[:100]}".strip())
            raise Undeliverable(f"HTTP {status} from Slack: the webhook was revoked; channel disabled")
        if 400 <= status < 500:
            raise Undeliverable(f"HTTP {status} from Slack: {body.strip()[:200]}")
        raise SlackError(f"HTTP {status} from Slack: {body.strip()[:200]}")


# --- a revoked webhook -------------------------------------------------------------------------------

def channel_admins(team: Team) -> list[User]:
    """Who is told about the team's channel: its managers, else the admins."""
    managers = [u for u in team.managers.filter(is_active=True).order_by("pk") if u.email]
    if managers:
        return managers
    admins = User.objects.filter(is_active=True).exclude(email="").filter(role=User.Role.ADMIN)
    return list(admins.order_by("pk")) or list(User.objects.filter(is_active=True, is_superuser=True)
                                                .exclude(email="").order_by("pk"))


def disable_channel(channel: SlackChannel, *, reason: str) -> OutboundEmail | None:
    """Disable ``channel`` and e-mail its team's managers — once, whoever notices first."""
    now = timezone.now()
    with transaction.atomic():
        flipped = SlackChannel.objects.filter(pk=channel.pk, enabled=True).update(
            enabled=False, disabled_at=now, disabled_reason=reason[:255])
        if not flipped:
            return None
        team = channel.team
        people = channel_admins(team)
        if not people:
            log.warning("Slack channel of team %s disabled (%s); nobody to tell by e-mail", team, reason)
            return None
        ctx = {"team": team, "reason": reason, "disabled_at": now,
               "admin_url": url("admin:sponsors_slackchannel_change", channel.pk)}
        row = outbox_email(name=DISABLED_EMAIL, dedupe_key=f"slack:{channel.pk}:disabled:{now.isoformat()}",
                           to=[p.email for p in people], ctx=ctx)
        row.save()
        queue_outbox([row])
    return row


# --- messages ----------------------------------------------------------------------------------------

def escape(text) -> str:
    """Slack mrkdwn: &, < and > are control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(href: str, text) -> str:
    return f"<{href}|{escape(text)}>"


def escalation_payload(alert: Alert) -> dict:
    """The Block Kit message of a sponsor departure (the e-mail's essentials, and a link to the account)."""
    account, details = alert.account, alert.details or {}
    role = details.get("sponsor_role", "primary")
    who = details.get("contact_name") or (alert.contact.name if alert.contact_id else "a sponsor")
    due = alert.due_on.isoformat() if alert.due_on else "as soon as possible"
    title = f"Sponsor departure at {account.name}"
    backup = details.get("proposed_primary_name") or ", ".join(details.get("backup_sponsors") or ()) or "none"
    steps = "\n".join(f"• {escape(s)}" for s in details.get("succession_steps") or ())
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*{escape(role.capitalize())} sponsor {escape(who)} has left* "
            f"{link(account_url(account.pk), account.name)} ({TIER_LABELS.get(account.tier, account.tier)}).\n"
            f"*Respond by:* {due}\n*Backup sponsor:* {escape(backup)}")}},
    ]
    if steps:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*First steps*\n{steps}"[:3000]}})
    return {"text": f"{title}: {who} has left — respond by {due}", "blocks": blocks}
