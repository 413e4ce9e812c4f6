"""Delivering the outbox: every channel's transport, and what one message brings along.

``send_outbox_message(row_id)`` delivers any outbox row through its channel's transport (``TRANSPORTS``:
e-mail, Slack) with the outbox's one claim, lease and attempt count (``core.deliver``).

A sponsor departure is escalated at once on every channel: before its escalation e-mail is first
attempted, the escalation is written to the outbox once more per Slack channel of the account's teams
(dedupe key ``alert:<pk>:slack:<channel>``) and those posts are queued.  Doing it at the e-mail's send
rather than beside the alert keeps the alerts service unaware of Slack, and inherits the e-mail's
guarantees: a lost task message or a dead worker leaves the e-mail pending, the flush sends it again,
and the posts are written then (at most once each, whatever the number of attempts).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Team

from ..models import Alert, OutboundEmail, SlackChannel
from ..queue import SEND_OUTBOX_EMAIL, queue_on_commit
from ..rules import alert_codes
from . import core
from .email import EmailTransport
from .slack import SlackTransport, escalation_payload

TRANSPORTS = {transport.channel: transport for transport in (EmailTransport(), SlackTransport())}
Status = OutboundEmail.Status


def send_outbox_message(row_id: int) -> str:
    """Deliver one outbox row, whatever its channel: ``"sent"``, ``"failed"``, ``"skipped"`` — or raises
    ``core.OutboxSendError`` (pending again; retry, not before its ``retry_after``)."""
    row = (OutboundEmail.objects.filter(pk=row_id, status__in=[Status.PENDING, Status.SENDING])
           .values("channel", "alert_id").first())
    if row and row["channel"] == OutboundEmail.Channel.EMAIL and row["alert_id"] is not None:
        write_escalation_posts(row["alert_id"])
    return core.deliver(row_id, TRANSPORTS)


def team_channels(account_id) -> list[SlackChannel]:
    """The enabled Slack channels of the teams that work the account (a member on its team, or its owner)."""
    teams = Team.objects.filter(Q(members__account_roles__account_id=account_id)
                                | Q(members__owned_accounts__id=account_id)).values("pk")
    return list(SlackChannel.objects.filter(team__in=teams, enabled=True).order_by("pk"))


def escalation_post_key(alert_id, channel_id) -> str:
    return f"alert:{alert_id}:slack:{channel_id}"


def write_escalation_posts(alert_id) -> list[OutboundEmail]:
    """The escalation of an alert that escalates, once per team Slack channel of its account (idempotent)."""
    alert = Alert.objects.select_related("account", "contact").filter(pk=alert_id).first()
    if alert is None or not alert_codes.escalates(alert.code):
        return []
    channels = team_channels(alert.account_id)
    keys = {escalation_post_key(alert.pk, c.pk): c for c in channels}
    known = set(OutboundEmail.objects.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True))
    written = []
    for key, channel in keys.items():
        if key in known:
            continue
        payload = escalation_payload(alert)
        row = OutboundEmail(channel=OutboundEmail.Channel.SLACK, dedupe_key=key, kind=alert.code, alert=alert,
                            account=alert.account, slack_channel=channel, subject=payload["text"][:255],
                            body_text=payload["text"], payload=payload)
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:          # another worker wrote it meanwhile: theirs is the one
            continue
        queue_on_commit(SEND_OUTBOX_EMAIL, row.pk)
        written.append(row)
    return written
