"""The CSM's workspace in a real browser (Debian's Chromium driven by Playwright) against the live server, on
the demo portfolio as of today with 12 weeks of score history and the demo's three logins:

* a CSM signs in, finds an at-risk account from the portfolio, logs a 1:1 and sees the executive's score,
  its sparkline and the overall score change without a reload; is refused an operational call with an
  executive (the error beside "Purpose"); plans a touchpoint and sees the conflict warning before and after;
* an admin names a backup sponsor, marks the primary departed and accepts the succession;
* a manager sees their teams' alerts inbox and acknowledges one in place;
* an accessibility pass (axe-core, shipped by axe-playwright-python) on every main page: no serious or
  critical violation.

Screenshots are saved under ``var/screenshots/`` (made by the tests; git ignores ``var/``)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Account, User
from accounts.selectors import accounts_visible_to
from sponsors.models import Contact, PlannedTouchpoint
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.scores import recompute_scores
from sponsors.services.touchpoints import touchpoint_plan
from tests.report_demo import seed_demo

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("live_server_connections_ended"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium "
                                                     "(apt-get install chromium); no browser is ever downloaded"),
]


@pytest.fixture
def demo(transactional_db, tmp_path, settings):
    """The demo portfolio as of today, 12 weeks of scores, today's alerts, the demo's logins (password pw)."""
    from reports import metric_history as mh

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    today = timezone.localdate()
    seed_demo(tmp_path, as_of=today.isoformat(), accounts=60)            # as `make demo` does
    for weeks in range(12, -1, -1):
        recompute_scores(as_of=today - timedelta(weeks=weeks))
    evaluate_accounts(as_of=today)
    call_command("demo_logins", "--password", "pw", stdout=io.StringIO())
    for day in mh.weekly_days(mh.week_end(today), 3):
        mh.store_all_scopes(as_of=day)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return today


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM reads are still plain
    # synchronous code (the live server answers the browser from its own thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(browser, live_server, email):
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    page.on("dialog", lambda dialog: dialog.accept())             # hx-confirm
    errors = CONSOLE_ERRORS.setdefault(id(page), [])
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


CONSOLE_ERRORS: dict[int, list[str]] = {}


def console_errors(page) -> list[str]:
    """What the browser's console reported as errors on this page so far (a CSP refusal, an htmx complaint,
    a script error): a user with the developer tools open sees them.  A refused form's answer (400, the form
    with its errors, swapped in on purpose) is left out: Chromium reports every 4xx response."""
    refused = "the server responded with a status of 400"
    return [e for e in CONSOLE_ERRORS.get(id(page), []) if refused not in e]


def mark_page(page):
    """A marker on the document: still there after an action means the page was not reloaded."""
    page.evaluate("document.body.dataset.kept = 'yes'")


def still_same_page(page):
    assert page.evaluate("document.body.dataset.kept") == "yes"


def test_a_csm_logs_a_1_1_and_sees_the_score_and_sparkline_change_without_a_reload(demo, live_server, browser):
    from playwright.sync_api import expect

    page = sign_in(browser, live_server, "dana@vendor.example")
    worst = page.locator("table.portfolio tbody tr").first.get_attribute("data-risk")    # riskiest first
    assert worst in ("High", "Critical")
    page.click("table.portfolio thead a:has-text('Account')")          # sorted by name, in place and in the URL
    expect(page.locator("table.portfolio thead th[aria-sort=ascending]")).to_have_text("Account ▲")
    shown = page.locator("table.portfolio tbody tr th a").all_inner_texts()
    assert shown == sorted(shown, key=str.casefold) and "sort=name" in page.url
    page.goto(f"{live_server.url}/")
    page.select_option("select[name=risk]", worst)                      # HTMX: the table narrows in place
    expect(page.locator("table.portfolio tbody tr[data-risk=Low]")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "csm-portfolio-at-risk.png"), full_page=False)
    at_risk = page.locator(f"table.portfolio tbody tr[data-risk={worst}]").first
    name = at_risk.locator("th a").inner_text()
    at_risk.locator("th a").click()
    expect(page.locator("#account-title")).to_have_text(name)

    account = Account.objects.get(name=name)
    # the active executive with the fewest meetings: a 1:1 today moves their Meeting Frequency
    cards = page.locator(".exec-card:not(.departed)")
    target = min((cards.nth(i) for i in range(cards.count())), key=lambda c: int(c.get_attribute("data-score") or 0))
    person = Contact.objects.get(pk=target.get_attribute("data-contact"))
    card = page.locator(f'.exec-card[data-contact="{person.pk}"]')
    score_before = card.get_attribute("data-score")
    line_before = card.locator("polyline").get_attribute("points")
    overall_before = page.locator("#account-header .ws-overall").get_attribute("data-score")
    page.reload()                                   # a repeat view: the server sends the page it kept
    expect(page.locator("#account-title")).to_have_text(name)
    mark_page(page)

    form = page.locator("#log-panel form")
    form.locator("select[name=log-type]").select_option("one_on_one")
    form.locator(f'input[name=log-participants][value="{person.pk}"]').check()
    form.locator(".field-team_attendees").get_by_label("Dana Reyes", exact=False).check()   # our side: the CSM
    form.locator("input[name=log-topics]").fill("Renewal, Expansion")
    form.locator("textarea[name=log-outcome]").fill("Agreed on a pilot in two regions")
    form.locator("button[type=submit]").click()

    expect(page.locator("#log-panel .notice")).to_contain_text("Logged: 1:1 on")
    expect(card).not_to_have_attribute("data-score", score_before)
    assert card.locator("polyline").get_attribute("points") != line_before       # the sparkline moved
    assert page.locator("#account-header .ws-overall").get_attribute("data-score") != overall_before
    expect(page.locator("#timeline .timeline-item").first).to_contain_text("Agreed on a pilot in two regions")
    expect(page.locator("#timeline .timeline-item").first).to_contain_text("our side: Dana Reyes")
    still_same_page(page)
    page.screenshot(path=str(SHOTS / "csm-logged-1-1.png"), full_page=True)

    # an operational call to an executive is refused, beside "Purpose", and nothing is logged
    form.locator("select[name=log-type]").select_option("call")
    form.locator(f'input[name=log-participants][value="{person.pk}"]').check()
    form.locator("select[name=log-direction]").select_option("outbound")
    form.locator("select[name=log-purpose]").select_option("operational")
    form.locator("button[type=submit]").click()
    error = page.locator("#log-panel .field-purpose .field-error")
    expect(error).to_contain_text(person.name)
    expect(error).to_contain_text("operational")
    still_same_page(page)
    page.locator("#log-panel").screenshot(path=str(SHOTS / "csm-refused-operational.png"))
    assert account.interactions.filter(external_id=None).count() == 1

    # a full reload shows what was logged: the page kept before the 1:1 is not sent once the data changed
    score_after = card.get_attribute("data-score")
    page.reload()
    expect(page.locator("#timeline .timeline-item").first).to_contain_text("Agreed on a pilot in two regions")
    expect(card).to_have_attribute("data-score", score_after)
    page.goto(f"{live_server.url}/")
    expect(page.locator(f'table.portfolio tbody tr th a:text-is("{name}")')).to_have_count(1)
    assert console_errors(page) == []


def test_a_csm_plans_a_touchpoint_and_sees_the_conflict_warning(demo, live_server, browser):
    from playwright.sync_api import expect

    dana = User.objects.get(email="dana@vendor.example")
    account = accounts_visible_to(dana).order_by("name").first()
    executive = account.contacts.filter(is_executive=True, status="active").order_by("name").first()
    other = account.team_members.exclude(user=dana).select_related("user").first().user
    touchpoint_plan(account=account, contacts=[executive], planned_on=demo + timedelta(days=3), type="qbr", by=other)

    page = sign_in(browser, live_server, "dana@vendor.example")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    mark_page(page)
    form = page.locator("#plan-panel form")
    form.locator("input[name=plan-planned_on]").fill((demo + timedelta(days=5)).isoformat())
    form.locator("select[name=plan-type]").select_option("one_on_one")
    form.locator(f'input[name=plan-contacts][value="{executive.pk}"]').check()
    warning = page.locator("#conflict-warning .conflict")
    expect(warning).to_contain_text(other.email)                           # before saving
    expect(warning).to_contain_text(executive.name)
    form.locator("input[name=plan-objective]").fill("Walk through the renewal")
    form.locator("button[type=submit]").click()
    expect(page.locator("#plan-panel .notice").first).to_contain_text("Planned: 1:1 on")
    expect(page.locator("#plan-panel .conflict")).to_contain_text(other.email)   # and after
    still_same_page(page)
    page.locator("#plan-panel").screenshot(path=str(SHOTS / "csm-planned-with-conflict.png"))
    assert PlannedTouchpoint.objects.filter(account=account, planned_by=dana).count() == 1
    assert console_errors(page) == []             # the conflict check inherited no "disable the button" it lacks


def test_an_admin_sets_a_backup_and_accepts_a_succession(demo, live_server, browser):
    from playwright.sync_api import expect

    def ready(a):
        people = a.contacts.filter(is_executive=True, status="active")
        return people.filter(sponsor="primary").exists() and people.filter(sponsor="").exists()

    account = next(a for a in Account.objects.order_by("name") if ready(a))
    primary = account.contacts.get(sponsor="primary")
    Contact.objects.filter(account=account, sponsor="backup").update(sponsor="")      # start without a backup
    candidate = account.contacts.filter(is_executive=True, status="active", sponsor="").order_by("name").first()

    page = sign_in(browser, live_server, "admin@localhost")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    mark_page(page)
    item = page.locator(f'#sponsors-panel [data-contact="{candidate.pk}"]')
    item.locator("button", has_text="Make backup").click()
    expect(page.locator("#sponsors-panel .notice")).to_contain_text(f"{candidate.name}: Backup sponsor.")
    expect(page.locator(f'.exec-card[data-contact="{candidate.pk}"] .role-backup')).to_have_count(1)

    page.locator(f'#sponsors-panel [data-contact="{primary.pk}"] button', has_text="Mark departed").click()
    accept = page.locator("#alerts-panel button", has_text=f"Make {candidate.name} the primary sponsor")
    expect(accept).to_have_count(1)
    accept.click()
    expect(page.locator("#alerts-panel .notice")).to_contain_text(f"{candidate.name} is now the primary sponsor.")
    expect(page.locator(f'.exec-card[data-contact="{candidate.pk}"] .role-primary')).to_have_count(1)
    still_same_page(page)
    page.screenshot(path=str(SHOTS / "admin-succession-accepted.png"), full_page=True)
    candidate.refresh_from_db()
    assert candidate.sponsor == "primary"


def test_a_manager_sees_the_teams_alerts_inbox_and_acknowledges_in_place(demo, live_server, browser):
    from playwright.sync_api import expect

    sam = User.objects.get(email="sam@vendor.example")
    theirs = set(accounts_visible_to(sam).values_list("name", flat=True))
    page = sign_in(browser, live_server, "sam@vendor.example")
    page.click("nav >> text=Alerts")
    rows = page.locator("#inbox-alerts li.alert-item")
    expect(rows.first).to_be_visible()
    shown = {rows.nth(i).locator(".item-main > a").inner_text() for i in range(rows.count())}
    assert shown and shown <= theirs
    owners = {a.owner.email for a in Account.objects.filter(name__in=shown).select_related("owner") if a.owner}
    assert len(owners) > 1                                                 # more than one CSM's accounts
    page.reload()                                   # a repeat view: the server sends the inbox it kept
    mark_page(page)
    first = rows.first
    alert_id = first.get_attribute("data-alert")
    first.locator("button", has_text="Acknowledge").click()
    row = page.locator(f"#inbox-alert-{alert_id}")
    expect(row).to_contain_text("acknowledged by")
    expect(row.locator("button", has_text="Acknowledge")).to_have_count(0)
    still_same_page(page)
    page.screenshot(path=str(SHOTS / "manager-alerts-inbox.png"), full_page=False)
    page.reload()                                   # and after the acknowledgement, the inbox as it is now
    expect(page.locator(f"#inbox-alert-{alert_id}")).to_contain_text("acknowledged by")


def test_every_main_page_passes_an_accessibility_check(demo, live_server, browser):
    from axe_playwright_python.sync_playwright import Axe

    dana = User.objects.get(email="dana@vendor.example")
    account = accounts_visible_to(dana).order_by("name").first()
    page = sign_in(browser, live_server, "dana@vendor.example")
    axe = Axe()
    problems = {}
    for name, path in (("portfolio", "/"), ("workspace", f"/accounts/{account.pk}/"),
                       ("report", f"/accounts/{account.pk}/report/"), ("inbox", "/alerts/"),
                       ("calendar", "/calendar/"), ("settings", "/settings/digest/"),
                       ("password-reset", "/accounts/password_reset/"), ("login", None)):
        if path is None or path == "/accounts/password_reset/":
            page.context.clear_cookies()               # what someone signed out sees
            path = path or "/accounts/login/"
        page.goto(f"{live_server.url}{path}")
        results = axe.run(page)
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        if bad:
            problems[name] = bad
        page.screenshot(path=str(SHOTS / f"a11y-{name}.png"), full_page=True)
    assert problems == {}, "\n".join(f"{page_}: {line}" for page_, lines in problems.items() for line in lines)
