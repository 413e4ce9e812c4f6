from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        # The weekly digest and the stored metrics are built here, on the top floor; the Celery tasks in
        # sponsors/tasks.py run them through the port sponsors.digests (no upward import).
        from sponsors import digests  # noqa: PLC0415 - the app registry is ready only now

        from . import digest_service  # noqa: PLC0415 - it imports models

        digests.provide(digest_service.WEEKLY_JOBS)

        # Every table carries the trigger that tells the kept pages the data changed (reports/page_cache.py).
        post_migrate.connect(_track_every_table, sender=self)


def _track_every_table(sender, using, **kwargs):
    from django.db import connections  # noqa: PLC0415 - only once the registry is ready

    from .page_cache import track_every_table  # noqa: PLC0415 - it imports the cache framework

    track_every_table(connections[using])
