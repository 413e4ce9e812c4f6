"""E-mail the admins when the product stops keeping its promise: beat has not ticked for
``beat_stall_minutes`` (nothing periodic runs: no sweep, no flush of the outbox), or an escalation
has waited more than ``escalation_wait_minutes`` to be sent.

Called by the watchdog each worker runs (``sponsors.heartbeat``), not by a periodic task: a periodic
task is what stops when beat does.  Each incident is one outbox row — dedupe key
``operations:beat:<last tick>`` or ``operations:escalation:<outbox id>`` — so every worker may look,
as often as it likes, and the admins get one e-mail per incident.  The row is sent right here through
the outbox's claim (exactly once, as any outbox row), not queued on ``notify``: the worker consuming
``notify`` may well be what is stuck.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from accounts.models import User

from ..config import rules_config
from ..models import OutboundEmail
from ..outbox import email
from ..rules import operations as ops
from ..selectors.operations import OperationsStatus, operations_status

OPERATIONS_EMAIL = "operations_stalled"
log = logging.getLogger(__name__)

ADVICE = {
    ops.BEAT: "Nothing periodic runs while beat is down: no daily sweep, no score recompute, no retry of "
              "unsent e-mails. Start exactly one `celery -A config beat` (the Procfile's `beat`).",
    ops.ESCALATION: "A sponsor departure was found but its e-mail has not gone out. Check that a worker "
                    "consumes the `notify` queue (the Procfile's `worker-notify`) and that the SMTP server "
                    "accepts mail (the outbox row's last error is in the admin, Outbound e-mails).",
}


def admin_recipients() -> list[str]:
    """Active admins (role admin or superuser) with an e-mail, and ``settings.ADMINS``; each address once."""
    users = (User.objects.filter(Q(role=User.Role.ADMIN) | Q(is_superuser=True), is_active=True)
             .exclude(email="").order_by("email"))
    people = [(u.get_full_name(), u.email) for u in users] + [tuple(a) for a in settings.ADMINS]
    seen, out = set(), []
    for name, addr in people:
        if addr.lower() not in seen:
            seen.add(addr.lower())
            out.append(email.address(name, addr))
    return out


def incident_key(stall: ops.Stall) -> str:
    if stall.code == ops.BEAT:
        return f"operations:beat:{stall.since.isoformat() if stall.since else 'never'}"
    return f"operations:escalation:{stall.subject.removeprefix('outbox:')}"


def alert_admins(*, now: datetime | None = None, watching_since: datetime | None = None) -> list[OutboundEmail]:
    """Write (once) and send the e-mail of each incident; return the rows written now.

    ``watching_since``: when the caller started watching.  A beat that has never ticked is reported
    only once the caller has watched for ``beat_stall_minutes`` (a worker and beat start together)."""
    status = operations_status(now=now)
    to = admin_recipients()
    written = []
    for stall in _emailed(status, watching_since):
        if not to:
            log.warning("no admin with an e-mail address to tell: %s", stall.message)
            continue
        rendered = email.render_email(OPERATIONS_EMAIL, _context(stall, status))
        row, created = OutboundEmail.objects.get_or_create(dedupe_key=incident_key(stall), defaults={
            "kind": OPERATIONS_EMAIL, "to": to, "subject": rendered.subject, "body_text": rendered.text,
            "body_html": rendered.html, "message_id": email.new_message_id()})
        if created:
            written.append(row)
    send_pending()
    return written


def _emailed(status: OperationsStatus, watching_since: datetime | None) -> list[ops.Stall]:
    stalls = [s for s in status.stalls if s.code in ops.EMAILED]
    grace = timedelta(minutes=rules_config().operations.beat_stall_minutes)
    if watching_since is None or status.facts.now - watching_since <= grace:
        stalls = [s for s in stalls if not (s.code == ops.BEAT and s.since is None)]
    return stalls


def _context(stall: ops.Stall, status: OperationsStatus) -> dict:
    headline = "Beat has stopped" if stall.code == ops.BEAT else "An escalation is waiting to be sent"
    return {"stall": stall, "status": status, "headline": headline, "advice": ADVICE[stall.code]}


def send_pending() -> list[str]:
    """Send the operations e-mails not sent yet (a failed attempt stays pending for the next look)."""
    outcomes = []
    pending = OutboundEmail.objects.filter(kind=OPERATIONS_EMAIL, status=OutboundEmail.Status.PENDING)
    for pk in pending.order_by("created_at").values_list("pk", flat=True):
        try:
            outcomes.append(email.send_outbox_email(pk))
        except email.OutboxSendError as exc:
            log.warning("operations e-mail not sent yet: %s", exc)
            outcomes.append("retry")
    return outcomes
