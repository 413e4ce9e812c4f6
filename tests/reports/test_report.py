from __future__ import annotations

from datetime import date

import pytest

from reports.report import (
    SponsorRow,
    backup_label,
    months_between,
    status_symbol,
    succession_risk_level,
    tenure_text,
)


@pytest.mark.parametrize("level, departed, symbol", [
    ("Champion", False, "✓"), ("Engaged", False, "✓"), ("Passive", False, "⚠"),
    ("Disengaged", False, "✗"), ("Unknown", False, "✗"), ("Champion", True, "✗"),
    ("Nonsense", False, "✗"),
])
def test_status_symbol_rule(level, departed, symbol):
    assert status_symbol(level, departed=departed) == symbol
    row = SponsorRow(id=1, name="n", title="t", score=50, engagement_level=level, risk="Low",
                     departed=departed)
    assert row.status == symbol


@pytest.mark.parametrize("has_primary, tenure, backups, risk", [
    (False, 40, ("Engaged",), "H"),
    (True, 40, (), "H"),
    (True, 40, ("Passive", "Disengaged"), "M"),
    (True, 6, ("Engaged",), "M"),
    (True, None, ("Champion",), "M"),
    (True, 12, ("Passive", "Engaged"), "L"),
])
def test_succession_risk_rule(has_primary, tenure, backups, risk):
    assert succession_risk_level(has_primary=has_primary, primary_tenure_months=tenure,
                                 backup_levels=backups) == risk


def test_tenure_and_labels():
    assert months_between(date(2023, 3, 20), date(2025, 6, 15)) == 26
    assert months_between(date(2025, 7, 1), date(2025, 6, 15)) == 0
    assert [tenure_text(m) for m in (None, 0, 1, 7, 12, 27)] == [
        "—", "0 months", "1 month", "7 months", "1 year", "2 years 3 months"]
    assert backup_label("Dana", "VP Ops") == "Dana (VP Ops)"
    assert backup_label("Dana") == "Dana"
