"""The report builder on the seeded demo portfolio: every section, golden Markdown, the four
formats, escaping of hostile CRM text, and a query count independent of the history size."""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar
from pypdf import PdfReader

from accounts.models import Account, AccountTeamMember, StrategicAlignment, User
from reports.builder import build_sponsor_report
from reports.calendar import to_ics
from reports.render_json import load_schema, to_json_dict
from reports.render_markdown import to_markdown
from reports.render_pdf import to_pdf
from sponsors.models import Contact, Interaction, InteractionParticipant, OrgChange, PlannedTouchpoint
from sponsors.rules.guardrails import evaluate_account
from sponsors.rules.scoring import score_account
from sponsors.selectors.facts import load_account_facts
from tests.report_demo import (
    BOLD_LABELS,
    DEMO_AS_OF,
    SECTION_HEADINGS,
    TABLE_COLUMNS,
    demo_accounts,
    parse_markdown,
)

GOLDEN_DIR = Path(__file__).parent / "golden"
# The showcase accounts of the demo (seed 7, 12 accounts): a champion primary sponsor, a primary
# sponsor who just left (LinkedIn departure, not yet in the CRM) and an account with no sponsor.
GOLDEN_ACCOUNTS = ("acc_00004", "acc_00002", "acc_00009")

HOSTILE_NAME = "<script>alert(1)</script>"
PIPE_TITLE = "VP | Operations & *Supply*"


@pytest.fixture
def demo(db, tmp_path):
    return demo_accounts(tmp_path)


def build(account, as_of=DEMO_AS_OF):
    return build_sponsor_report(account=account, as_of=as_of)


# --- every section from real data -------------------------------------------------------

def test_it_fills_every_section_for_an_engaged_account(demo):
    account = demo["acc_00004"]
    report = build(account)
    facts = load_account_facts([account.pk], as_of=DEMO_AS_OF)[account.pk]
    engagement = score_account(facts, as_of=DEMO_AS_OF)

    assert report.header.account_name == account.name
    assert report.header.tier == account.tier
    assert (report.header.overall_score, report.header.overall_status) == (engagement.score, engagement.level)
    executives = {c.pk for c in Contact.objects.filter(account=account) if c.is_executive or c.sponsor}
    assert {s.id for s in report.sponsors} == executives
    primary = Contact.objects.get(account=account, sponsor="primary")
    assert report.sponsors[0].id == primary.pk and report.sponsors[0].primary
    assert report.primary.name == primary.name
    assert report.primary.priorities == tuple(primary.priorities)
    assert report.primary.communication_preference  # recorded in the demo
    assert [f.key for f in report.breakdown] == [
        "meeting_frequency", "responsiveness", "qbr_attendance", "strategic_alignment"]
    assert sum(f.score for f in report.breakdown) == report.sponsors[0].score
    assert report.timeline and len(report.timeline) <= 10
    assert list(report.timeline) == sorted(report.timeline, key=lambda t: t.date, reverse=True)
    assert report.health.strengths
    assert report.alignment and len(report.alignment) == StrategicAlignment.objects.filter(account=account).count()
    assert len(report.recommendations) > 0
    assert report.calendar and all(row.date >= DEMO_AS_OF for row in report.calendar)
    # the alerts are the live guardrail findings, one concern each
    findings = evaluate_account(facts, engagement, as_of=DEMO_AS_OF)
    assert [(a.code, a.severity, a.message) for a in report.alerts] == [
        (f.code, f.severity, f.message) for f in findings]
    assert [c.details for c in report.health.concerns] == [f.message for f in findings]


def test_it_reports_a_departed_sponsor_with_high_succession_risk(demo):
    account = demo["acc_00002"]
    report = build(account)
    departed = [s for s in report.sponsors if s.departed]
    assert len(departed) == 1 and departed[0].primary and departed[0].status == "✗"
    assert "sponsor_departed" in [a.code for a in report.alerts]
    assert report.org.succession.risk_level == "H"
    assert any("awaiting" not in c.change and "Sponsor continuity at risk" in c.impact
               for c in report.org.recent_changes)
    assert report.recommendations.immediate


