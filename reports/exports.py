"""One report, every download format: the single place that maps a format to bytes, a content
type and a file name (the command, the pages and the API all use it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.text import slugify

from reports.calendar import to_ics
from reports.render_html import to_html
from reports.render_json import to_json
from reports.render_markdown import to_markdown
from reports.report import SponsorReport

FORMATS = ("md", "html", "pdf", "json", "ics")
CONTENT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "ics": "text/calendar; charset=utf-8",
}


class UnknownFormat(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Export:
    content: bytes
    content_type: str
    filename: str


def report_filename(account_name: str, as_of: date, fmt: str) -> str:
    return f"sponsor-report-{slugify(account_name) or 'account'}-{as_of.isoformat()}.{fmt}"


def export_report(report: SponsorReport, fmt: str) -> Export:
    """The report in ``fmt`` (one of ``FORMATS``); an unknown format raises ``UnknownFormat``."""
    if fmt not in FORMATS:
        raise UnknownFormat(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    h = report.header
    if fmt == "md":
        content = to_markdown(report).encode()
    elif fmt == "html":
        content = to_html(report, full_page=True).encode()
    elif fmt == "pdf":
        from reports.render_pdf import to_pdf  # noqa: PLC0415 - WeasyPrint is heavy: load it only for PDFs

        content = to_pdf(report)
    elif fmt == "json":
        content = (to_json(report) + "\n").encode()
    else:
        content = to_ics(report.calendar, account_name=h.account_name, as_of=h.as_of)
    return Export(content=content, content_type=CONTENT_TYPES[fmt],
                  filename=report_filename(h.account_name, h.as_of, fmt))
