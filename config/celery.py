"""The Celery app.  Every periodic job is listed in ``CELERY_BEAT_SCHEDULE`` in settings; every task is
in ``sponsors/tasks.py`` (registered when Django starts, see ``SponsorsConfig.ready``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("exec_sponsor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()   # <app>/tasks.py: sponsors/tasks.py
