"""The Celery app.  Every periodic job is listed in ``CELERY_BEAT_SCHEDULE`` in settings; every task is
in ``sponsors/tasks.py`` (registered when Django starts, see ``SponsorsConfig.ready``)."""

import os

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun

from . import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("exec_sponsor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()   # <app>/tasks.py: sponsors/tasks.py

# One log line per task, with its queue, state, duration and account (config/logs.py).
task_prerun.connect(logs.task_started, dispatch_uid="config.logs.task_started")
task_postrun.connect(logs.task_finished, dispatch_uid="config.logs.task_finished")


def keep_django_logging(**kwargs):
    """Celery's processes keep the settings' LOGGING as Django set it up (level ``LOG_LEVEL``, not ``-l``)."""


# LOG_FORMAT=json: every line of every process one JSON object, so Celery installs no format of its own.
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    setup_logging.connect(keep_django_logging, dispatch_uid="config.celery.keep_django_logging")
