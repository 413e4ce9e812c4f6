"""The report as HTML through Django templates (autoescaped: CRM text is always text).

Templates live in the project's ``templates/reports/`` so they work as ordinary page templates
(``TEMPLATES['DIRS']``) and through a standalone engine:

* ``_sponsor_report_body.html`` -- a block-free fragment (the report sections), for pages
  and HTMX partials;
* ``sponsor_report_print.html`` -- a full, self-contained printable page (print CSS
  inline, no external resources) that includes the fragment; the PDF is rendered from it.

``html_context`` turns a ``SponsorReport`` into plain strings (numbers too, so nothing is
localised; dates ISO, "—" for unknown, explicit empty states), so the templates need no
filters, localisation or settings and a standalone ``django.template.Engine`` renders them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.template import Context, Engine

from accounts.vocabulary import HORIZON_LABELS
from reports.report import (
    EMPTY,
    FACTOR_MAX,
    UNKNOWN,
    SponsorReport,
    fmt_date,
    ordered_factors,
    tenure_text,
)

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"   # the project's one templates folder
BODY_TEMPLATE = "reports/_sponsor_report_body.html"
PRINT_TEMPLATE = "reports/sponsor_report_print.html"


@cache
def engine() -> Engine:
    """A standalone engine with autoescaping on (no Django settings needed)."""
    return Engine(dirs=[str(TEMPLATE_DIR)], autoescape=True)


def _text(value) -> str:
    value = "" if value is None else str(value).strip()
    return value or UNKNOWN


# Long by design: one dict literal with one entry per report section, in the spec's order.
def html_context(report: SponsorReport) -> dict:
    h = report.header
    p = report.primary
    succ = report.org.succession
    return {
        "empty": EMPTY,
        "header": {
            "account_name": _text(h.account_name),
            "tier": h.tier_label,
            "status": h.overall_status,
            "score": str(h.overall_score),
            "risk": h.overall_risk,
            "note": (h.overall_note or "").strip(),          # only an Unknown account has one; empty: no line
            "as_of": fmt_date(h.as_of),
        },
        "alerts": [
            {"code": a.code, "title": a.title, "severity": a.severity, "message": _text(a.message)}
            for a in report.alerts
        ],
        "sponsors": [
            {
                "name": _text(s.name),
                "title": _text(s.title),
                "score": str(s.score),
                "level": s.engagement_level,
                "last_touch": fmt_date(s.last_touch),
                "status": s.status,
                "role": s.role_label,
                "departed": s.departed,
            }
            for s in report.sponsors
        ],
        "primary": None if p is None else {
            "name": _text(p.name),
            "title": _text(p.title),
            "tenure": tenure_text(p.tenure_months),
            "priorities": "; ".join(x for x in p.priorities if x) or EMPTY["priorities"],
            "communication_preference": p.communication_preference
            or EMPTY["communication_preference"],
        },
        "timeline": [
            {
                "date": fmt_date(t.date),
                "interaction": t.interaction_label,
                "topics": _text(", ".join(t.topics)),
                "outcome": _text(t.outcome),
            }
            for t in report.timeline
        ],
        "breakdown": [
            {"label": f.label, "score": f"{f.score}/{FACTOR_MAX}", "note": _text(f.note)}
            for f in ordered_factors(report.breakdown)
        ],
        "strengths": list(report.health.strengths),
        "concerns": [{"title": c.title, "details": c.details} for c in report.health.concerns],
        "recent_changes": [{"change": c.change, "impact": c.impact} for c in report.org.recent_changes],
        "succession": {
            "tenure": tenure_text(succ.primary_tenure_months),
            "backups": ", ".join(succ.backups) or EMPTY["backups"],
            "risk_level": succ.risk_level,
            "risk_label": succ.risk_label,
        },
        "alignment": [
            {"initiative": _text(a.our_initiative), "priority": _text(a.their_priority),
             "alignment": a.alignment_label}
            for a in report.alignment
        ],
        "recommendations": [
            {
                "label": HORIZON_LABELS[horizon],
                "items": [{"action": r.action, "reason": r.reason} for r in recs],
                "empty": EMPTY[horizon],
            }
            for horizon, recs in report.recommendations.by_horizon()
        ],
        "calendar": [
            {
                "date": fmt_date(c.date),
                "event": _text(c.event),
                "attendees": _text(", ".join(c.attendees)),
                "objective": _text(c.objective),
            }
            for c in report.calendar
        ],
    }


def to_html(report: SponsorReport, *, full_page: bool = True) -> str:
    """The printable full page (default) or just the body fragment."""
    name = PRINT_TEMPLATE if full_page else BODY_TEMPLATE
    return engine().get_template(name).render(Context(html_context(report)))
