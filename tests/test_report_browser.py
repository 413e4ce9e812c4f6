"""End-to-end runs in a real browser (Debian's Chromium driven by Playwright) against the live
server: log in, open the portfolio, filter by tier through HTMX, open a report, see its sections;
confirm a pending org change on the report and see its panel and the alerts panel update in place."""

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
    pytest.mark.usefixtures("live_server_connections_ended"),
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
            names = set(page.locator("table.portfolio tbody tr th a").all_inner_texts())
            assert names == portfolio_admin["enterprise"]
            assert "tier=enterprise" in page.url                       # hx-push-url keeps the filter shareable

            page.click(f"text={portfolio_admin['target']}")               # the account's workspace …
            page.wait_for_selector("#executives")
            page.click("text=Full sponsor report")                          # … and its full report one click away
            page.wait_for_selector("article.sponsor-report")
            for heading in ("Executive Sponsors", "Engagement Health", "Organizational Intelligence",
                            "Strategic Alignment", "Recommended Actions", "Engagement Calendar"):
                expect(page.locator("h3", has_text=heading)).to_have_count(1)
            expect(page.locator("a", has_text="PDF")).to_have_count(1)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
        finally:
            browser.close()


PANELS_SCREENSHOT = Path(os.environ.get("PANELS_SCREENSHOT", "/tmp/ui-panels.png"))


@pytest.fixture
def pending_departure(transactional_db, tmp_path, settings):
    """The demo portfolio with a week of score history, today's alerts, and a news item (pending
    confirmation) saying the primary sponsor of an account that has a backup left."""
    from datetime import UTC, datetime, timedelta

    from sponsors.models import Interaction, InteractionParticipant, OrgChange
    from sponsors.services.alerts import evaluate_accounts
    from sponsors.services.scores import recompute_scores

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo(tmp_path)
    User.objects.create_user(username="ada", email="ada@vendor.example", password="pw", role=User.Role.ADMIN)
    def sponsors(account):
        return set(account.contacts.filter(status="active").values_list("sponsor", flat=True))

    account = next(a for a in Account.objects.order_by("external_id") if {"primary", "backup"} <= sponsors(a))
    primary = account.contacts.get(sponsor="primary")
    backup = account.contacts.get(sponsor="backup")
    recompute_scores(account_ids=[account.pk], as_of=DEMO_AS_OF - timedelta(days=7))
    meeting = Interaction.objects.create(account=account, type="one_on_one", direction="meeting",
                                         occurred_at=datetime(2026, 11, 24, 15, tzinfo=UTC))
    InteractionParticipant.objects.create(interaction=meeting, contact=backup)
    recompute_scores(account_ids=[account.pk], as_of=DEMO_AS_OF)
    evaluate_accounts(account_ids=[account.pk], as_of=DEMO_AS_OF)
    change = OrgChange.objects.create(
        account=account, contact=primary, kind="departure", occurred_on=DEMO_AS_OF - timedelta(days=3), source="news",
        headline=f"{primary.name} steps down, reports say", confidence=0.5, state=OrgChange.State.PENDING,
        url="https://news.example/steps-down")
    return {"account": account, "change": change, "primary": primary, "backup": backup}


def test_it_confirms_a_pending_org_change_and_the_panels_update_in_place(live_server, pending_departure):
    from playwright.sync_api import expect, sync_playwright

    account, change = pending_departure["account"], pending_departure["change"]
    url = f"{live_server.url}/accounts/{account.pk}/?as_of={DEMO_AS_OF.isoformat()}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(url)
            page.fill("input[name=username]", "ada")
            page.fill("input[name=password]", "pw")
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/**")
            page.goto(url)
            changes = page.locator("#changes-panel")
            expect(changes.locator(".exec-change", has_text=pending_departure["backup"].name)).to_have_count(1)
            org = page.locator("#org-changes-panel")
            item = org.locator(f'[data-org-change="{change.pk}"]')
            expect(item).to_contain_text("steps down")
            expect(item.locator("a", has_text="evidence")).to_have_attribute("rel", "noopener noreferrer")
            alerts = page.locator("#alerts-panel")
            expect(alerts.locator("strong.alert-title", has_text="Sponsor departed")).to_have_count(0)
            report_body = page.locator("#timeline")
            marker = report_body.evaluate("el => (el.dataset.marker = 'kept', el.dataset.marker)")

            item.locator("button", has_text="Confirm").click()       # HTMX: the two panels swap, no page load

            expect(org).to_contain_text("Nothing awaiting confirmation")
            primary_name, backup_name = pending_departure["primary"].name, pending_departure["backup"].name
            expect(org.locator(".notice")).to_contain_text(f"{primary_name} is now marked departed")
            expect(alerts.locator("strong.alert-title", has_text="Sponsor departed")).to_have_count(1)
            expect(alerts.locator("button", has_text=f"Make {backup_name} the primary sponsor")).to_have_count(1)
            assert report_body.evaluate("el => el.dataset.marker") == marker   # the page was not reloaded
            page.screenshot(path=str(PANELS_SCREENSHOT), full_page=False)
        finally:
            browser.close()
    change.refresh_from_db()
    assert change.state == "confirmed"
    pending_departure["primary"].refresh_from_db()
    assert pending_departure["primary"].status == "departed"
