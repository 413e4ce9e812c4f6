"""The portfolio page, the account report page, its downloads and the REST API: who sees what,
HTMX fragments, content types, the JSON contract and bad input."""

from __future__ import annotations

import json

import jsonschema
import pytest
from icalendar import Calendar

from accounts.models import Account
from accounts.selectors import accounts_visible_to
from reports.builder import build_sponsor_report
from reports.render_json import load_schema, to_json_dict
from sponsors.models import Contact
from tests.report_demo import DEMO_AS_OF, seed_demo

AS_OF = DEMO_AS_OF.isoformat()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The cast logs in with real passwords; a fast hasher keeps each test well under a second."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(cast, tmp_path):
    """The cast, then the demo portfolio (whose CSMs include the cast's dana@ and li@), scored and its
    guardrails checked as of the demo's day (the portfolio reads stored scores and alerts)."""
    from sponsors.services.alerts import evaluate_accounts
    from sponsors.services.scores import recompute_scores

    seed_demo(tmp_path)
    recompute_scores(as_of=DEMO_AS_OF)
    evaluate_accounts(as_of=DEMO_AS_OF)
    return {"accounts": {a.external_id: a for a in Account.objects.all()}, **cast}


def login(client, user):
    client.force_login(user)
    return client


def portfolio_ids(response):
    return {r.account_id for r in response.context["rows"]}


def ext_ids(*external_ids):
    return set(Account.objects.filter(external_id__in=external_ids).values_list("pk", flat=True))


# --- login and visibility ---------------------------------------------------------------------

