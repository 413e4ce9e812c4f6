"""The Celery app. Every periodic job is listed in ``CELERY_BEAT_SCHEDULE`` in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("exec_sponsor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()                              # <app>/tasks.py: scores
app.autodiscover_tasks(related_name="alert_tasks")   # sponsors/alert_tasks.py: guardrails, outbox, org changes
