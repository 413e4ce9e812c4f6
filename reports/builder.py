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

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

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
from sponsors.rules.activity import window_start
from sponsors.rules.cadence import cadence_status, next_touchpoints
from sponsors.rules.config import RulesConfig
from sponsors.rules.facts import AccountEngagement, AccountFacts, SponsorActivity
from sponsors.rules.guardrails import evaluate_account
from sponsors.rules.scoring import average_reply_days, score_account
from sponsors.rules.triage import title_rank
from sponsors.selectors.facts import load_account_facts, local_date, start_of_day


class AccountNotFound(LookupError):
    pass


def user_label(user) -> str:
    return user.get_full_name() or user.email or user.username


@dataclass(frozen=True)
class _Account:
    """What every section reads: the account's facts, score and findings as of the report date."""

    account: Account
    as_of: date
    rules: RulesConfig
    facts: AccountFacts
    engagement: AccountEngagement
    findings: tuple
    contacts: dict                      # contact id -> {communication_preference, external_id}

    @cached_property
    def end(self):
        return start_of_day(self.as_of + timedelta(days=1))      # exclusive: nothing after as_of

    @cached_property
    def gone(self) -> set:
        return self.facts.departed_ids(self.as_of)

    @cached_property
    def breakdowns(self) -> dict:
        return {b.contact_id: b for b in self.engagement.sponsors}

    @cached_property
    def active_primary(self):
        primary = self.facts.primary_sponsor
        return primary if primary is not None and primary.id not in self.gone else None

    @cached_property
    def active_backups(self) -> list:
        return [c for c in self.facts.backup_sponsors if c.id not in self.gone]

    @cached_property
    def remaining_executives(self) -> tuple[str, ...]:
        """Active executives who are not sponsors, most senior title first (who to meet when no backup is left)."""
        people = [c for c in self.facts.executives if c.id not in self.gone and not c.sponsor]
        return tuple(c.name for c in sorted(people, key=lambda c: (-title_rank(c.title), c.name)))

    def preference(self, contact_id) -> str:
        return self.contacts.get(contact_id, {}).get("communication_preference", "")

    def tenure(self, contact) -> int | None:
        return months_between(contact.in_role_since, self.as_of) if contact and contact.in_role_since else None


def build_sponsor_report(*, account: Account, as_of: date, config: RulesConfig | None = None) -> SponsorReport:
    rules = config or rules_config()
    facts = load_account_facts([account.pk], as_of=as_of, config=rules)[account.pk]
    engagement = score_account(facts, as_of=as_of, config=rules.scoring)
    a = _Account(
        account=account, as_of=as_of, rules=rules, facts=facts, engagement=engagement,
        findings=tuple(evaluate_account(facts, engagement, as_of=as_of, config=rules)),
        contacts={row["pk"]: row for row in Contact.objects.filter(account_id=account.pk)
                  .values("pk", "communication_preference", "external_id")},
    )
    primary = facts.primary_sponsor
    primary_breakdown = a.breakdowns.get(primary.id) if primary else None
    last_review = _last_review(a)
    return SponsorReport(
        header=ReportHeader(
            account_id=account.pk, account_name=facts.name, tier=facts.tier, as_of=as_of,
            overall_score=engagement.score, overall_status=engagement.level, overall_risk=engagement.risk,
            overall_note=health.overall_note(level=engagement.level, score=engagement.score, has_active_sponsor=any(
                c.is_sponsor for c in facts.contacts if c.id not in a.gone)),
            account_external_id=account.external_id, account_source=account.source,
        ),
        sponsors=_sponsor_rows(a),
        primary=_profile(a, primary) if primary else None,
        timeline=_timeline(a, primary) if primary else (),
        breakdown=primary_breakdown.factors if primary_breakdown else (),
        health=EngagementHealth(strengths=_strengths(a), concerns=health.concerns(a.findings)),
        org=OrgIntelligence(
            recent_changes=health.recent_org_changes(facts.org_changes, facts.contacts, as_of=as_of,
                                                     days=rules.report.recent_change_days),
            succession=_succession(a)),
        alignment=tuple(AlignmentRow(x.our_initiative, x.their_priority, x.alignment) for x in facts.alignment),
        recommendations=_recommendations(a, last_review),
        alerts=tuple(ReportAlert.from_finding(f) for f in a.findings),
        calendar=_calendar(a, last_review),
    )


