from django.apps import AppConfig


class SponsorsConfig(AppConfig):
    name = "sponsors"
    verbose_name = "Executive sponsors"

    def ready(self):
        from . import signals  # noqa: F401  (refresh scores and guardrails when sponsor data changes)
