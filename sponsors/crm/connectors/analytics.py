"""``analytics.get_metrics``: the spec's three metrics per account (ROI, strategic goals progress, executive
dashboard views) from a JSON endpoint or a CSV file.

Both carry one row per account and date with the columns ``account_id`` (the CRM id of the account),
``as_of`` (YYYY-MM-DD), ``roi``, ``strategic_goals_progress`` (0..1) and ``executive_dashboard_views``; the
JSON endpoint answers a list of such objects, or ``{"metrics": [...]}``.  A row that cannot be read is a
problem naming its row and column; the others are kept."""

from __future__ import annotations

import csv
import time

from .base import ConnectorError, Item, Page, RecordProblem
from .http import Http
from .mapping import Malformed, iso_date, number

COLUMNS = ("roi", "strategic_goals_progress", "executive_dashboard_views")


def metric_item(row, where: str) -> Item:
    if not isinstance(row, dict):
        raise Malformed(f"{where}: a row is an object with account_id, as_of and the metrics")
    account = str(row.get("account_id") or "").strip()
    if not account:
        raise Malformed("account_id: missing")
    as_of = iso_date(row.get("as_of"), "as_of")
    metrics = {"as_of": as_of}
    for column in COLUMNS:
        value = number(row.get(column), column)
        if value is not None:
            metrics[column] = int(value) if column == "executive_dashboard_views" else value
    return Item("metrics", f"{account}:{as_of or ''}", account, metrics)


class AnalyticsSource:
    def __init__(self, *, url="", csv_path="", conf=None, sleep=time.sleep):
        self.url, self.csv_path = url, csv_path
        self.http = Http(conf=conf, sleep=sleep, what="the analytics endpoint") if url else None

    def rows(self):
        if self.url:
            body = self.http.json("GET", self.url)
            rows = body.get("metrics") if isinstance(body, dict) else body
            if not isinstance(rows, list):
                raise ConnectorError("the analytics endpoint must answer a list of rows, or {\"metrics\": [...]}")
            return [(f"metrics[{i}]", row) for i, row in enumerate(rows)]
        try:
            with open(self.csv_path, newline="", encoding="utf-8") as f:
                return [(f"line {i}", row) for i, row in enumerate(csv.DictReader(f), start=2)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise ConnectorError(f"the analytics CSV {self.csv_path} cannot be read: {exc}") from None

    def pages(self):
        page = Page("metrics")
        for where, row in self.rows():
            try:
                page.items.append(metric_item(row, where))
            except Malformed as exc:
                ident = str(row.get("account_id") or where) if isinstance(row, dict) else where
                page.problems.append(RecordProblem("metrics", ident, f"{where}: {exc}"))
        yield page