def _sponsor_rows(a: _Account) -> tuple[SponsorRow, ...]:
    """The Executive Sponsors table: every scored contact, primary first."""
    by_id = {c.id: c for c in a.facts.contacts}
    rows = []
    for b in a.engagement.sponsors:
        c = by_id[b.contact_id]
        activity = a.facts.activity.get(c.id) or SponsorActivity()
        rows.append(SponsorRow(
            id=c.id, name=c.name, title=c.title, score=b.total, engagement_level=b.level, risk=b.risk,
            last_touch=activity.last_touch, primary=c.sponsor == "primary", backup=c.sponsor == "backup",
            departed=c.id in a.gone, breakdown=b.factors, roles=c.roles,
            external_id=a.contacts.get(c.id, {}).get("external_id"),
        ))
    return tuple(rows)


def _profile(a: _Account, primary) -> SponsorProfile:
    return SponsorProfile(
        id=primary.id, name=primary.name, title=primary.title, tenure_months=a.tenure(primary),
        priorities=primary.priorities,
        communication_preference=health.preference_label(a.preference(primary.id)),
    )


def _timeline(a: _Account, primary) -> tuple[TimelineEntry, ...]:
    """The primary sponsor's latest interactions in the scoring window (one query, LIMIT timeline_limit)."""
    window_begins = start_of_day(window_start(a.as_of, a.rules.scoring))
    rows = (Interaction.objects.filter(account_id=a.account.pk, participant_links__contact_id=primary.id,
                                       occurred_at__gte=window_begins, occurred_at__lt=a.end)
            .order_by("-occurred_at", "-pk")
            .values("occurred_at", "type", "direction", "topics", "outcome", "responded_at")
            [:a.rules.report.timeline_limit])
    return tuple(
        TimelineEntry(
            date=local_date(i["occurred_at"]), interaction_type=i["type"],
            topics=tuple(str(t) for t in (i["topics"] or ())),
            outcome=health.timeline_outcome(
                direction=i["direction"], outcome=i["outcome"] or "",
                reply_days=(i["responded_at"] - i["occurred_at"]).total_seconds() / 86400
                if i["responded_at"] and i["responded_at"] < a.end else None,
            ),
        )
        for i in rows
    )


def _strengths(a: _Account) -> tuple[str, ...]:
    primary = a.active_primary
    activity = (a.facts.activity.get(primary.id) or SponsorActivity()) if primary else None
    by_id = {c.id: c for c in a.facts.contacts}
    return health.strengths(
        activity=activity,
        qbrs_held=a.facts.qbrs_held,
        meeting_target=a.rules.scoring.meeting_targets.get(a.facts.tier),
        average_reply_days=average_reply_days(activity, a.rules.scoring) if primary else None,
        cadence=_cadence_with_active_executives(a),
        alignment_levels=[x.alignment for x in a.facts.alignment],
        engaged_backups=[(c.name, a.breakdowns[c.id].level) for c in a.active_backups
                         if c.id in a.breakdowns and a.breakdowns[c.id].level in ENGAGED_LEVELS],
        engaged_executives=sum(1 for b in a.engagement.sponsors if b.level in ENGAGED_LEVELS
                               and b.contact_id not in a.gone and by_id[b.contact_id].is_executive),
        config=a.rules.report,
        window_days=a.rules.scoring.window_days,
    )


def _cadence_with_active_executives(a: _Account):
    """The cadence counted from the last touch with an executive who is still there: a touch with someone
    who has since left is no strength."""
    touches = [act.last_touch for cid, act in a.facts.activity.items()
               if act.last_touch and cid not in a.gone and (c := a.facts.contact(cid)) and c.is_executive]
    return cadence_status(a.facts.tier, max(touches, default=None), as_of=a.as_of, config=a.rules.scoring)


