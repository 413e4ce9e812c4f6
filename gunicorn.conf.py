"""Gunicorn's settings for the Procfile's ``web`` process, from the environment (README, "Deploying").

``WEB_CONCURRENCY`` worker processes (default 2; about two per core is usual), listening on
``WEB_BIND``:``PORT`` (default 127.0.0.1:8000 — behind a reverse proxy on the same machine; the
container image sets 0.0.0.0).  ``LOG_FORMAT=json`` puts gunicorn's own lines in JSON too; the
request lines come from the app (``config/logs.py``), so gunicorn's access log stays off.
"""

import os

bind = f"{os.environ.get('WEB_BIND', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))             # a worker silent this long is restarted
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
max_requests, max_requests_jitter = 2000, 200                 # recycle workers now and then (memory)
# X-Forwarded-* are believed from these addresses only (FORWARDED_ALLOW_IPS, gunicorn's own variable).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
control_socket_disable = True      # no runtime control socket: several instances may share a home directory
accesslog = None

if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                                "fmt": "%(levelname)s %(name)s %(message)s", "timestamp": "time",
                                "rename_fields": {"levelname": "level", "name": "logger"}}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }
