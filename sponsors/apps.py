from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SponsorsConfig(AppConfig):
    name = "sponsors"
    verbose_name = "Executive sponsors"

    def ready(self):
        # Imported once the models are ready: connect the refresh, audit and heartbeat signals, register the
        # Celery tasks.
        from . import audit, heartbeat, signals, tasks  # noqa: F401, PLC0415
        from .config import check_settings  # noqa: PLC0415

        check_settings()   # an unknown EXEC_SPONSOR_* setting or key stops the start-up, naming it

        # The foreign keys declared db_constraint=False are enforced set-wise by triggers (set_wise_keys.py).
        post_migrate.connect(_check_keys_set_wise, sender=self)
        # The participants' copies of their interaction's fields are kept by triggers (participant_copies.py).
        post_migrate.connect(_keep_participant_copies, sender=self)


def _check_keys_set_wise(sender, using, **kwargs):
    from django.db import connections  # noqa: PLC0415 - only once the registry is ready

    from .set_wise_keys import install  # noqa: PLC0415 - it reads the app registry

    install(connections[using])


def _keep_participant_copies(sender, using, **kwargs):
    from django.db import connections  # noqa: PLC0415 - only once the registry is ready

    from .participant_copies import install  # noqa: PLC0415

    install(connections[using])
