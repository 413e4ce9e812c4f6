"""What counts as stalled: pure, no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sponsors.rules import operations as ops
from sponsors.rules.config import OperationsConfig

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CONF = OperationsConfig()


def minutes_ago(n):
    return NOW - timedelta(minutes=n)


def queue(name="notify", *, worker_age=0.5, last_task_age=1, waiting=0):
    workers = () if worker_age is None else (ops.WorkerFacts(f"{name}@host", minutes_ago(worker_age)),)
    last = None if last_task_age is None else minutes_ago(last_task_age)
    return ops.QueueFacts(name, last_task_at=last, last_task="t", workers=workers, waiting=waiting)


def facts(**kw):
    base = {"now": NOW, "queues": (queue("default"), queue("notify")), "beat_last_tick": minutes_ago(1)}
    return ops.OperationsFacts(**{**base, **kw})


def codes(f):
    return [(s.code, s.subject) for s in ops.find_stalls(f, CONF)]


def test_it_finds_nothing_when_every_process_shows_life():
    assert codes(facts()) == []


@pytest.mark.parametrize(("worker_age", "last_task_age", "waiting", "stalled"), [
    (None, 1, 0, True),          # no worker ever checked in
    (5, 1, 0, False),            # checked in exactly 5 minutes ago: still alive
    (5.01, 1, 0, True),          # silent for longer
    (1, 10, 0, False),           # nothing to do and nothing done: an idle queue
    (1, 5, 3, False),            # work waiting, the last done 5 minutes ago
    (1, 5.01, 3, True),          # work waiting, none done for longer
    (1, None, 1, True),          # work waiting, none ever done
])
def test_a_queue_is_stalled_without_a_live_worker_or_with_work_waiting_and_none_done(worker_age, last_task_age,
                                                                                    waiting, stalled):
    f = facts(queues=(queue(worker_age=worker_age, last_task_age=last_task_age, waiting=waiting),))
    assert codes(f) == ([(ops.QUEUE, "notify")] if stalled else [])


@pytest.mark.parametrize(("tick_age", "stalled"), [(None, True), (15, False), (15.01, True)])
def test_beat_is_stalled_when_it_has_not_ticked_for_15_minutes(tick_age, stalled):
    f = facts(beat_last_tick=None if tick_age is None else minutes_ago(tick_age))
    assert codes(f) == ([(ops.BEAT, "beat")] if stalled else [])


@pytest.mark.parametrize(("age", "stalled"), [(5, False), (5.01, True)])
def test_an_escalation_is_stalled_when_it_waited_more_than_5_minutes(age, stalled):
    f = facts(oldest_escalation=ops.EscalationFacts(41, minutes_ago(age), "Northwind Health"))
    assert codes(f) == ([(ops.ESCALATION, "outbox:41")] if stalled else [])


def test_without_a_broker_only_escalations_are_watched():
    f = facts(eager=True, queues=(), beat_last_tick=None,
              oldest_escalation=ops.EscalationFacts(41, minutes_ago(6), "Northwind Health"))
    assert codes(f) == [(ops.ESCALATION, "outbox:41")]
    lines = ops.status_lines(f, ops.find_stalls(f, CONF), CONF)
    assert [(line.part, line.ok) for line in lines] == [("tasks", True), ("outbox", False)]


def test_an_unreachable_broker_is_a_stall_and_the_waiting_counts_are_unknown():
    f = facts(broker_error="ConnectionError: refused", queues=(queue(waiting=None),))
    assert codes(f) == [(ops.BROKER, "broker")]
    assert ops.status_lines(f, ops.find_stalls(f, CONF), CONF)[0].text.endswith("waiting: unknown")


@pytest.mark.parametrize(("seconds", "text"), [(0, "0 s"), (119, "119 s"), (120, "2 min"), (7199, "119 min"),
                                               (7200, "2 h"), (172799, "47 h"), (172800, "2 d")])
def test_ages_read_as_a_person_would_say_them(seconds, text):
    assert ops.ago(NOW, NOW - timedelta(seconds=seconds)) == text
    assert ops.ago(NOW, None) == "never"
