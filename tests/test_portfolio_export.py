"""The portfolio as a CSV file (``/portfolio.csv``, reports/portfolio_export.py): every account the page's filters
select, in the page's order, whatever the page shown; only the accounts the user may see; a bad filter is a 400
naming it; a name a spreadsheet would run as a formula is quoted.

The portfolio is the one of tests/test_portfolio_page.py (``build``): account i has ARR (i + 1) × 1,000 USD, renews
i days after today, scores i % 100, is owned by dana (even i) or li (odd i), and has one open alert of severity
low, medium, high, critical for i % 4 = 0, 1, 2, 3."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings

from accounts.models import Account
from accounts.selectors import accounts_visible_to
from reports import portfolio_export
from reports.portfolio_page import Filters

from .test_portfolio_page import TODAY, build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_nov_20_noon")]


def table(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")                          # Excel reads UTF-8 by its BOM
    return list(csv.reader(io.StringIO(text[1:])))


def test_every_matching_account_in_the_pages_order_with_what_its_row_shows(cast, client):
    accounts = build(30, cast)
    client.force_login(cast["admin"])
    response = client.get("/portfolio.csv", {"sort": "-arr", "page": 2})            # the page does not cut it
    assert response["Content-Disposition"] == 'attachment; filename="portfolio-2026-11-20.csv"'
    header, *rows = table(response)
    assert header == list(portfolio_export.COLUMNS)
    assert [r[0] for r in rows] == [f"Acct {i:04d}" for i in range(29, -1, -1)]
    acct_2 = dict(zip(header, rows[27], strict=True))
    assert acct_2 == {
        "Account": "Acct 0002", "Tier": "SMB", "Engagement score": "2", "Engagement level": "Disengaged",
        "Risk": "High", "Days since last executive touch": "2", "Cadence (days)": "30", "Cadence overdue": "no",
        "Next executive touch due": "2026-12-01", "ARR": "3000.00", "Currency": "USD", "Renewal date": "2026-11-22",
        "Days to renewal": "2", "Renewal at risk": "yes",               # High risk, renewing in 2 days
        "Critical alerts": "0", "High alerts": "1", "Medium alerts": "0", "Low alerts": "0",
        "Primary sponsor": "Sponsor 2", "Backup sponsor named": "no", "Owner": str(cast["csm"]),
        "Workspace": f"{settings.SITE_URL}/accounts/{accounts[2].pk}/"}


def test_the_filters_select_and_a_bad_one_is_named(cast, client):
    build(100, cast)
    client.force_login(cast["admin"])
    _, *rows = table(client.get("/portfolio.csv", {"tier": "smb", "renewal": 10, "sort": "name"}))
    assert [r[0] for r in rows] == ["Acct 0002", "Acct 0005", "Acct 0008"]            # i % 3 == 2, within 10 days
    refused = client.get("/portfolio.csv", {"renewal": "-3"})
    assert refused.status_code == 400 and refused.content.decode().startswith("Bad filter: renewal:")


def test_a_csm_gets_only_the_accounts_they_may_see(cast, client):
    build(10, cast)
    client.force_login(cast["csm"])
    _, *rows = table(client.get("/portfolio.csv", {"sort": "name"}))
    assert [r[0] for r in rows] == ["Acct 0000", "Acct 0002", "Acct 0004", "Acct 0006", "Acct 0008"]
    client.logout()
    assert client.get("/portfolio.csv").status_code == 302                           # to the login page


def test_chunks_follow_each_other_without_a_gap_or_a_repeat(cast):
    build(23, cast)
    accounts = accounts_visible_to(cast["admin"])

    def names(chunk):
        return [r.name for r in portfolio_export.rows(accounts, Filters(sort="-risk"), as_of=TODAY, today=TODAY,
                                                      owner_names={}, base_url="", urgent_days=30, chunk=chunk)]
    assert names(5) == names(500) and len(set(names(5))) == 23


def test_a_name_a_spreadsheet_would_run_is_quoted_and_numbers_stay_numbers(cast, client):
    build(1, cast)
    Account.objects.update(name='=HYPERLINK("http://evil.example","Renewal")')
    client.force_login(cast["admin"])
    _, row = table(client.get("/portfolio.csv"))
    assert row[0] == '\'=HYPERLINK("http://evil.example","Renewal")'
    assert row[9] == "1000.00" and portfolio_export.safe_cell(-3) == -3 and portfolio_export.safe_cell("-3") == "'-3"


def test_the_page_links_its_filters_to_the_csv(cast, client):
    build(3, cast)
    client.force_login(cast["admin"])
    html = client.get("/", {"tier": "enterprise", "page": 1}).content.decode()
    assert 'href="/portfolio.csv?tier=enterprise" download>Download CSV (1 account)</a>' in html
