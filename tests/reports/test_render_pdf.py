from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader

from reports.render_pdf import DataOnlyURLFetcher, RefusedURL, html_to_pdf, to_pdf


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_it_renders_a_pdf_with_the_account_and_sections(rich_report):
    data = to_pdf(rich_report)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for needle in ("Acme Corp", "Executive Sponsor Report", "Executive Sponsors",
                   "Engagement Health", "Organizational Intelligence", "Strategic Alignment",
                   "Recommended Actions", "Engagement Calendar"):
        assert needle in text


def test_crm_text_with_an_img_tag_is_printed_as_text(rich_report):
    hostile = '<img src="file:///etc/passwd">'
    report = replace(rich_report, header=replace(rich_report.header, account_name=hostile))
    text = pdf_text(to_pdf(report))
    assert "file:///etc/passwd" in text            # shown as text, not fetched
    assert "root:" not in text


def test_the_fetcher_refuses_everything_but_data_urls():
    fetcher = DataOnlyURLFetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.com/a.css",
                "ftp://example.com/x"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert fetcher.refused == ["file:///etc/passwd", "http://127.0.0.1:9/x.png",
                               "https://example.com/a.css", "ftp://example.com/x"]
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_raw_html_cannot_make_weasyprint_read_files(caplog):
    fetcher = DataOnlyURLFetcher()
    html = ('<p>x</p><img src="file:///etc/passwd">'
            '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">'
            '<div style="background: url(file:///etc/hostname)">y</div>')
    data = html_to_pdf(html, url_fetcher=fetcher)
    assert data.startswith(b"%PDF")
    assert set(fetcher.refused) == {"file:///etc/passwd", "http://127.0.0.1:9/evil.css",
                                    "file:///etc/hostname"}
