from django.apps import AppConfig


class SponsorsConfig(AppConfig):
    name = "sponsors"
    verbose_name = "Executive sponsors"

    def ready(self):
        from . import (
            alert_signals,  # noqa: F401  (evaluate guardrails when sponsor data changes)
            signals,  # noqa: F401  (queue score recomputes when scored data changes)
        )
