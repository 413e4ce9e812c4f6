from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        # The weekly digest and the stored metrics are built here, on the top floor; the Celery tasks in
        # sponsors/tasks.py run them through the port sponsors.digests (no upward import).
        from sponsors import digests  # noqa: PLC0415 - the app registry is ready only now

        from . import digest_service  # noqa: PLC0415 - it imports models

        digests.provide(digest_service.WEEKLY_JOBS)
