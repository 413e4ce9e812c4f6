from __future__ import annotations

import copy
import json

import pytest
from jsonschema import Draft202012Validator

from reports.render_json import load_schema, to_json, to_json_dict

from .conftest import HOSTILE_NAME


@pytest.fixture
def validator():
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_it_validates_against_the_shipped_schema(rich_report, empty_report, validator):
    for report in (rich_report, empty_report):
        doc = json.loads(to_json(report))
        assert list(validator.iter_errors(doc)) == []


def test_it_carries_the_required_fields(rich_report):
    doc = to_json_dict(rich_report)
    assert doc["account"] == {"id": "acc_123", "external_id": None, "source": None, "name": "Acme Corp",
                              "tier": "enterprise"}
    assert doc["as_of"] == "2025-06-15"
    assert doc["overall"] == {"score": 78, "status": "Engaged", "risk": "Low", "note": ""}
    jane, dana, old = doc["sponsors"]
    assert (jane["status"], jane["primary"], jane["backup"]) == ("✓", True, False)
    assert (dana["name"], dana["status"], dana["backup"]) == (HOSTILE_NAME, "⚠", True)
    assert (old["status"], old["last_touch"], old["breakdown"]) == ("✗", None, None)
    assert jane["breakdown"]["qbr_attendance"] == {"score": 19, "note": "3/4 QBRs"}
    assert list(jane["breakdown"]) == ["meeting_frequency", "responsiveness",
                                       "qbr_attendance", "strategic_alignment"]
    assert doc["succession"]["risk_level"] == "M"
    assert doc["succession"]["primary_tenure_months"] == 27
    assert doc["recommendations"]["short_term"][0] == {"action": "Brief the new CFO",
                                                       "reason": "Continuity"}
    assert doc["alerts"][0] == {"code": "sponsor_departed", "severity": "critical",
                                "message": "CFO Old Sponsor departed"}
    assert doc["calendar"][0] == {"date": "2025-07-01", "event": "1:1",
                                  "attendees": ["Jane Roe", "Sam CSM"],
                                  "objective": "Renewal plan"}


def test_empty_report_has_nulls_and_empty_lists(empty_report):
    doc = to_json_dict(empty_report)
    assert doc["primary"] is None and doc["score_breakdown"] is None
    assert doc["sponsors"] == [] and doc["calendar"] == []
    assert doc["succession"] == {"primary_tenure_months": None, "backups": [], "risk_level": "H"}


@pytest.mark.parametrize("break_it", [
    lambda d: d["alerts"].append({"code": "made_up", "severity": "low", "message": "x"}),
    lambda d: d["alerts"].append({"code": "org_change", "severity": "urgent", "message": "x"}),
    lambda d: d["sponsors"][0].update(engagement_level="Fan"),
    lambda d: d["sponsors"][0].update(status="?"),
    lambda d: d["sponsors"][0]["breakdown"].pop("responsiveness"),
    lambda d: d["sponsors"][0]["breakdown"]["responsiveness"].update(score=26),
    lambda d: d["overall"].update(risk="Severe"),
    lambda d: d["succession"].update(risk_level="X"),
    lambda d: d["recommendations"].update(later=[]),
    lambda d: d["account"].update(extra=1),
    lambda d: d.pop("calendar"),
    lambda d: d.update(as_of="15/06/2025"),
])
def test_a_broken_document_fails(rich_report, validator, break_it):
    doc = copy.deepcopy(to_json_dict(rich_report))
    break_it(doc)
    assert list(validator.iter_errors(doc)), "expected a schema error"
