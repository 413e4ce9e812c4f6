"""Hand-built reports: a rich one (with hostile CRM text) and an empty-state one."""

from __future__ import annotations

from datetime import date

import pytest

from reports.report import (
    AlignmentRow,
    CalendarRow,
    Concern,
    EngagementHealth,
    OrgChangeNote,
    OrgIntelligence,
    Recommendation,
    Recommendations,
    ReportAlert,
    ReportHeader,
    SponsorProfile,
    SponsorReport,
    SponsorRow,
    Succession,
    TimelineEntry,
)
from sponsors.rules.facts import FactorScore

AS_OF = date(2025, 6, 15)
HOSTILE_NAME = "Dana *bold* <script>alert(1)</script>"
PIPE_TITLE = "VP | Operations & Supply_Chain"


def factors(mf, rs, qa, sa):
    return (
        FactorScore("meeting_frequency", "Meeting Frequency", mf, "Target 12: Actual 9"),
        FactorScore("responsiveness", "Responsiveness", rs, "Avg 2.5 days to respond"),
        FactorScore("qbr_attendance", "QBR Attendance", qa, "3/4 QBRs"),
        FactorScore("strategic_alignment", "Strategic Alignment", sa, "2 of 3 priorities aligned"),
    )


def make_rich_report() -> SponsorReport:
    primary_breakdown = factors(19, 22, 19, 18)
    return SponsorReport(
        header=ReportHeader(
            account_id="acc_123", account_name="Acme Corp", tier="enterprise", as_of=AS_OF,
            overall_score=78, overall_status="Engaged", overall_risk="Low",
        ),
        sponsors=(
            SponsorRow(id=1, name="Jane Roe", title="Chief Operating Officer", score=78,
                       engagement_level="Engaged", risk="Low", last_touch=date(2025, 6, 2),
                       primary=True, breakdown=primary_breakdown),
            SponsorRow(id=2, name=HOSTILE_NAME, title=PIPE_TITLE, score=41,
                       engagement_level="Passive", risk="Medium", last_touch=date(2025, 3, 20),
                       backup=True, breakdown=factors(8, 12, 6, 15)),
            SponsorRow(id=3, name="Old Sponsor", title="CFO", score=0,
                       engagement_level="Unknown", risk="Critical", last_touch=None,
                       departed=True),
        ),
        primary=SponsorProfile(
            id=1, name="Jane Roe", title="Chief Operating Officer", tenure_months=27,
            priorities=("Cost reduction", "Supplier consolidation"),
            communication_preference="Email, then a 30-min video call",
        ),
        timeline=(
            TimelineEntry(date(2025, 6, 2), "one_on_one", ("Roadmap", "Renewal"), "Agreed pilot"),
            TimelineEntry(date(2025, 4, 10), "qbr", ("Q1 results",), "Positive;\nasked for ROI"),
            TimelineEntry(date(2025, 1, 15), "exec_dinner", (), ""),
        ),
        breakdown=primary_breakdown,
        health=EngagementHealth(
            strengths=("Regular 1:1s with the COO", "Attends 3 of 4 QBRs"),
            concerns=(Concern("Backup sponsor passive", "Last touch 87 days ago"),
                      Concern("Sponsor departed", "CFO left in March")),
        ),
        org=OrgIntelligence(
            recent_changes=(OrgChangeNote("CFO Old Sponsor departed (LinkedIn, 2025-03-01)",
                                          "Budget owner changed; renewal approval path unclear"),),
            succession=Succession(primary_tenure_months=27,
                                  backups=(f"{HOSTILE_NAME} ({PIPE_TITLE})",), risk_level="M"),
        ),
        alignment=(
            AlignmentRow("Workflow automation", "Cost reduction", "high"),
            AlignmentRow("Supplier portal", "Supplier consolidation", "medium"),
            AlignmentRow("AI forecasting", "Inventory accuracy", "low"),
        ),
        recommendations=Recommendations(
            immediate=(Recommendation("Meet Dana this week", "The CFO departed"),),
            short_term=(Recommendation("Brief the new CFO", "Continuity"),
                        Recommendation("Map \"Inventory accuracy\" to an initiative", "Low alignment")),
            strategic=(Recommendation("Keep the monthly cadence", "Healthy"),),
        ),
        alerts=(ReportAlert("sponsor_departed", "critical", "CFO Old Sponsor departed"),
                ReportAlert("no_backup_sponsor", "medium", "Backup is passive")),
        calendar=(
            CalendarRow(date(2025, 7, 1), "1:1", ("Jane Roe", "Sam CSM"), "Renewal plan"),
            CalendarRow(date(2025, 7, 15), "QBR", ("Jane Roe", HOSTILE_NAME), "Q2 review"),
        ),
    )


def make_empty_report() -> SponsorReport:
    return SponsorReport(
        header=ReportHeader(
            account_id=7, account_name="Tiny Co", tier="smb", as_of=AS_OF,
            overall_score=0, overall_status="Unknown", overall_risk="Critical",
        ),
    )


@pytest.fixture
def rich_report() -> SponsorReport:
    return make_rich_report()


@pytest.fixture
def empty_report() -> SponsorReport:
    return make_empty_report()
