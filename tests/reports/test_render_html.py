from __future__ import annotations

import html

from reports.render_html import to_html
from reports.report import EMPTY

from .conftest import HOSTILE_NAME, PIPE_TITLE


def test_it_escapes_crm_text(rich_report):
    page = to_html(rich_report)
    assert "<script>" not in page
    assert html.escape(HOSTILE_NAME, quote=False) in page
    assert html.escape(PIPE_TITLE, quote=False) in page


def test_it_escapes_an_img_tag_in_crm_text(rich_report):
    from dataclasses import replace

    sponsors = (replace(rich_report.sponsors[0], title='<img src="file:///etc/passwd">'),)
    page = to_html(replace(rich_report, sponsors=sponsors), full_page=False)
    assert "<img" not in page
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in page


def test_the_printable_page_includes_the_body_with_print_css(rich_report):
    page = to_html(rich_report)
    body = to_html(rich_report, full_page=False)
    assert page.startswith("<!DOCTYPE html>")
    assert "@page" in page
    assert body.strip() in page
    for title in ("Executive Sponsor Report", "Executive Sponsors", "Primary Sponsor: Jane Roe",
                  "Engagement Health", "Organizational Intelligence", "Strategic Alignment",
                  "Recommended Actions", "Engagement Calendar", "Immediate (This Week)"):
        assert title in body


def test_it_shows_alerts_by_their_title_and_empty_states(rich_report, empty_report):
    html = to_html(rich_report, full_page=False)
    assert "Sponsor departed" in html          # the alert's human title ...
    assert "sponsor_departed" not in html      # ... never its raw code
    body = to_html(empty_report, full_page=False)
    for key in ("sponsors", "primary", "timeline", "calendar", "alignment"):
        assert EMPTY[key] in body
    assert "Backup relationships: No backup sponsor" in body
    assert "<table" not in body


def test_the_overall_line_carries_a_note_only_when_there_is_one(rich_report):
    """An account scored in its band has no note: no empty "—" line under its engagement."""
    from dataclasses import replace

    plain = to_html(replace(rich_report, header=replace(rich_report.header, overall_note="")), full_page=False)
    assert 'class="overall-note"' not in plain
    noted = replace(rich_report, header=replace(rich_report.header, overall_note="no active executive sponsor"))
    assert '<small class="overall-note">no active executive sponsor</small>' in to_html(noted, full_page=False)
