"""The portfolio as a CSV file: every account the filters select, in the page's order, with what each row of
the page shows (``/portfolio.csv``, the same query string as the portfolio page).

The rows are read as the page reads them (``reports.portfolio_page``), a chunk of ``CHUNK`` accounts at a time:
a few queries a chunk, never the whole portfolio in memory, and the file is streamed as it is written.

A cell that a spreadsheet would take for a formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return: an account or sponsor name from a CRM can) is written with a leading apostrophe, as OWASP advises for
CSV injection; numbers are written as numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date

from reports.links import Link
from reports.portfolio_page import (
    Filters,
    filtered,
    open_alerts,
    page_details,
    page_row,
    shown_accounts,
    summary,
)

CHUNK = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("Account", "Tier", "Engagement score", "Engagement level", "Risk", "Days since last executive touch",
           "Cadence (days)", "Cadence overdue", "Next executive touch due", "ARR", "Currency", "Renewal date",
           "Days to renewal", "Renewal at risk", "Critical alerts", "High alerts", "Medium alerts", "Low alerts",
           "Primary sponsor", "Backup sponsor named", "Owner", "Workspace")


def safe_cell(value) -> object:
    """``value`` as a spreadsheet should read it: None empty, text that would start a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def rows(accounts, filters: Filters, *, as_of: date, today: date, owner_names: dict, base_url: str,
         urgent_days: int, chunk: int = CHUNK) -> Iterator:
    """The portfolio page's rows of every account matching ``filters``, in its sort order, ``chunk`` at a time."""
    qs = filtered(accounts, filters, as_of=as_of, today=today)
    total = summary(qs).total
    workspace = Link("reports:account", Link.ID)
    for start in range(0, total, chunk):
        chosen = shown_accounts(qs, filters.sort, start=start, stop=start + chunk)
        findings = open_alerts([a.pk for a in chosen])
        cadence, sponsors = page_details(chosen, as_of=as_of)
        for a in chosen:
            yield page_row(a, cadence.get(a.pk), sponsors.get(a.pk, {}), findings.get(a.pk),
                           owner_names.get(a.owner_id, ""), as_of=as_of, url=base_url + workspace(a.pk),
                           urgent_days=urgent_days)


def record(row) -> list:
    """One CSV record of a portfolio row, in ``COLUMNS`` order."""
    f = row.findings
    values = [
        row.name, row.tier_label, row.score, row.level, row.risk, row.days_since_exec_touch, row.cadence_days,
        ("yes" if row.cadence_overdue else "no") if row.cadence_days is not None else None,
        row.next_due or None, row.arr, row.currency if row.arr is not None else None,
        row.renewal_date.isoformat() if row.renewal_date else None, row.renewal_in_days,
        "yes" if row.renewal_urgent else "no",
        f.get("critical", 0), f.get("high", 0), f.get("medium", 0), f.get("low", 0),
        row.primary_sponsor, "yes" if row.has_backup else "no", row.owner, row.url,
    ]
    return [safe_cell(v) for v in values]


class _Line:
    """A file-like sink that hands back what ``csv.writer`` wrote, one record at a time."""

    def write(self, text: str) -> str:
        return text


def lines(portfolio_rows) -> Iterator[str]:
    """The CSV text, header first, one record per string (for a streaming response)."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(COLUMNS)          # the BOM: Excel then reads the names' accents right
    for row in portfolio_rows:
        yield writer.writerow(record(row))
