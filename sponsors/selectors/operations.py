"""The facts of ``sponsors.rules.operations``, read from the heartbeats, the outbox and the broker; and
the status built from them, as ``manage.py status`` and the admin's status page show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from .. import broker, queue
from ..config import rules_config
from ..models import Heartbeat, OutboundEmail
from ..rules import operations as ops

QUEUES = (queue.DEFAULT_QUEUE, queue.NOTIFY_QUEUE)
UNSENT = (OutboundEmail.Status.PENDING, OutboundEmail.Status.SENDING)


def load_operations_facts(*, now: datetime | None = None) -> ops.OperationsFacts:
    """A few small queries (the heartbeats are one row per queue, worker and beat) and one broker call."""
    now = now or timezone.now()
    beats = list(Heartbeat.objects.all())
    by_key = {h.key: h for h in beats}
    eager = not settings.REDIS_URL
    waiting, broker_error = broker.queue_lengths(QUEUES)
    queues = ()
    if not eager:
        queues = tuple(_queue_facts(name, by_key.get(f"queue:{name}"), beats,
                                    waiting.get(name) if not broker_error else None) for name in QUEUES)
    unsent = OutboundEmail.objects.filter(status__in=UNSENT)
    # An escalation is the e-mail an alert sends (sponsors.services.alerts writes them with their alert).
    oldest = (unsent.filter(alert__isnull=False).select_related("account").order_by("created_at", "pk")
              .only("pk", "created_at", "account__name").first())
    tick = by_key.get("beat")
    return ops.OperationsFacts(
        now=now, queues=queues, beat_last_tick=tick.at if tick else None, outbox_unsent=unsent.count(),
        oldest_escalation=ops.EscalationFacts(oldest.pk, oldest.created_at,
                                              oldest.account.name if oldest.account else "?") if oldest else None,
        broker_error=broker_error, eager=eager,
    )


def _queue_facts(name, last, beats, waiting) -> ops.QueueFacts:
    workers = tuple(ops.WorkerFacts(h.key.removeprefix("worker:"), h.at) for h in beats
                    if h.key.startswith("worker:") and name in h.detail.get("queues", ()))
    return ops.QueueFacts(name=name, last_task_at=last.at if last else None,
                          last_task=last.detail.get("task", "") if last else "", workers=workers, waiting=waiting)


@dataclass(frozen=True)
class OperationsStatus:
    facts: ops.OperationsFacts
    stalls: list[ops.Stall]
    lines: list[ops.StatusLine]

    @property
    def ok(self) -> bool:
        return not self.stalls


def operations_status(*, now: datetime | None = None) -> OperationsStatus:
    conf = rules_config().operations
    facts = load_operations_facts(now=now)
    stalls = ops.find_stalls(facts, conf)
    return OperationsStatus(facts, stalls, ops.status_lines(facts, stalls, conf))
