"""The port through which the Celery tasks run the weekly jobs the top floor builds.

The weekly digest and the stored portfolio metrics are reads over the report builders (``reports/``:
``metric_history.py``, ``digest*.py``), a floor above ``sponsors``; the tasks that run them on schedule
live in ``sponsors/tasks.py``, which must not import upwards (the floors contract).  So ``sponsors``
declares what it needs here, ``WeeklyJobs``, and ``reports`` provides it when Django starts
(``ReportsConfig.ready`` → ``provide(...)``): the dependency points down, and the tasks call whatever was
provided.  Without ``reports`` installed the jobs refuse to run with an error saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class WeeklyJobs:
    # (now) -> summary: queue a digest build for everyone whose own send time has come this week
    queue_due_digests: Callable
    # (user_id, week) -> "written" | "exists" | "skipped: <why>": build one user's digest into the outbox
    write_digest: Callable
    # (team_id, week) -> same, for a team's Slack channel
    write_team_digest: Callable
    # (as_of) -> summary: compute and store the portfolio metrics of every scope
    store_metrics: Callable


_provided: list[WeeklyJobs] = []


def provide(jobs: WeeklyJobs) -> None:
    """Called once by the app that builds the digests (``reports``) when Django starts."""
    _provided[:] = [jobs]


def weekly_jobs() -> WeeklyJobs:
    if not _provided:
        raise ImproperlyConfigured("no weekly jobs provided: the 'reports' app provides them when it starts "
                                   "(is it in INSTALLED_APPS?)")
    return _provided[0]