def test_it_shows_a_pending_org_change_as_awaiting_confirmation(demo):
    account = demo["acc_00004"]
    contact = Contact.objects.filter(account=account, is_executive=True).exclude(sponsor="primary").first()
    OrgChange.objects.create(account=account, contact=contact, kind="promotion", occurred_on=date(2026, 11, 1),
                             source="news", headline=f"{contact.name} named EVP", confidence=0.5, state="pending")
    OrgChange.objects.create(account=account, contact=contact, kind="reorg", occurred_on=date(2026, 11, 2),
                             source="news", headline="Dismissed rumour", confidence=0.4, state="dismissed")
    OrgChange.objects.create(account=account, contact=contact, kind="role_change", occurred_on=date(2026, 6, 1),
                             source="crm", headline="Too old to be recent", state="confirmed")
    changes = build(account).org.recent_changes
    assert [c.change for c in changes] == [
        f"{contact.name} named EVP (news, 2026-11-01, confidence 50%, awaiting confirmation)"]
    assert changes[0].impact.startswith("If confirmed: more influence for ")


def test_it_lists_planned_touchpoints_with_their_attendees_and_the_due_ones(demo):
    account = demo["acc_00004"]
    primary = Contact.objects.get(account=account, sponsor="primary")
    csm = AccountTeamMember.objects.get(account=account, role="csm").user
    planned = PlannedTouchpoint.objects.create(account=account, planned_on=date(2026, 12, 3), type="exec_dinner",
                                               objective="Celebrate the rollout")
    planned.contacts.add(primary)
    planned.team_attendees.add(csm)
    PlannedTouchpoint.objects.create(account=account, planned_on=date(2026, 11, 20), type="qbr")  # in the past
    PlannedTouchpoint.objects.create(account=account, planned_on=date(2026, 12, 5), type="qbr", status="cancelled")
    calendar = build(account).calendar
    dinner = [c for c in calendar if c.event == "Exec Dinner"]
    assert len(dinner) == 1
    assert dinner[0].date == date(2026, 12, 3)
    assert dinner[0].attendees == (primary.name, csm.get_full_name())
    assert dinner[0].objective == "Celebrate the rollout"
    assert not any(c.date == date(2026, 12, 5) for c in calendar)
    due = [c for c in calendar if c.event in ("1:1", "QBR")]
    assert {c.event for c in due} == {"1:1", "QBR"}      # enterprise: next 1:1 and next QBR
    assert all(c.attendees == (primary.name, csm.get_full_name()) for c in due)


# --- golden Markdown ------------------------------------------------------------------------

@pytest.mark.parametrize("external_id", GOLDEN_ACCOUNTS)
def test_it_matches_the_reviewed_golden_markdown(demo, external_id):
    """Regenerate with ``UPDATE_GOLDEN=1`` and review the diff before committing."""
    text = to_markdown(build(demo[external_id]))
    path = GOLDEN_DIR / f"{external_id}.md"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_it_parses_as_commonmark_with_every_section_and_table(demo):
    for external_id, account in demo.items():
        report = build(account)
        headings, bold, tables, _ = parse_markdown(to_markdown(report))
        primary = report.primary.name if report.primary else "Not identified"
        assert headings == [(lv, t.format(primary=primary)) for lv, t in SECTION_HEADINGS], external_id
        assert bold == BOLD_LABELS, external_id
        expected = []
        for key, rows in (("sponsors", report.sponsors), ("timeline", report.timeline),
                          ("breakdown", report.breakdown), ("alignment", report.alignment),
                          ("calendar", report.calendar)):
            if rows:
                expected.append((TABLE_COLUMNS[key], len(rows)))
        assert [(t["header"], len(t["rows"])) for t in tables] == expected, external_id


def test_the_engaged_accounts_markdown_has_all_five_tables(demo):
    _, _, tables, _ = parse_markdown(to_markdown(build(demo["acc_00004"])))
    assert [t["header"] for t in tables] == list(TABLE_COLUMNS.values())


# --- the other formats ------------------------------------------------------------------------

def test_its_json_validates_against_the_schema_for_every_demo_account(demo):
    validator = jsonschema.Draft202012Validator(load_schema())
    for external_id, account in demo.items():
        data = to_json_dict(build(account))
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        assert not errors, (external_id, [e.message for e in errors[:3]])
        assert data["account"] == {"id": account.pk, "external_id": external_id, "source": "snapshot",
                                   "name": account.name, "tier": account.tier}
        contacts = {c.pk: c for c in account.contacts.all()}
        for row in data["sponsors"]:     # a consumer joins each sponsor back to the CRM contact
            contact = contacts[row["id"]]
            assert (row["external_id"], row["roles"], row["sponsor_role"]) == (
                contact.external_id, contact.roles, contact.sponsor or None)
        assert data["as_of"] == "2026-11-26"


