"""The Redis broker, asked directly and briefly: is it there, and how many tasks wait in each queue.

Celery's own connection retries for a long time when Redis is down; a health probe or the status
command must answer within seconds instead, so they use a plain client with short timeouts.  On the
Redis transport a queue is a list named after it (the tasks sent without a priority, i.e. all of
ours), so its length is the number of tasks waiting.
"""

from __future__ import annotations

import redis
from django.conf import settings

TIMEOUT_SECONDS = 2


def client() -> redis.Redis | None:
    """A client of ``REDIS_URL``; None when it is unset (tasks run in-process)."""
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=TIMEOUT_SECONDS,
                                socket_timeout=TIMEOUT_SECONDS)


def ping() -> str:
    """``""`` when the broker answers (or none is configured), else what went wrong."""
    redis_client = client()
    if redis_client is None:
        return ""
    try:
        redis_client.ping()
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        redis_client.close()
    return ""


def queue_lengths(names) -> tuple[dict[str, int], str]:
    """``({queue: tasks waiting}, "")``, or ``({}, what went wrong)``."""
    redis_client = client()
    if redis_client is None:
        return {}, ""
    try:
        return {name: int(redis_client.llen(name)) for name in names}, ""
    except redis.RedisError as exc:
        return {}, f"{type(exc).__name__}: {exc}"
    finally:
        redis_client.close()
