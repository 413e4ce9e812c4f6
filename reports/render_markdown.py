"""The report as Markdown, in exactly the spec's "Response Format" structure and order.

Every piece of CRM text goes through ``md_inline`` (or ``md_cell`` in tables): newlines
become spaces and Markdown specials (and every ``#``) are backslash-escaped, so a contact named ``*bold*`` or
``<script>`` renders as that literal text and a ``|`` cannot split a table cell.
Empty sections say so explicitly (``report.EMPTY``) instead of showing empty tables.
"""

from __future__ import annotations

import re

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

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that can
# start markup inline.  '&' is included so entity references (&lt;) stay literal; '|' so
# table cells cannot be split.
_SPECIALS = re.compile(r"([\\`*_\[\]<>&|~!#])")
_WS = re.compile(r"\s+")
_ORDERED_MARKER = re.compile(r"^(\d+)([.)])")


def md_inline(text) -> str:
    """CRM text made safe for one line of Markdown; ``"—"`` when empty."""
    text = _WS.sub(" ", str(text if text is not None else "")).strip()
    if not text:
        return UNKNOWN
    text = _SPECIALS.sub(r"\\\1", text)
    # Text that could open a block (list item, setext underline) where it starts a line or
    # follows a list marker: escape its leading marker.
    if text[0] in "-+=":
        text = "\\" + text
    text = _ORDERED_MARKER.sub(r"\1\\\2", text)
    return text


def md_cell(text) -> str:
    """A table cell: like ``md_inline`` (``|`` is escaped there too)."""
    return md_inline(text)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("-" * (len(h) + 2) for h in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _section(lines: list[str], title: str) -> None:
    if lines and lines[-1] != "":
        lines.append("")
    lines += [title, ""]


def to_markdown(report: SponsorReport) -> str:
    h = report.header
    out: list[str] = ["## Executive Sponsor Report", ""]
    out += [
        f"**Account**: {md_inline(h.account_name)}  ",
        f"**Account Tier**: {md_inline(h.tier_label)}  ",
        f"**Overall Exec Engagement**: {md_inline(h.overall_status)} ({h.overall_score}/100)",
    ]
    _executive_sponsors(out, report)
    _primary_sponsor(out, report)
    _engagement_health(out, report)
    _organizational_intelligence(out, report)
    _strategic_alignment(out, report)
    _recommended_actions(out, report)
    _engagement_calendar(out, report)
    return "\n".join(out) + "\n"


def _executive_sponsors(out: list[str], report: SponsorReport) -> None:
    """Executive Sponsors."""
    _section(out, "### Executive Sponsors")
    if report.sponsors:
        rows = []
        for s in report.sponsors:
            status = s.status
            if s.role_label:
                status += f" {s.role_label}"
            if s.departed:
                status += " (departed)"
            rows.append((
                md_cell(s.name), md_cell(s.title),
                f"{s.score} ({md_cell(s.engagement_level)})",
                fmt_date(s.last_touch), status,
            ))
        out += _table(("Name", "Title", "Engagement", "Last Touch", "Status"), rows)
    else:
        out.append(EMPTY["sponsors"])


def _primary_sponsor(out: list[str], report: SponsorReport) -> None:
    """Primary Sponsor."""
    p = report.primary
    _section(out, f"### Primary Sponsor: {md_inline(p.name) if p else 'Not identified'}")
    out += ["**Profile**", ""]
    if p:
        priorities = "; ".join(md_inline(x) for x in p.priorities) or EMPTY["priorities"]
        preference = (
            md_inline(p.communication_preference)
            if p.communication_preference
            else EMPTY["communication_preference"]
        )
        out += [
            f"- **Title**: {md_inline(p.title)}",
            f"- **Tenure**: {tenure_text(p.tenure_months)}",
            f"- **Priorities**: {priorities}",
            f"- **Communication Preference**: {preference}",
        ]
    else:
        out.append(EMPTY["primary"])

    out += ["", "**Engagement Timeline**", ""]
    if report.timeline:
        out += _table(
            ("Date", "Interaction", "Topics", "Outcome"),
            [
                (fmt_date(t.date), md_cell(t.interaction_label),
                 md_cell(", ".join(t.topics)), md_cell(t.outcome))
                for t in report.timeline
            ],
        )
    else:
        out.append(EMPTY["timeline"])

    out += ["", "**Engagement Score Breakdown**", ""]
    if report.breakdown:
        out += _table(
            ("Factor", "Score", "Notes"),
            [
                (md_cell(f.label), f"{f.score}/{FACTOR_MAX}", md_cell(f.note))
                for f in ordered_factors(report.breakdown)
            ],
        )
    else:
        out.append(EMPTY["breakdown"])


def _engagement_health(out: list[str], report: SponsorReport) -> None:
    """Engagement Health."""
    _section(out, "### Engagement Health")
    out += ["**Strengths**", ""]
    out += [f"- {md_inline(s)}" for s in report.health.strengths] or [EMPTY["strengths"]]
    out += ["", "**Concerns**", ""]
    out += [
        f"- ⚠️ {md_inline(c.title)}" + (f": {md_inline(c.details)}" if c.details else "")
        for c in report.health.concerns
    ] or [EMPTY["concerns"]]


def _organizational_intelligence(out: list[str], report: SponsorReport) -> None:
    """Organizational Intelligence."""
    _section(out, "### Organizational Intelligence")
    out += ["**Recent Changes**", ""]
    out += [
        f"- {md_inline(c.change)}" + (f": {md_inline(c.impact)}" if c.impact else "")
        for c in report.org.recent_changes
    ] or [EMPTY["recent_changes"]]
    succ = report.org.succession
    backups = ", ".join(md_inline(b) for b in succ.backups) or EMPTY["backups"]
    out += [
        "", "**Succession Risk**", "",
        f"- Current sponsor tenure: {tenure_text(succ.primary_tenure_months)}",
        f"- Backup relationships: {backups}",
        f"- Risk level: {succ.risk_level}",
    ]


def _strategic_alignment(out: list[str], report: SponsorReport) -> None:
    """Strategic Alignment."""
    _section(out, "### Strategic Alignment")
    if report.alignment:
        out += _table(
            ("Our Initiative", "Their Priority", "Alignment"),
            [
                (md_cell(a.our_initiative), md_cell(a.their_priority), md_cell(a.alignment_label))
                for a in report.alignment
            ],
        )
    else:
        out.append(EMPTY["alignment"])


def _recommended_actions(out: list[str], report: SponsorReport) -> None:
    """Recommended Actions."""
    _section(out, "### Recommended Actions")
    for i, (horizon, recs) in enumerate(report.recommendations.by_horizon()):
        if i:
            out.append("")
        out += [f"**{HORIZON_LABELS[horizon]}**", ""]
        out += [
            f"{n}. {md_inline(r.action)}: {md_inline(r.reason)}" for n, r in enumerate(recs, 1)
        ] or [EMPTY[horizon]]


def _engagement_calendar(out: list[str], report: SponsorReport) -> None:
    """Engagement Calendar."""
    _section(out, "### Engagement Calendar")
    if report.calendar:
        out += _table(
            ("Date", "Event", "Attendees", "Objective"),
            [
                (fmt_date(c.date), md_cell(c.event), md_cell(", ".join(c.attendees)),
                 md_cell(c.objective))
                for c in report.calendar
            ],
        )
    else:
        out.append(EMPTY["calendar"])
