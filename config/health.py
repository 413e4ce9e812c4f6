"""Health probes for load balancers and orchestrators: plain JSON, no authentication.

* ``GET /healthz`` — liveness: the process answers.  Touches no database, no broker: 200
  ``{"status": "ok"}``.
* ``GET /readyz`` — readiness: the database answers, the broker (Redis) answers, and every migration
  on disk is applied.  200 ``{"status": "ok", "checks": {...}}`` when all hold; 503 with the same shape,
  ``"status": "unavailable"`` and each failing check's reason otherwise.  Nothing else: a dependency
  being down is a 503, never a 500.

``HealthCheckMiddleware`` answers them first in ``MIDDLEWARE``, before the host check, the HTTPS
redirect, sessions and the request log: a probe comes from the load balancer's own address, often
over plain HTTP to the container, every few seconds, and should neither be refused for its Host
header nor fill the logs.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

from sponsors import broker

PATHS = ("/healthz", "/healthz/", "/readyz", "/readyz/")


def check_database(alias: str = DEFAULT_DB_ALIAS) -> str:
    """``""`` when ``SELECT 1`` works, else the reason."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the probe reports it
        connection.close_if_unusable_or_obsolete()
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return f"{type(exc).__name__}: {first_line}"
    return ""


def check_migrations(alias: str = DEFAULT_DB_ALIAS) -> str:
    """``""`` when every migration on disk is applied, else the first ones that are not."""
    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001 - an unreadable migration table is "not ready", not a 500
        return f"{type(exc).__name__}: {exc}"
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:3])
        return f"{len(plan)} migration(s) not applied: {names}{', …' if len(plan) > 3 else ''}"
    return ""


def readiness() -> dict:
    database = check_database()
    checks = {
        "database": database or "ok",
        "broker": broker.ping() or "ok",
        "migrations": (check_migrations() if not database else "not checked: no database") or "ok",
    }
    return {"status": "ok" if all(v == "ok" for v in checks.values()) else "unavailable", "checks": checks}


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    result = readiness()
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)


class HealthCheckMiddleware:
    """Answers ``GET``/``HEAD`` on the probe paths before any other middleware runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in PATHS and request.method in ("GET", "HEAD"):
            return readyz(request) if request.path_info.startswith("/readyz") else healthz(request)
        return self.get_response(request)
