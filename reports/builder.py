"""Build one account's ``SponsorReport`` from the database, in a fixed number of queries.

``build_sponsor_report(account=..., as_of=...)`` reads:

1. the rule facts: ``sponsors.selectors.load_account_facts`` (8 set-based queries);
2. the contacts' communication preferences (1 query);
3. the primary sponsor's latest interactions of the last 12 months (1 query, LIMIT ``timeline_limit``);
4. the account's last QBR / business review and whether an executive attended (1 query);
5. the planned touchpoints from ``as_of`` on, with contacts and team attendees (3 queries);
6. the account team's CSM (1 query);

and everything else is pure: ``score_account``, ``evaluate_account`` (the live findings, shown as
the report's alerts), ``cadence.next_touchpoints``, ``reports.health``, ``reports.recommendations``
and ``reports.calendar``.  The count does not depend on the size of the account's history.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Q

from accounts.models import Account, AccountTeamMember
from accounts.vocabulary import ENGAGED_LEVELS
from reports import health
from reports.calendar import DueTouchpoint, build_calendar
from reports.calendar import PlannedTouchpoint as PlannedRow
from reports.recommendations import RecommendationContext, recommend
from reports.report import (
    AlignmentRow,
    EngagementHealth,
    OrgIntelligence,
    ReportAlert,
    ReportHeader,
    SponsorProfile,
    SponsorReport,
    SponsorRow,
    Succession,
    TimelineEntry,
    backup_label,
    months_between,
    succession_risk_level,
)
from sponsors.config import rules_config
from sponsors.models import Contact, Interaction, PlannedTouchpoint
from sponsors.rules.cadence import next_touchpoints
from sponsors.rules.config import RulesConfig
from sponsors.rules.facts import SponsorActivity
from sponsors.rules.guardrails import evaluate_account
from sponsors.rules.scoring import average_reply_days, score_account, window_start
from sponsors.selectors.facts import load_account_facts, local_date, start_of_day


class AccountNotFound(LookupError):
    pass


def user_label(user) -> str:
    return user.get_full_name() or user.email or user.username


def build_sponsor_report(
    *,
    account: Account,
    as_of: date,
    config: RulesConfig | None = None,
) -> SponsorReport:
    rules = config or rules_config()
    config = rules.scoring
    facts = load_account_facts([account.pk], as_of=as_of, config=rules)[account.pk]
    engagement = score_account(facts, as_of=as_of, config=config)
    findings = evaluate_account(facts, engagement, as_of=as_of, config=rules)

    end = start_of_day(as_of + timedelta(days=1))
    window_begins = start_of_day(window_start(as_of, config))
    preferences = dict(
        Contact.objects.filter(account_id=account.pk).values_list("pk", "communication_preference")
    )
    gone = facts.departed_ids(as_of)
    breakdowns = {b.contact_id: b for b in engagement.sponsors}
    by_id = {c.id: c for c in facts.contacts}

    # --- Executive Sponsors
    rows = []
    for b in engagement.sponsors:
        c = by_id[b.contact_id]
        activity = facts.activity.get(c.id) or SponsorActivity()
        rows.append(SponsorRow(
            id=c.id, name=c.name, title=c.title, score=b.total, engagement_level=b.level, risk=b.risk,
            last_touch=activity.last_touch, primary=c.sponsor == "primary", backup=c.sponsor == "backup",
            departed=c.id in gone, breakdown=b.factors,
        ))

    # --- Primary sponsor
    primary_fact = facts.primary_sponsor
    profile = None
    primary_activity = None
    timeline: tuple[TimelineEntry, ...] = ()
    tenure = None
    if primary_fact is not None:
        tenure = months_between(primary_fact.in_role_since, as_of) if primary_fact.in_role_since else None
        profile = SponsorProfile(
            id=primary_fact.id, name=primary_fact.name, title=primary_fact.title, tenure_months=tenure,
            priorities=primary_fact.priorities,
            communication_preference=health.preference_label(preferences.get(primary_fact.id, "")),
        )
        primary_activity = facts.activity.get(primary_fact.id) or SponsorActivity()
        timeline = tuple(
            TimelineEntry(
                date=local_date(i["occurred_at"]), interaction_type=i["type"],
                topics=tuple(str(t) for t in (i["topics"] or ())),
                outcome=health.timeline_outcome(
                    direction=i["direction"], outcome=i["outcome"] or "",
                    reply_days=(i["responded_at"] - i["occurred_at"]).total_seconds() / 86400
                    if i["responded_at"] and i["responded_at"] < end else None,
                ),
            )
            for i in Interaction.objects.filter(
                account_id=account.pk, participant_links__contact_id=primary_fact.id,
                occurred_at__gte=window_begins, occurred_at__lt=end,
            ).order_by("-occurred_at", "-pk").values(
                "occurred_at", "type", "direction", "topics", "outcome", "responded_at"
            )[:rules.report.timeline_limit]
        )
    primary_breakdown = breakdowns.get(primary_fact.id) if primary_fact else None
    active_primary = primary_fact if primary_fact is not None and primary_fact.id not in gone else None

    # --- Engagement health
    active_backups = [c for c in facts.backup_sponsors if c.id not in gone]
    engaged_backups = [
        (c.name, breakdowns[c.id].level) for c in active_backups
        if c.id in breakdowns and breakdowns[c.id].level in ENGAGED_LEVELS
    ]
    engaged_execs = sum(
        1 for b in engagement.sponsors
        if b.level in ENGAGED_LEVELS and b.contact_id not in gone and by_id[b.contact_id].is_executive
    )
    strengths = health.strengths(
        activity=primary_activity if active_primary else None,
        qbrs_held=facts.qbrs_held,
        meeting_target=config.meeting_targets.get(facts.tier),
        average_reply_days=average_reply_days(primary_activity, config) if active_primary else None,
        cadence=engagement.cadence,
        alignment_levels=[a.alignment for a in facts.alignment],
        engaged_backups=engaged_backups,
        engaged_executives=engaged_execs,
        config=rules.report,
    )

    # --- Organizational intelligence
    succession = Succession(
        primary_tenure_months=tenure if active_primary else None,
        backups=tuple(backup_label(c.name, c.title) for c in active_backups),
        risk_level=succession_risk_level(
            has_primary=active_primary is not None,
            primary_tenure_months=tenure if active_primary else None,
            backup_levels=[breakdowns[c.id].level for c in active_backups if c.id in breakdowns],
            new_sponsor_months=rules.report.new_sponsor_months,
        ),
    )
    recent = health.recent_org_changes(facts.org_changes, facts.contacts, as_of=as_of,
                                       days=rules.report.recent_change_days)

    # --- last QBR (for the cadence and the "no executive at the last QBR" rule)
    last_review = (
        Interaction.objects.filter(account_id=account.pk, direction="meeting",
                                   type__in=sorted(config.review_types), occurred_at__lt=end)
        .annotate(execs=Count("participant_links", filter=Q(participant_links__contact__is_executive=True)))
        .order_by("-occurred_at", "-pk").values("occurred_at", "execs").first()
    )
    last_qbr = local_date(last_review["occurred_at"]) if last_review else None

    # --- Recommendations
    channel = health.preference_channel(preferences.get(active_primary.id, "")) if active_primary else ""
    recommendations = recommend(findings, RecommendationContext(
        account_name=facts.name, tier=facts.tier,
        primary_name=active_primary.name if active_primary else None,
        communication_preference=channel,
        backup_names=tuple(c.name for c in active_backups),
        alignment=facts.alignment,
        last_qbr_without_exec=bool(last_review and last_review["execs"] == 0),
    ), config=rules)

    # --- Engagement calendar
    planned = [
        PlannedRow(
            date=t.planned_on, event=t.type,
            attendees=tuple(c.name for c in t.contacts.all()) + tuple(user_label(u) for u in t.team_attendees.all()),
            objective=t.objective,
        )
        for t in PlannedTouchpoint.objects.filter(account_id=account.pk, status=PlannedTouchpoint.Status.PLANNED,
                                                  planned_on__gte=as_of)
        .order_by("planned_on", "pk").prefetch_related("contacts", "team_attendees")
    ]
    csm = (AccountTeamMember.objects.filter(account_id=account.pk, role=AccountTeamMember.Role.CSM)
           .select_related("user").order_by("pk").first())
    csm_name = user_label(csm.user) if csm else (user_label(account.owner) if account.owner_id else None)
    default_attendees = tuple(n for n in ((active_primary.name if active_primary else None), csm_name) if n)
    priorities = active_primary.priorities if active_primary else ()
    due = [
        DueTouchpoint(due=tp.due, event_type=tp.event,
                      reason=health.due_objective(tp.event, tp.reason, priorities))
        for tp in next_touchpoints(facts.tier, facts.last_exec_touch, last_qbr, as_of=as_of, config=config)
    ]
    calendar = build_calendar(planned, due, default_attendees=default_attendees, as_of=as_of)

    return SponsorReport(
        header=ReportHeader(
            account_id=account.pk, account_name=facts.name, tier=facts.tier, as_of=as_of,
            overall_score=engagement.score, overall_status=engagement.level, overall_risk=engagement.risk,
        ),
        sponsors=tuple(rows),
        primary=profile,
        timeline=timeline,
        breakdown=primary_breakdown.factors if primary_breakdown else (),
        health=EngagementHealth(strengths=strengths, concerns=health.concerns(findings)),
        org=OrgIntelligence(recent_changes=recent, succession=succession),
        alignment=tuple(AlignmentRow(a.our_initiative, a.their_priority, a.alignment) for a in facts.alignment),
        recommendations=recommendations,
        alerts=tuple(ReportAlert.from_finding(f) for f in findings),
        calendar=calendar,
    )
