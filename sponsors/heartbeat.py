"""Heartbeats: each process behind the product leaves a sign of life in the database (``Heartbeat``),
read by ``manage.py status``, the admin's status page and the watchdog.

* A worker, after each task it took from a queue: ``queue:<name>`` with the task's name (Celery's
  ``task_postrun``, in the process that ran it).
* A worker, when it is ready and then every ``CHECK_IN_SECONDS``: ``worker:<node>`` with the queues
  it consumes.  A warm shutdown removes the row, so a stopped worker is missed at once; a killed one
  once it has been silent for ``queue_stall_minutes``.
* Beat, when it starts and each time it sends a periodic task: ``beat`` (``beat_init`` and
  ``after_task_publish`` in the beat process; the ``heartbeat-every-minute`` entry makes that at least
  once a minute, and gives the ``default`` queue a task a minute as ``flush_outbox`` gives ``notify``).

Each worker also runs the watchdog, a daemon thread that checks in every ``CHECK_IN_SECONDS`` and asks
``sponsors.services.operations`` to e-mail the admins about a stalled beat or a waiting escalation —
in the workers rather than as a periodic task, because a periodic task is what stops when beat does.

Recording a heartbeat never fails the work it describes: a database error is logged and skipped.
Connected by ``SponsorsConfig.ready``; eager tasks (no broker) leave no heartbeat.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery.signals import after_task_publish, beat_init, task_postrun, worker_ready, worker_shutdown
from django import db
from django.utils import timezone

from .models import Heartbeat
from .services import operations

CHECK_IN_SECONDS = 60
FORGET_WORKERS_AFTER = timedelta(days=1)    # a worker row this old is a machine that is gone
log = logging.getLogger(__name__)


def record(key: str, **detail) -> None:
    """Upsert the heartbeat ``key`` as of now (one statement)."""
    try:
        Heartbeat.objects.bulk_create([Heartbeat(key=key, at=timezone.now(), detail=detail)], update_conflicts=True,
                                      unique_fields=["key"], update_fields=["at", "detail"])
    except db.Error:
        log.warning("heartbeat %s not recorded", key, exc_info=True)


# --- workers: the queue a task came from --------------------------------------------------------------

@task_postrun.connect(dispatch_uid="sponsors.heartbeat.task_done")
def task_done(sender=None, task=None, state=None, **kwargs):
    request = getattr(task, "request", None)
    if request is None or request.is_eager:
        return
    queue = (request.delivery_info or {}).get("routing_key")
    if queue:
        record(f"queue:{queue}", task=task.name, state=state or "")


# --- beat -------------------------------------------------------------------------------------------

@beat_init.connect(dispatch_uid="sponsors.heartbeat.beat_started")
def beat_started(sender=None, **kwargs):
    """In the beat process only: record the start, then every periodic task beat sends."""
    after_task_publish.connect(beat_sent, dispatch_uid="sponsors.heartbeat.beat_sent")
    db.close_old_connections()
    record("beat", task="", event="started")


def beat_sent(sender=None, **kwargs):
    db.close_old_connections()        # beat lives long and serves no request that would close them
    record("beat", task=str(sender or ""), event="sent")


# --- workers: check-in and the watchdog ---------------------------------------------------------------

class Watchdog(threading.Thread):
    """Checks the worker in and looks for incidents to tell the admins about, every ``CHECK_IN_SECONDS``."""

    def __init__(self, node: str, queues: list[str]):
        super().__init__(name=f"watchdog {node}", daemon=True)
        self.node, self.queues = node, queues
        self.stopping = threading.Event()
        self.started_at = timezone.now()

    def run(self):
        while not self.stopping.is_set():
            self.look()
            self.stopping.wait(CHECK_IN_SECONDS)

    def look(self):
        try:
            db.close_old_connections()
            record(f"worker:{self.node}", queues=self.queues)
            Heartbeat.objects.filter(key__startswith="worker:", at__lt=timezone.now() - FORGET_WORKERS_AFTER).delete()
            operations.alert_admins(watching_since=self.started_at)
        except Exception:  # noqa: BLE001 - the watchdog must outlive any one failure; the next look tries again
            log.exception("watchdog of %s", self.node)
        finally:
            db.connections.close_all()

    def stop(self):
        self.stopping.set()
        self.join(timeout=10)
        try:
            Heartbeat.objects.filter(key=f"worker:{self.node}").delete()
        except db.Error:
            log.warning("worker %s not checked out", self.node, exc_info=True)


_watchdogs: dict[str, Watchdog] = {}


@worker_ready.connect(dispatch_uid="sponsors.heartbeat.worker_ready")
def start_watchdog(sender=None, **kwargs):
    """``sender`` is the worker's consumer: its node name and the queues it consumes (``-Q``)."""
    node = sender.hostname
    queues = sorted(sender.app.amqp.queues.consume_from)
    _watchdogs[node] = watchdog = Watchdog(node, queues)
    watchdog.start()


@worker_shutdown.connect(dispatch_uid="sponsors.heartbeat.worker_shutdown")
def stop_watchdog(sender=None, **kwargs):
    watchdog = _watchdogs.pop(getattr(sender, "hostname", ""), None)
    if watchdog:
        watchdog.stop()
