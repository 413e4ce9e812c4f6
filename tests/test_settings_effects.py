"""Every documented setting changes behaviour: each field of each rules section (``RulesConfig``, built
from the ``EXEC_SPONSOR_*`` settings) has a test that overrides it and sees the effect end to end.

The cases live in the modules below, marked with ``@covers(section, field)``; this test fails when a
section or a field is added without one (or a case names a field that no longer exists)."""

from __future__ import annotations

from dataclasses import fields

from sponsors.rules.config import SECTIONS, RulesConfig

from . import (
    test_issue8_bugs,
    test_settings_effects_crm,
    test_settings_effects_digest,
    test_settings_effects_guardrails,
    test_settings_effects_operations,
    test_settings_effects_reports,
    test_settings_effects_scoring,
)
from .settings_effects_support import covered_by

CASE_MODULES = (test_settings_effects_scoring, test_settings_effects_guardrails, test_settings_effects_reports,
                test_settings_effects_operations, test_issue8_bugs, test_settings_effects_digest,
                test_settings_effects_crm)


def every_setting() -> set:
    return {(section, f.name) for section, cls in SECTIONS.items() for f in fields(cls)}


def test_every_field_of_every_section_has_a_case_that_overrides_it():
    assert {f.name for f in fields(RulesConfig)} == set(SECTIONS)      # every section is built from a setting
    covered = set().union(*(covered_by(m) for m in CASE_MODULES))

    missing = sorted(every_setting() - covered)
    unknown = sorted(covered - every_setting())

    assert missing == [], f"settings without a test that overrides them: {missing}"
    assert unknown == [], f"cases for settings that do not exist: {unknown}"
    assert len(every_setting()) == 62


def test_each_setting_has_exactly_one_case():
    owners = {}
    for module in CASE_MODULES:
        for name, obj in vars(module).items():
            for key in getattr(obj, "settings_covered", ()):
                owners.setdefault(key, []).append(f"{module.__name__}.{name}")
    assert {key: tests for key, tests in owners.items() if len(tests) > 1} == {}
