"""The report as PDF: the printable HTML page rendered by WeasyPrint.

Report content is CRM text and must not be able to read local files or reach the network
(an ``<img src="file:///etc/passwd">`` or a CSS ``url(http://…)``), so WeasyPrint gets a
URL fetcher that refuses every URL except ``data:``.  The templates autoescape CRM text
anyway; the fetcher is the second wall.
"""

from __future__ import annotations

from weasyprint import HTML
from weasyprint.urls import URLFetcher

from reports.render_html import to_html
from reports.report import SponsorReport

ALLOWED_SCHEMES = ("data",)


class RefusedURL(ValueError):
    """Raised (and logged by WeasyPrint as a warning) for every non-``data:`` URL."""


class DataOnlyURLFetcher(URLFetcher):
    """Fetches ``data:`` URLs only; remembers what it refused in ``self.refused``."""

    def __init__(self, **kwargs):
        super().__init__(allowed_protocols=ALLOWED_SCHEMES, **kwargs)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ALLOWED_SCHEMES:
            self.refused.append(url)
            raise RefusedURL(f"URL refused (only data: is allowed): {url[:200]}")
        return super().fetch(url, headers)


def html_to_pdf(html: str, *, url_fetcher: DataOnlyURLFetcher | None = None) -> bytes:
    """PDF bytes from an HTML string, fetching nothing but ``data:`` URLs."""
    fetcher = url_fetcher if url_fetcher is not None else DataOnlyURLFetcher()
    return HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()


def to_pdf(report: SponsorReport) -> bytes:
    return html_to_pdf(to_html(report, full_page=True))
