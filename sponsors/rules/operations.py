"""Is the tracker itself working?  Plain facts about its processes in, the stalls out.

The facts (``OperationsFacts``) are loaded by ``sponsors.selectors.operations`` from the heartbeats
the processes leave (``sponsors.heartbeat``), the outbox and the broker; ``manage.py status``, the
admin's status page and the e-mail to admins (``sponsors.services.operations``) all read the stalls
found here, with the thresholds of ``OperationsConfig``.

Pure Python: no Django, no clock (``facts.now`` is the moment the facts describe).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .config import OperationsConfig

# Stall codes (stable: the status command's JSON and the admin e-mail use them).
BEAT = "beat_stalled"
QUEUE = "queue_stalled"
BROKER = "broker_unreachable"
ESCALATION = "escalation_waiting"
EMAILED = frozenset({BEAT, ESCALATION})     # the stalls that e-mail the admins


@dataclass(frozen=True)
class WorkerFacts:
    name: str                       # the Celery node name, e.g. notify@host
    seen_at: datetime               # its last check-in


@dataclass(frozen=True)
class QueueFacts:
    name: str
    last_task_at: datetime | None = None    # when a task taken from this queue last finished
    last_task: str = ""                     # its name
    workers: tuple[WorkerFacts, ...] = ()   # the workers consuming it (any age)
    waiting: int | None = 0                 # messages waiting in the broker; None: the broker did not answer


@dataclass(frozen=True)
class EscalationFacts:
    outbox_id: int
    created_at: datetime
    account: str


@dataclass(frozen=True)
class OperationsFacts:
    now: datetime
    queues: tuple[QueueFacts, ...] = ()
    beat_last_tick: datetime | None = None
    outbox_unsent: int = 0
    oldest_escalation: EscalationFacts | None = None
    broker_error: str = ""
    eager: bool = False             # no broker: tasks run in-process, so no queue, worker or beat to watch


@dataclass(frozen=True)
class Stall:
    code: str
    subject: str                    # "beat", a queue name, "broker", "outbox:<id>"
    message: str
    since: datetime | None = None   # the last sign of life, when there was one


@dataclass(frozen=True)
class QueueState:
    """A queue as the status shows it: the facts plus the workers that count as alive."""

    facts: QueueFacts
    live_workers: tuple[WorkerFacts, ...] = ()


def ago(now: datetime, then: datetime | None) -> str:
    """``"42 s"``, ``"7 min"``, ``"3 h"``, ``"2 d"``; ``"never"`` for None."""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def queue_state(queue: QueueFacts, conf: OperationsConfig, now: datetime) -> QueueState:
    limit = now - timedelta(minutes=conf.queue_stall_minutes)
    return QueueState(queue, tuple(w for w in queue.workers if w.seen_at >= limit))


def queue_stall(queue: QueueFacts, conf: OperationsConfig, now: datetime) -> Stall | None:
    """No live worker consumes the queue, or tasks wait in it and none was done for a while."""
    state = queue_state(queue, conf, now)
    if not state.live_workers:
        last_seen = max((w.seen_at for w in queue.workers), default=None)
        seen = f"{ago(now, last_seen)} ago" if last_seen else "never"
        return Stall(QUEUE, queue.name, f"queue {queue.name}: no worker is consuming it (last check-in: {seen}); "
                                        f"{queue.waiting or 0} task(s) waiting", last_seen)
    quiet_since = now - timedelta(minutes=conf.queue_stall_minutes)
    if queue.waiting and (queue.last_task_at is None or queue.last_task_at < quiet_since):
        return Stall(QUEUE, queue.name, f"queue {queue.name}: {queue.waiting} task(s) waiting and none done for "
                                        f"{ago(now, queue.last_task_at)}", queue.last_task_at)
    return None


def find_stalls(facts: OperationsFacts, conf: OperationsConfig) -> list[Stall]:
    """Everything that is stalled, in the order the status lists it."""
    now, stalls = facts.now, []
    if facts.eager:
        return _escalation_stalls(facts, conf)
    if facts.broker_error:
        stalls.append(Stall(BROKER, "broker", f"the broker did not answer: {facts.broker_error}"))
    for queue in facts.queues:
        stall = queue_stall(queue, conf, now)
        if stall:
            stalls.append(stall)
    tick = facts.beat_last_tick
    if tick is None or now - tick > timedelta(minutes=conf.beat_stall_minutes):
        last = f"{ago(now, tick)} ago" if tick else "never"
        stalls.append(Stall(BEAT, "beat", f"beat has not ticked for {conf.beat_stall_minutes} min "
                                          f"(last tick: {last})", tick))
    return stalls + _escalation_stalls(facts, conf)


def _escalation_stalls(facts: OperationsFacts, conf: OperationsConfig) -> list[Stall]:
    oldest, now = facts.oldest_escalation, facts.now
    if oldest and now - oldest.created_at > timedelta(minutes=conf.escalation_wait_minutes):
        return [Stall(ESCALATION, f"outbox:{oldest.outbox_id}",
                      f"the escalation for {oldest.account} has waited {ago(now, oldest.created_at)} "
                      f"(more than {conf.escalation_wait_minutes} min) to be sent", oldest.created_at)]
    return []


@dataclass(frozen=True)
class StatusLine:
    part: str                       # "queue default", "beat", "outbox"
    ok: bool
    text: str


def status_lines(facts: OperationsFacts, stalls: list[Stall], conf: OperationsConfig) -> list[StatusLine]:
    """One line per part, as ``manage.py status`` prints it and the admin's status page shows it."""
    now, lines = facts.now, []
    stalled = {(s.code, s.subject) for s in stalls}
    for queue in facts.queues:
        live = queue_state(queue, conf, now).live_workers
        last = f"{queue.last_task} {ago(now, queue.last_task_at)} ago" if queue.last_task_at else "none yet"
        workers = ", ".join(f"{w.name} (checked in {ago(now, w.seen_at)} ago)" for w in live) or "none alive"
        waiting = "unknown" if queue.waiting is None else str(queue.waiting)
        lines.append(StatusLine(f"queue {queue.name}", (QUEUE, queue.name) not in stalled,
                                f"last task: {last}; workers: {workers}; waiting: {waiting}"))
    if facts.eager:
        lines.append(StatusLine("tasks", True, "run in-process (no broker configured): no workers or beat to watch"))
    else:
        lines.append(StatusLine("beat", (BEAT, "beat") not in stalled,
                                f"last tick: {ago(now, facts.beat_last_tick)}"
                                + (" ago" if facts.beat_last_tick else "")))
    oldest = facts.oldest_escalation
    escalation = (f"{ago(now, oldest.created_at)} old ({oldest.account}, outbox #{oldest.outbox_id})"
                  if oldest else "none")
    lines.append(StatusLine("outbox", not any(s.code == ESCALATION for s in stalls),
                            f"{facts.outbox_unsent} e-mail(s) unsent; oldest unsent escalation: {escalation}"))
    return lines
