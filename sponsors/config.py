"""The one place that reads the rules' settings: ``rules_config()`` builds ``RulesConfig`` from the
``EXEC_SPONSOR_*`` settings once and caches it (tests that change a setting get a fresh one: the
cache is dropped on Django's ``setting_changed``).

``check_settings()`` runs at start-up (``SponsorsConfig.ready``): an unknown key in any section, or
an ``EXEC_SPONSOR_*`` setting the product does not know (a typo), stops the process with an error
naming it, instead of silently keeping a default.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from .rules.config import SETTING_NAMES, ConfigError, RulesConfig

# Settings with the prefix that are not rules sections (they configure transports and sources).
OTHER_SETTINGS = frozenset({"EXEC_SPONSOR_WEBHOOK_SECRETS", "EXEC_SPONSOR_ENCRYPTION_KEYS"})
PREFIX = "EXEC_SPONSOR_"


@cache
def rules_config() -> RulesConfig:
    """THE rules configuration, built from the settings once (see ``sponsors.rules.config``)."""
    try:
        return RulesConfig.from_settings(settings)
    except ConfigError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def check_settings() -> RulesConfig:
    unknown = sorted(name for name in dir(settings) if name.startswith(PREFIX)
                     and name not in SETTING_NAMES and name not in OTHER_SETTINGS)
    if unknown:
        known = ", ".join(sorted(SETTING_NAMES | OTHER_SETTINGS))
        raise ImproperlyConfigured(f"unknown setting {unknown[0]} (known: {known})")
    return rules_config()


@receiver(setting_changed, dispatch_uid="sponsors.config.reset")
def _reset(*, setting, **kwargs):
    if setting.startswith(PREFIX):
        rules_config.cache_clear()
