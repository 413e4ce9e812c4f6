"""The report as a JSON-ready dict, validated by ``schemas/sponsor-report.schema.json``.

Dates are ISO strings (YYYY-MM-DD) or ``null`` when unknown.  A sponsor's ``breakdown`` is
an object keyed by factor (``meeting_frequency``, ``responsiveness``, ``qbr_attendance``,
``strategic_alignment``; each ``{score, note}``), or ``null`` when there is no breakdown.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path

from reports.report import SponsorReport, ordered_factors
from sponsors.rules.alert_codes import ALERT_CODES

SCHEMA_PATH = Path(__file__).parent / "schemas" / "sponsor-report.schema.json"


@cache
def load_schema() -> dict:
    """The report's JSON Schema: the shipped file, with the alert codes filled in from the registry."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["$defs"]["alert_code"] = {
        "enum": list(ALERT_CODES),
        "description": "Alert codes: " + "; ".join(f"{c.code}: {c.title} ({c.severity_rule})"
                                                     for c in ALERT_CODES.values()),
    }
    return schema


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _breakdown(factors) -> dict | None:
    if not factors:
        return None
    return {f.key: {"score": f.score, "note": f.note} for f in ordered_factors(factors)}


# Long by design: one dict literal with one entry per report section, the shape of the JSON Schema.
def to_json_dict(report: SponsorReport) -> dict:
    h = report.header
    p = report.primary
    succ = report.org.succession
    return {
        "account": {"id": h.account_id, "name": h.account_name, "tier": h.tier},
        "as_of": _date(h.as_of),
        "overall": {"score": h.overall_score, "status": h.overall_status, "risk": h.overall_risk},
        "sponsors": [
            {
                "id": s.id,
                "name": s.name,
                "title": s.title,
                "score": s.score,
                "engagement_level": s.engagement_level,
                "risk": s.risk,
                "last_touch": _date(s.last_touch),
                "status": s.status,
                "primary": s.primary,
                "backup": s.backup,
                "departed": s.departed,
                "breakdown": _breakdown(s.breakdown),
            }
            for s in report.sponsors
        ],
        "primary": None if p is None else {
            "id": p.id,
            "name": p.name,
            "title": p.title,
            "tenure_months": p.tenure_months,
            "tenure": p.tenure,
            "priorities": list(p.priorities),
            "communication_preference": p.communication_preference,
        },
        "timeline": [
            {
                "date": _date(t.date),
                "type": t.interaction_type,
                "label": t.interaction_label,
                "topics": list(t.topics),
                "outcome": t.outcome,
            }
            for t in report.timeline
        ],
        "score_breakdown": _breakdown(report.breakdown),
        "health": {
            "strengths": list(report.health.strengths),
            "concerns": [{"title": c.title, "details": c.details} for c in report.health.concerns],
        },
        "recent_changes": [
            {"change": c.change, "impact": c.impact} for c in report.org.recent_changes
        ],
        "succession": {
            "primary_tenure_months": succ.primary_tenure_months,
            "backups": list(succ.backups),
            "risk_level": succ.risk_level,
        },
        "alignment": [
            {
                "our_initiative": a.our_initiative,
                "their_priority": a.their_priority,
                "alignment": a.alignment,
            }
            for a in report.alignment
        ],
        "recommendations": {
            horizon: [{"action": r.action, "reason": r.reason} for r in recs]
            for horizon, recs in report.recommendations.by_horizon()
        },
        "alerts": [
            {"code": a.code, "severity": a.severity, "message": a.message} for a in report.alerts
        ],
        "calendar": [
            {
                "date": _date(c.date),
                "event": c.event,
                "attendees": list(c.attendees),
                "objective": c.objective,
            }
            for c in report.calendar
        ],
    }


def to_json(report: SponsorReport, *, indent: int | None = 2) -> str:
    return json.dumps(to_json_dict(report), ensure_ascii=False, indent=indent)
