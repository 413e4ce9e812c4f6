"""One end-to-end run in a real browser (Debian's Chromium driven by Playwright) against the live
server: log in, open the portfolio, filter by tier through HTMX, open a report, see its sections."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accounts.models import Account, User
from tests.report_demo import DEMO_AS_OF, seed_demo

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(os.environ.get("REPORT_SCREENSHOT", "/tmp/exec-sponsor-report.png"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium "
                                                     "(apt-get install chromium); no browser is ever downloaded"),
]


@pytest.fixture
def portfolio_admin(transactional_db, tmp_path, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo(tmp_path)
    User.objects.create_user(username="ada", email="ada@vendor.example", password="pw", role=User.Role.ADMIN,
                             first_name="Ada", last_name="Admin")
    enterprise = set(Account.objects.filter(tier="enterprise").values_list("name", flat=True))
    target = Account.objects.get(external_id="acc_00004")
    return {"enterprise": enterprise, "total": Account.objects.count(), "target": target.name}


def test_it_logs_in_filters_the_portfolio_and_opens_a_report(live_server, portfolio_admin):
    from playwright.sync_api import expect, sync_playwright

    as_of = DEMO_AS_OF.isoformat()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/?as_of={as_of}")
            assert "/accounts/login/" in page.url
            page.fill("input[name=username]", "ada")
            page.fill("input[name=password]", "pw")
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/**")
            page.goto(f"{live_server.url}/?as_of={as_of}")
            rows = page.locator("table.portfolio tbody tr")
            expect(rows).to_have_count(portfolio_admin["total"])
            expect(page.locator(".metric")).to_have_count(5)

            page.select_option("select[name=tier]", "enterprise")     # HTMX swaps the results in place
            expect(rows).to_have_count(len(portfolio_admin["enterprise"]))
            names = set(page.locator("table.portfolio tbody tr td:first-child a").all_inner_texts())
            assert names == portfolio_admin["enterprise"]
            assert "tier=enterprise" in page.url                       # hx-push-url keeps the filter shareable

            page.click(f"text={portfolio_admin['target']}")
            page.wait_for_selector("article.sponsor-report")
            for heading in ("Executive Sponsors", "Engagement Health", "Organizational Intelligence",
                            "Strategic Alignment", "Recommended Actions", "Engagement Calendar"):
                expect(page.locator("h3", has_text=heading)).to_have_count(1)
            expect(page.locator("a", has_text="PDF")).to_have_count(1)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
        finally:
            browser.close()