def test_its_pdf_text_extracts_back(demo):
    account = demo["acc_00004"]
    report = build(account)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(to_pdf(report))).pages)
    flat = " ".join(text.split())
    assert account.name in flat
    for heading in ("Executive Sponsor Report", "Executive Sponsors", f"Primary Sponsor: {report.primary.name}",
                    "Engagement Health", "Organizational Intelligence", "Strategic Alignment",
                    "Recommended Actions", "Engagement Calendar"):
        assert heading in flat


def test_its_calendar_round_trips_through_icalendar(demo):
    report = build(demo["acc_00004"])
    cal = Calendar.from_ical(to_ics(report.calendar, account_name=report.header.account_name, as_of=DEMO_AS_OF))
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(report.calendar)
    for event, row in zip(events, report.calendar, strict=True):
        assert event.decoded("dtstart") == row.date
        assert str(event.get("summary")) == f"{row.event} — {report.header.account_name}"
        assert row.objective in str(event.get("description"))
        for name in row.attendees:
            assert name in str(event.get("description"))


# --- hostile CRM text ---------------------------------------------------------------------------

def test_it_escapes_hostile_names_and_pipes_in_markdown(demo):
    account = demo["acc_00004"]
    Contact.objects.filter(account=account, sponsor="backup").update(name=HOSTILE_NAME, title=PIPE_TITLE)
    text = to_markdown(build(account))
    _, _, tables, types = parse_markdown(text)
    sponsors = tables[0]
    hostile = [row for row in sponsors["rows"] if row[0] == HOSTILE_NAME]
    assert len(hostile) == 1
    assert hostile[0][1] == PIPE_TITLE                  # one cell: the pipe did not split it
    assert all(len(row) == 5 for row in sponsors["rows"])
    assert "html_inline" not in types and "html_block" not in types
    assert "<script>" not in from_md_html(text)


def from_md_html(text):
    from tests.report_demo import md

    return md.render(text)


# --- bounded queries ---------------------------------------------------------------------------

def _account_with_history(n_interactions: int, suffix: str) -> Account:
    csm = User.objects.create_user(username=f"csm{suffix}", email=f"csm{suffix}@vendor.example", password="pw",
                                   first_name="Casey", last_name="Smith")
    account = Account.objects.create(external_id=f"acc_q{suffix}", name=f"Query Test {suffix}", tier="enterprise")
    AccountTeamMember.objects.create(account=account, user=csm, role="csm")
    primary = Contact.objects.create(account=account, name="Pat Primary", title="COO", roles=["c_level"],
                                     sponsor="primary", in_role_since=date(2022, 1, 1), priorities=["Growth"])
    backup = Contact.objects.create(account=account, name="Bo Backup", title="VP Ops", roles=["vp"], sponsor="backup")
    StrategicAlignment.objects.create(account=account, our_initiative="Rollout", their_priority="Growth",
                                      alignment="low")
    OrgChange.objects.create(account=account, contact=backup, kind="promotion", occurred_on=date(2026, 11, 1),
                             source="news", confidence=0.95)
    start = datetime(2026, 11, 25, 12, tzinfo=UTC)
    types = ["one_on_one", "qbr", "email", "call"]
    interactions = Interaction.objects.bulk_create([
        Interaction(account=account, type=types[i % 4], occurred_at=start - timedelta(hours=7 * i),
                    direction="outbound" if types[i % 4] == "email" else "meeting", topics=["Renewal"],
                    responded_at=start - timedelta(hours=7 * i - 20) if types[i % 4] == "email" else None)
        for i in range(n_interactions)
    ])
    InteractionParticipant.objects.bulk_create(
        [InteractionParticipant(interaction=i, contact=primary) for i in interactions]
        + [InteractionParticipant(interaction=i, contact=backup) for i in interactions[::3]]
    )
    for k in range(3):
        tp = PlannedTouchpoint.objects.create(account=account, planned_on=date(2026, 12, 1 + k), type="exec_dinner")
        tp.contacts.add(primary, backup)
        tp.team_attendees.add(csm)
    return account


def test_its_query_count_does_not_grow_with_the_history(db):
    small, large = _account_with_history(10, "s"), _account_with_history(1000, "l")
    counts, reports = [], []
    for account in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            reports.append(build(account))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 16
    # both reports really carry their history (timeline capped at 10, planned dinners listed)
    assert len(reports[0].timeline) == len(reports[1].timeline) == 10
    assert sum(1 for c in reports[1].calendar if c.event == "Exec Dinner") == 3
