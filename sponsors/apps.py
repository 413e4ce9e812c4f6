from django.apps import AppConfig


class SponsorsConfig(AppConfig):
    name = "sponsors"
    verbose_name = "Executive sponsors"

    def ready(self):
        # Imported once the models are ready: connect the refresh, audit and heartbeat signals, register the
        # Celery tasks.
        from . import audit, heartbeat, signals, tasks  # noqa: F401, PLC0415
        from .config import check_settings  # noqa: PLC0415

        check_settings()   # an unknown EXEC_SPONSOR_* setting or key stops the start-up, naming it