def _succession(a: _Account) -> Succession:
    tenure = a.tenure(a.active_primary)
    return Succession(
        primary_tenure_months=tenure,
        backups=tuple(backup_label(c.name, c.title) for c in a.active_backups),
        risk_level=succession_risk_level(
            has_primary=a.active_primary is not None,
            primary_tenure_months=tenure,
            backup_levels=[a.breakdowns[c.id].level for c in a.active_backups if c.id in a.breakdowns],
            new_sponsor_months=a.rules.report.new_sponsor_months,
        ),
    )


def _last_review(a: _Account) -> dict | None:
    """The account's last QBR / business review and how many executives attended (one query)."""
    return (
        Interaction.objects.filter(account_id=a.account.pk, direction="meeting",
                                   type__in=sorted(a.rules.scoring.review_types), occurred_at__lt=a.end)
        .annotate(execs=Count("participant_links", filter=Q(participant_links__contact__is_executive=True)))
        .order_by("-occurred_at", "-pk").values("occurred_at", "execs").first()
    )


def _recommendations(a: _Account, last_review: dict | None):
    primary = a.active_primary
    channel = health.preference_channel(a.preference(primary.id)) if primary else ""
    renewal = a.account.renewal_date
    return recommend(a.findings, RecommendationContext(
        account_name=a.facts.name, tier=a.facts.tier,
        primary_name=primary.name if primary else None,
        communication_preference=channel,
        backup_names=tuple(c.name for c in a.active_backups),
        remaining_executives=a.remaining_executives,
        alignment=a.facts.alignment,
        last_qbr_without_exec=bool(last_review and last_review["execs"] == 0),
        risk=a.engagement.risk,
        renewal_date=renewal.isoformat() if renewal else "",
        renewal_in_days=(renewal - a.as_of).days if renewal else None,
    ), config=a.rules)


def _calendar(a: _Account, last_review: dict | None):
    """Planned touchpoints from ``as_of`` on (3 queries) and the next ones the cadence calls for."""
    planned = [
        PlannedRow(
            date=t.planned_on, event=t.type,
            attendees=tuple(c.name for c in t.contacts.all()) + tuple(user_label(u) for u in t.team_attendees.all()),
            objective=t.objective,
        )
        for t in PlannedTouchpoint.objects.filter(account_id=a.account.pk, status=PlannedTouchpoint.Status.PLANNED,
                                                  planned_on__gte=a.as_of)
        .order_by("planned_on", "pk").prefetch_related("contacts", "team_attendees")
    ]
    account, primary = a.account, a.active_primary
    csm = (AccountTeamMember.objects.filter(account_id=account.pk, role=AccountTeamMember.Role.CSM)
           .select_related("user").order_by("pk").first())
    csm_name = user_label(csm.user) if csm else (user_label(account.owner) if account.owner_id else None)
    default_attendees = tuple(n for n in ((primary.name if primary else None), csm_name) if n)
    priorities = primary.priorities if primary else ()
    last_qbr = local_date(last_review["occurred_at"]) if last_review else None
    due = [
        DueTouchpoint(due=tp.due, event_type=tp.event, reason=health.due_objective(tp.event, tp.reason, priorities))
        for tp in next_touchpoints(a.facts.tier, a.facts.last_exec_touch, last_qbr, as_of=a.as_of,
                                   config=a.rules.scoring)
    ]
    return build_calendar([*planned, *_renewal(a, default_attendees)], due, default_attendees=default_attendees,
                          as_of=a.as_of)


def _renewal(a: _Account, attendees: tuple) -> list:
    """The contract's renewal, when it falls within ``renewal_watch_days`` of the report date: the day the
    executive relationship is put to the test, with whom to have met by then."""
    renewal = a.account.renewal_date
    if renewal is None or not 0 <= (renewal - a.as_of).days <= a.rules.report.renewal_watch_days:
        return []
    objective = health.renewal_objective(sponsor=a.active_primary.name if a.active_primary else None,
                                         arr=a.account.arr, currency=a.account.currency, risk=a.engagement.risk)
    return [PlannedRow(date=renewal, event="Contract renewal", attendees=attendees, objective=objective)]
