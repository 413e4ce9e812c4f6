"""One log line per request and one per task, with the fields an operator filters on.

``LOG_FORMAT=json`` (settings' ``LOGGING``) turns every log line into one JSON object
(python-json-logger), these two among them:

* a request (``RequestLogMiddleware``, logger ``exec_sponsor.requests``): ``method``, ``path``,
  ``status``, ``duration_ms``, ``user_id`` (when the view looked at the user) and ``account_id`` (when
  the URL names an account: ``…/accounts/<pk>/…``);
* a task (``task_started`` / ``task_finished``, Celery's ``task_prerun`` / ``task_postrun``, connected
  in ``config/celery.py``; logger ``exec_sponsor.tasks``): ``task``, ``task_id``, ``queue``, ``state``,
  ``duration_ms`` and ``account_id`` (when the task takes an ``account_id`` argument).

With the default plain format the same lines are readable text.  The health probes are not logged
(``config.health`` answers them before this middleware).
"""

from __future__ import annotations

import inspect
import logging
import re
import time

from django.utils.functional import empty

request_log = logging.getLogger("exec_sponsor.requests")
task_log = logging.getLogger("exec_sponsor.tasks")

# Routes whose ``pk`` is an account's (the pages and the API of one account).
ACCOUNT_ROUTE = re.compile(r"(^|/)accounts/<int:pk>/")


def request_account_id(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    if "account_id" in match.kwargs:
        return match.kwargs["account_id"]
    if ACCOUNT_ROUTE.search(match.route or ""):
        return match.kwargs.get("pk")
    return None


def request_user_id(request):
    """The user's id if the request looked at its user (a lazy user nobody asked for stays unloaded)."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return getattr(user, "pk", None)


class RequestLogMiddleware:
    """Outermost but for the health probes: times the whole request, whatever answered it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        fields = {"method": request.method, "path": request.path, "status": response.status_code,
                  "duration_ms": duration_ms, "user_id": request_user_id(request),
                  "account_id": request_account_id(request)}
        request_log.info("%s %s %s %sms", request.method, request.path, response.status_code, duration_ms,
                         extra=fields)
        return response


# --- tasks ---------------------------------------------------------------------------------------

_started: dict[str, float] = {}


def task_account_id(task, args, kwargs):
    """The ``account_id`` argument of the call, by the task's signature; None when it takes none."""
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except (TypeError, ValueError):
        return None
    value = bound.arguments.get("account_id")
    return value if isinstance(value, int | str) else None


def task_started(sender=None, task_id=None, **kwargs):
    _started[task_id] = time.perf_counter()


def task_finished(sender=None, task_id=None, task=None, args=None, kwargs=None, state=None, **extra):
    started = _started.pop(task_id, None)
    duration_ms = None if started is None else round((time.perf_counter() - started) * 1000, 1)
    request = getattr(task, "request", None)
    if request is not None and request.is_eager:
        queue = "(in-process)"
    else:
        queue = ((request.delivery_info if request is not None else None) or {}).get("routing_key")
    name = getattr(task, "name", str(sender))
    fields = {"task": name, "task_id": task_id, "queue": queue, "state": state, "duration_ms": duration_ms,
              "account_id": task_account_id(task, args, kwargs)}
    task_log.info("task %s %s on %s %sms", name, state, queue, duration_ms, extra=fields)
