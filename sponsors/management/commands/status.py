"""``manage.py status [--json]``: are the processes behind the product working?

Each worker queue's last task, live workers and waiting tasks; beat's last tick; the outbox backlog
and the oldest unsent escalation — then what is stalled.  Exit code 0 when nothing is, 1 when
something is (for cron, a container health check or a monitoring agent).  The thresholds are
``EXEC_SPONSOR_OPERATIONS`` (README, "Tuning the rules")."""

from __future__ import annotations

import json

from django import db
from django.core.management.base import BaseCommand, CommandError

from sponsors.selectors.operations import OperationsStatus, operations_status


def _iso(value):
    return value.isoformat() if value else None


def as_dict(status: OperationsStatus) -> dict:
    facts = status.facts
    stalled = {(s.code, s.subject) for s in status.stalls}
    oldest = facts.oldest_escalation
    return {
        "ok": status.ok,
        "now": _iso(facts.now),
        "eager": facts.eager,
        "queues": [{"name": q.name, "last_task": q.last_task or None, "last_task_at": _iso(q.last_task_at),
                    "workers": [{"name": w.name, "seen_at": _iso(w.seen_at)} for w in q.workers],
                    "waiting": q.waiting, "stalled": ("queue_stalled", q.name) in stalled} for q in facts.queues],
        "beat": {"last_tick": _iso(facts.beat_last_tick), "stalled": ("beat_stalled", "beat") in stalled},
        "outbox": {"unsent": facts.outbox_unsent,
                   "oldest_unsent_escalation": {"id": oldest.outbox_id, "created_at": _iso(oldest.created_at),
                                                "account": oldest.account} if oldest else None},
        "stalls": [{"code": s.code, "subject": s.subject, "message": s.message} for s in status.stalls],
    }


class Command(BaseCommand):
    help = "Show the workers' queues, beat and the outbox; exit code 1 when something is stalled."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args, **options):
        try:
            status = operations_status()
        except db.Error as exc:
            reason = f"{type(exc).__name__}: {exc}".strip()
            raise CommandError(f"STALLED: the database did not answer: {reason}", returncode=1) from exc
        if options["json"]:
            self.stdout.write(json.dumps(as_dict(status), indent=2))
        else:
            width = max(len(line.part) for line in status.lines)
            for line in status.lines:
                state = "ok" if line.ok else "STALLED"
                self.stdout.write(f"{line.part:<{width}}  {state:<7}  {line.text}")
            if status.stalls:
                self.stdout.write("")
                for stall in status.stalls:
                    self.stdout.write(f"STALLED: {stall.message}")
            else:
                self.stdout.write("\nEverything is running.")
        if not status.ok:
            raise CommandError(f"{len(status.stalls)} part(s) stalled", returncode=1)
