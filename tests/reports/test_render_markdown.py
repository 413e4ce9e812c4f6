from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from reports.render_markdown import md_inline, to_markdown
from reports.report import EMPTY
from tests.markdown_support import BOLD_LABELS, SECTION_HEADINGS, TABLE_COLUMNS, inline_text, md, parse_markdown

from .conftest import HOSTILE_NAME, PIPE_TITLE

SPONSORS_COLS = TABLE_COLUMNS["sponsors"]
TIMELINE_COLS = TABLE_COLUMNS["timeline"]
BREAKDOWN_COLS = TABLE_COLUMNS["breakdown"]
ALIGNMENT_COLS = TABLE_COLUMNS["alignment"]
CALENDAR_COLS = TABLE_COLUMNS["calendar"]

def parse(text):
    """Headings, bold-only paragraphs and tables (header + rows), each in document order."""
    headings, bold, tables, _types = parse_markdown(text)
    return headings, bold, tables


def test_it_follows_the_spec_sections_in_order(rich_report):
    headings, bold, _ = parse(to_markdown(rich_report))
    expected = [(lv, t.format(primary="Jane Roe")) for lv, t in SECTION_HEADINGS]
    assert headings == expected
    assert bold == BOLD_LABELS


def test_it_renders_the_header_lines(rich_report):
    text = to_markdown(rich_report)
    assert "**Account**: Acme Corp" in text
    assert "**Account Tier**: Enterprise" in text
    assert "**Overall Exec Engagement**: Engaged (78/100)" in text


def test_it_renders_every_table_with_the_spec_columns_and_row_counts(rich_report):
    _, _, tables = parse(to_markdown(rich_report))
    assert [(t["header"], len(t["rows"])) for t in tables] == [
        (SPONSORS_COLS, 3),
        (TIMELINE_COLS, 3),
        (BREAKDOWN_COLS, 4),
        (ALIGNMENT_COLS, 3),
        (CALENDAR_COLS, 2),
    ]
    for t in tables:
        assert all(len(r) == len(t["header"]) for r in t["rows"])


def test_it_renders_scores_notes_status_and_dates(rich_report):
    _, _, tables = parse(to_markdown(rich_report))
    sponsors, _, breakdown, alignment, _ = tables
    assert sponsors["rows"][0] == ("Jane Roe", "Chief Operating Officer", "78 (Engaged)",
                                   "2025-06-02", "✓ Primary")
    assert sponsors["rows"][1][3:] == ("2025-03-20", "⚠ Backup")
    assert sponsors["rows"][2][3:] == ("—", "✗ (departed)")
    assert breakdown["rows"] == [
        ("Meeting Frequency", "19/25", "Target 12: Actual 9"),
        ("Responsiveness", "22/25", "Avg 2.5 days to respond"),
        ("QBR Attendance", "19/25", "3/4 QBRs"),
        ("Strategic Alignment", "18/25", "2 of 3 priorities aligned"),
    ]
    assert [r[2] for r in alignment["rows"]] == ["High", "Medium", "Low"]


def test_it_renders_concerns_succession_and_numbered_actions(rich_report):
    text = to_markdown(rich_report)
    assert "- ⚠️ Backup sponsor passive: Last touch 87 days ago" in text
    assert "- Current sponsor tenure: 2 years 3 months" in text
    assert "- Risk level: M" in text
    assert "1. Brief the new CFO: Continuity\n2. Map" in text


def test_it_keeps_hostile_crm_text_literal_in_tables(rich_report):
    text = to_markdown(rich_report)
    _, _, tables = parse(text)
    dana = tables[0]["rows"][1]
    assert len(dana) == 5
    assert dana[0] == HOSTILE_NAME
    assert dana[1] == PIPE_TITLE
    # newlines in a cell become spaces
    assert tables[1]["rows"][1][3] == "Positive; asked for ROI"
    html = md.render(text)
    assert "<script>" not in html
    assert "<em>" not in html and "<strong>bold" not in html


def test_it_keeps_hostile_crm_text_literal_outside_tables(rich_report):
    tokens = md.parse(to_markdown(rich_report))
    texts = [inline_text(t) for t in tokens if t.type == "inline"]
    assert f"Backup relationships: {HOSTILE_NAME} ({PIPE_TITLE})" in texts


def test_it_shows_explicit_empty_states(empty_report):
    text = to_markdown(empty_report)
    headings, bold, tables = parse(text)
    assert headings == [(lv, t.format(primary="Not identified")) for lv, t in SECTION_HEADINGS]
    assert bold == BOLD_LABELS
    assert tables == []
    for key in ("sponsors", "primary", "timeline", "breakdown", "strengths", "concerns",
                "recent_changes", "alignment", "immediate", "short_term", "strategic",
                "calendar"):
        assert EMPTY[key] in text, key
    assert "- Backup relationships: No backup sponsor" in text
    assert "- Current sponsor tenure: —" in text
    assert "- Risk level: H" in text


@given(st.text(alphabet=string.printable, min_size=1, max_size=40))
def test_it_round_trips_any_text_in_a_cell_and_a_bullet(text):
    normalized = " ".join(text.split())
    if not normalized:
        return
    escaped = md_inline(text)
    _, _, tables = parse(f"| A | B |\n|---|---|\n| {escaped} | x |\n")
    assert tables[0]["rows"] == [(normalized, "x")]
    tokens = md.parse(f"- Label: {escaped}\n")
    assert [t.type for t in tokens] == [
        "bullet_list_open", "list_item_open", "paragraph_open", "inline",
        "paragraph_close", "list_item_close", "bullet_list_close",
    ]
    assert inline_text(tokens[3]) == f"Label: {normalized}"