def test_it_requires_login_everywhere(world, client):
    pk = world["accounts"]["acc_00001"].pk
    for url in ("/", f"/accounts/{pk}/report/", f"/accounts/{pk}/report.md"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    # The API answers an anonymous caller 401 (with WWW-Authenticate: Bearer), the first endpoints too.
    assert client.get("/api/accounts/").status_code == 401
    assert client.get(f"/api/accounts/{pk}/report/").status_code == 401


def test_it_logs_in_through_the_login_page_and_lands_on_the_portfolio(world, client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b'name="password"' in page.content
    response = client.post("/accounts/login/", {"username": "dana@vendor.example", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_csm_sees_only_the_accounts_they_work(world, client):
    # demo accounts are assigned round-robin over six CSMs: dana has the 1st and the 7th
    response = login(client, world["csm"]).get("/", {"as_of": AS_OF})
    assert portfolio_ids(response) == ext_ids("acc_00001", "acc_00007")
    assert world["accounts"]["acc_00003"].name not in response.content.decode()


def test_a_manager_sees_the_accounts_of_their_teams(world, client):
    response = login(client, world["manager"]).get("/", {"as_of": AS_OF})
    ids = portfolio_ids(response)
    # sam manages East (dana, li) and the demo's "Sam's team" (dana, maya, nora), and is on the odd accounts' teams
    expected = ext_ids("acc_00001", "acc_00003", "acc_00005", "acc_00007", "acc_00009", "acc_00011",
                       "acc_00002", "acc_00008")
    assert ids == expected
    assert ids == set(accounts_visible_to(world["manager"]).values_list("pk", flat=True))


def test_an_admin_sees_every_account(world, client):
    response = login(client, world["admin"]).get("/", {"as_of": AS_OF})
    assert portfolio_ids(response) == set(Account.objects.values_list("pk", flat=True))
    assert len(response.context["rows"]) == 12


def test_an_outsider_gets_the_empty_state_and_404s(world, client):
    login(client, world["outsider"])
    response = client.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "No accounts yet" in text and "import_snapshot" in text and "seed_demo" in text
    pk = world["accounts"]["acc_00001"].pk
    for url in (f"/accounts/{pk}/report/", f"/accounts/{pk}/report.md", f"/api/accounts/{pk}/report/"):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/accounts/").json()["accounts"] == []


def test_a_csm_gets_404_for_a_colleagues_account(world, client):
    pk = world["accounts"]["acc_00003"].pk     # maya's
    assert login(client, world["csm"]).get(f"/accounts/{pk}/report/").status_code == 404


# --- portfolio: rows, metrics, filters via HTMX -------------------------------------------------

def test_the_portfolio_shows_scores_cadence_sponsors_findings_and_metrics(world, client):
    response = login(client, world["admin"]).get("/", {"as_of": AS_OF})
    text = response.content.decode()
    departed = world["accounts"]["acc_00002"]
    row = next(r for r in response.context["rows"] if r.account_id == departed.pk)
    assert row.primary_sponsor is None                    # the primary sponsor just left
    assert row.findings["critical"] >= 1
    for label in ("Exec Engagement Rate", "Exec Touchpoint Cadence", "QBR Exec Attendance",
                  "Sponsor Retention", "Multi-Thread Score"):
        assert label in text
    assert [m.key for m in response.context["metrics"]] == [
        "exec_engagement_rate", "exec_touchpoint_cadence", "qbr_exec_attendance", "sponsor_retention",
        "multi_thread_score"]
    assert 'hx-headers=\'{"X-CSRFToken": "' in text
    assert "/static/vendor/htmx.min.js" in text


def test_filters_by_tier_return_the_fragment_to_htmx(world, client):
    response = login(client, world["admin"]).get("/", {"tier": "enterprise", "as_of": AS_OF},
                                                  headers={"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200
    assert text.strip().startswith('<div id="portfolio-results">')
    assert "<html" not in text and "<nav" not in text
    assert portfolio_ids(response) == set(Account.objects.filter(tier="enterprise").values_list("pk", flat=True))


def test_filters_by_level_and_search(world, client):
    login(client, world["admin"])
    everything = client.get("/", {"as_of": AS_OF}).context["rows"]
    level = everything[0].level
    by_level = client.get("/", {"level": level, "as_of": AS_OF}, headers={"HX-Request": "true"})
    assert portfolio_ids(by_level) == {r.account_id for r in everything if r.level == level}
    target = world["accounts"]["acc_00004"]
    word = target.name.split()[0].upper()
    searched = client.get("/", {"q": word, "as_of": AS_OF}, headers={"HX-Request": "true"})
    assert portfolio_ids(searched) == {a.pk for a in Account.objects.all() if word.lower() in a.name.lower()}
    nothing = client.get("/", {"q": "zz-no-such-account", "as_of": AS_OF}, headers={"HX-Request": "true"})
    assert "No accounts match these filters" in nothing.content.decode()


def test_a_bad_filter_is_a_400_naming_the_field(world, client):
    response = login(client, world["admin"]).get("/", {"tier": "galactic"})
    assert response.status_code == 400
    assert "tier:" in response.content.decode()


# --- the report page and its downloads --------------------------------------------------------

def test_the_report_page_shows_every_section_and_the_download_links(world, client):
    account = world["accounts"]["acc_00001"]
    response = login(client, world["csm"]).get(f"/accounts/{account.pk}/report/", {"as_of": AS_OF})
    text = response.content.decode()
    assert response.status_code == 200
    for heading in ("Executive Sponsors", "Primary Sponsor", "Engagement Health", "Organizational Intelligence",
                    "Strategic Alignment", "Recommended Actions", "Engagement Calendar"):
        assert f"<h3>{heading}" in text
    for fmt in ("md", "pdf", "json", "ics"):
        assert f'href="/accounts/{account.pk}/report.{fmt}?as_of={AS_OF}"' in text
    assert f'value="{AS_OF}"' in text


@pytest.mark.parametrize("fmt, content_type", [
    ("md", "text/markdown; charset=utf-8"),
    ("pdf", "application/pdf"),
    ("json", "application/json"),
    ("ics", "text/calendar; charset=utf-8"),
])
def test_downloads_have_the_right_content_type(world, client, fmt, content_type):
    account = world["accounts"]["acc_00001"]
    response = login(client, world["csm"]).get(f"/accounts/{account.pk}/report.{fmt}", {"as_of": AS_OF})
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment; filename=\"sponsor-report-")
    assert response["Content-Disposition"].endswith(f'-{AS_OF}.{fmt}"')
    body = response.content
    if fmt == "pdf":
        assert body.startswith(b"%PDF")
    elif fmt == "json":
        jsonschema.validate(json.loads(body), load_schema())
    elif fmt == "ics":
        assert Calendar.from_ical(body).walk("VEVENT")
    else:
        assert body.decode().startswith("## Executive Sponsor Report")


def test_an_unknown_download_format_is_a_404(world, client):
    pk = world["accounts"]["acc_00001"].pk
    assert login(client, world["csm"]).get(f"/accounts/{pk}/report.docx").status_code == 404


def test_a_bad_as_of_is_a_400_naming_the_parameter(world, client):
    pk = world["accounts"]["acc_00001"].pk
    login(client, world["csm"])
    page = client.get(f"/accounts/{pk}/report/", {"as_of": "26/11/2026"})
    assert page.status_code == 400 and "as_of" in page.content.decode()
    download = client.get(f"/accounts/{pk}/report.md", {"as_of": "yesterday"})
    assert download.status_code == 400 and "as_of" in download.content.decode()
    api = client.get(f"/api/accounts/{pk}/report/", {"as_of": "2026-13-01"})
    assert api.status_code == 400 and "as_of" in api.json()
    assert client.get("/api/accounts/", {"as_of": "nope"}).status_code == 400


def test_the_page_escapes_hostile_crm_text(world, client):
    account = world["accounts"]["acc_00001"]
    Contact.objects.filter(account=account, sponsor="primary").update(name="<script>alert(1)</script>",
                                                                     title="VP | Ops & <b>Supply</b>")
    text = login(client, world["csm"]).get(f"/accounts/{account.pk}/report/", {"as_of": AS_OF}).content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "VP | Ops &amp; &lt;b&gt;Supply&lt;/b&gt;" in text
    markdown = client.get(f"/accounts/{account.pk}/report.md", {"as_of": AS_OF}).content.decode()
    assert "\\<script\\>alert(1)\\</script\\>" in markdown
    assert "VP \\| Ops \\& \\<b\\>Supply\\</b\\>" in markdown


# --- REST API ----------------------------------------------------------------------------------

def test_the_api_lists_only_visible_accounts_with_their_overall_engagement(world, client):
    data = login(client, world["csm"]).get("/api/accounts/", {"as_of": AS_OF}).json()
    assert data["as_of"] == AS_OF
    assert {a["id"] for a in data["accounts"]} == ext_ids("acc_00001", "acc_00007")
    for a in data["accounts"]:
        report = build_sponsor_report(account=Account.objects.get(pk=a["id"]), as_of=DEMO_AS_OF)
        assert a["overall"] == {"score": report.header.overall_score, "status": report.header.overall_status,
                                "risk": report.header.overall_risk}


def test_the_api_report_is_the_schema_valid_json_report(world, client):
    account = world["accounts"]["acc_00007"]
    response = login(client, world["csm"]).get(f"/api/accounts/{account.pk}/report/", {"as_of": AS_OF})
    assert response.status_code == 200
    data = response.json()
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    assert data == json.loads(json.dumps(to_json_dict(build_sponsor_report(account=account, as_of=DEMO_AS_OF))))


def test_the_portfolio_costs_the_same_queries_for_2_or_12_accounts(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for who, n in (("csm", 2), ("admin", 12)):
        client.force_login(world[who])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/", {"as_of": AS_OF})
        assert len(response.context["rows"]) == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
