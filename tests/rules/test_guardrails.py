"""Guardrail rules: pure functions of hand-built facts (no database, no clock)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sponsors.facts import OrgChangeFact
from sponsors.guardrails import (
    DEFAULT_CONFIG,
    GuardrailConfig,
    change_fingerprint,
    is_trivial_company_rename,
    is_trivial_title_change,
    lower_severity,
    needs_confirmation,
    severity_rank,
)

AS_OF = date(2025, 6, 30)


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


# --- configuration ----------------------------------------------------------------------


def test_it_has_the_documented_defaults():
    c = GuardrailConfig()
    assert c.enterprise_no_contact_days == 90
    assert dict(c.cadence_days) == {"enterprise": 30, "mid_market": 91, "smb": 182}
    assert (c.score_drop_points, c.score_drop_days) == (15, 30)
    assert c.org_change_window_days == 90
    assert c.low_confidence_threshold == 0.7
    assert c.outreach_conflict_days == 7
    assert c.departure_response_days == 2


def test_it_overrides_from_a_settings_mapping():
    c = GuardrailConfig.from_mapping({"outreach_conflict_days": 10, "cadence_days": {"smb": 120}})
    assert c.outreach_conflict_days == 10
    assert dict(c.cadence_days) == {"enterprise": 30, "mid_market": 91, "smb": 120}
    assert c.enterprise_no_contact_days == 90


def test_it_accepts_an_empty_or_missing_mapping():
    assert GuardrailConfig.from_mapping({}) == DEFAULT_CONFIG
    assert GuardrailConfig.from_mapping(None) == DEFAULT_CONFIG


def test_it_names_an_unknown_setting():
    with pytest.raises(ValueError, match="outreach_conflict_dayz"):
        GuardrailConfig.from_mapping({"outreach_conflict_dayz": 3})


def test_it_names_an_unknown_tier_in_the_cadence():
    with pytest.raises(ValueError, match="strategic"):
        GuardrailConfig.from_mapping({"cadence_days": {"strategic": 14}})


def test_it_rejects_negative_thresholds():
    with pytest.raises(ValueError, match="departure_response_days"):
        GuardrailConfig.from_mapping({"departure_response_days": -1})


def test_its_cadence_cannot_be_mutated():
    with pytest.raises(TypeError):
        DEFAULT_CONFIG.cadence_days["smb"] = 1


# --- severities -------------------------------------------------------------------------


def test_it_ranks_severities():
    ranks = [severity_rank(s) for s in ("low", "medium", "high", "critical")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4


def test_it_rejects_an_unknown_severity():
    with pytest.raises(ValueError, match="urgent"):
        severity_rank("urgent")


@pytest.mark.parametrize(
    ("sev", "lower"),
    [("critical", "high"), ("high", "medium"), ("medium", "low"), ("low", "low")],
)
def test_it_lowers_a_severity_one_step(sev, lower):
    assert lower_severity(sev) == lower


# --- org-change triage ------------------------------------------------------------------


def change(**kw) -> OrgChangeFact:
    base = {"id": 1, "kind": "departure", "occurred_on": days_ago(5), "source": "linkedin", "contact_id": 1}
    return OrgChangeFact(**{**base, **kw})


@pytest.mark.parametrize(("confidence", "expected"), [(0.69, True), (0.7, False), (0.95, False)])
def test_it_asks_a_csm_to_confirm_low_confidence_changes(confidence, expected):
    assert needs_confirmation(change(confidence=confidence), config=DEFAULT_CONFIG) is expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("VP Sales", "Vice President, Sales"),
        ("VP Sales", "Vice President of Sales"),
        ("CFO", "Chief Financial Officer"),
        ("Sr. Director", "Senior Director"),
        ("SVP Engineering", "Senior Vice President, Engineering"),
        ("vp sales", "VP  SALES"),
        ("VP Sales & Marketing", "VP Sales and Marketing"),
        ("Head of IT", "Head of Information Technology"),
        ("VP-Sales", "VP Sales."),
    ],
)
def test_it_sees_a_reworded_title_as_trivial(old, new):
    assert is_trivial_title_change(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("VP Sales", "CEO"),
        ("VP Sales", "VP Marketing"),
        ("VP Sales", "SVP Sales"),
        ("Director", "Senior Director"),
        ("VP Sales", "VP Sales Operations"),
        ("Sales VP", "VP Sales"),
    ],
)
def test_it_sees_a_real_title_change(old, new):
    assert not is_trivial_title_change(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Acme", "Acme Inc."),
        ("Acme Corp", "ACME Corporation"),
        ("Acme, Inc.", "Acme Incorporated"),
        ("Acme Ltd", "Acme Limited"),
        ("The Acme Company", "Acme"),
        ("Acme GmbH", "ACME"),
        ("Smith & Sons", "Smith and Sons, LLC"),
        ("Acme S.A.", "Acme SA"),
    ],
)
def test_it_sees_a_legal_form_rename_as_trivial(old, new):
    assert is_trivial_company_rename(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Acme", "Contoso"),
        ("Acme", "Acme Robotics"),
        ("Acme Inc.", "Globex Inc."),
        ("Corp", "Company"),  # a suffix alone is the name, not a legal form
    ],
)
def test_it_sees_a_real_company_rename(old, new):
    assert not is_trivial_company_rename(old, new)


def test_it_fingerprints_rewordings_of_the_same_change_alike():
    a = change_fingerprint("role_change", 7, "VP Sales", "Chief Revenue Officer")
    b = change_fingerprint("role_change", 7, "vp of sales", "CRO")
    assert a == b


def test_it_fingerprints_company_renames_by_their_name_without_legal_form():
    a = change_fingerprint("acquisition", None, "Acme Inc.", "Contoso")
    b = change_fingerprint("acquisition", None, "ACME Corporation", "Contoso, Ltd.")
    assert a == b


@pytest.mark.parametrize(
    "other",
    [
        ("promotion", 7, "VP Sales", "Chief Revenue Officer"),   # another kind
        ("role_change", 8, "VP Sales", "Chief Revenue Officer"),  # another contact
        ("role_change", 7, "VP Sales", "VP Marketing"),           # another new value
        ("role_change", 7, "Chief Revenue Officer", "VP Sales"),  # the other direction
    ],
)
def test_it_fingerprints_different_changes_differently(other):
    assert change_fingerprint("role_change", 7, "VP Sales", "Chief Revenue Officer") != change_fingerprint(*other)


def test_it_treats_numeric_and_string_contact_ids_alike_in_fingerprints():
    assert change_fingerprint("promotion", 7, "a", "b") == change_fingerprint("promotion", "7", "a", "b")
