"""Reads: the facts the rules need, for one account or the whole portfolio, in a fixed number
of set-based queries (aggregates computed in the database, never a query per contact).

``load_account_facts(account_ids=None, as_of=...)`` returns ``{account_id: AccountFacts}``; the
aggregates mirror ``sponsors.scoring.activity_from_interactions`` exactly (dates are calendar
dates in the configured time zone; the scoring window is ``[as_of - (window_days - 1), as_of]``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, Max, OuterRef, Q, Sum, Value
from django.db.models.functions import Greatest, Least, TruncDate
from django.utils import timezone

from accounts.models import Account, Goal, StrategicAlignment

from . import facts as f
from .models import Contact, Interaction, InteractionParticipant, OrgChange, ScoreSnapshot
from .scoring import ScoringConfig, window_start

SCORE_DROP_DAYS = 30


def scoring_config() -> ScoringConfig:
    return ScoringConfig.from_mapping(getattr(settings, "EXEC_SPONSOR_SCORING", {}) or {})


def start_of_day(day: date) -> datetime:
    """The first instant of ``day`` in the configured time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def local_date(value: datetime | None) -> date | None:
    return None if value is None else timezone.localtime(value).date()


def _later(*days):
    days = [d for d in days if d is not None]
    return max(days) if days else None


def load_account_facts(account_ids=None, *, as_of: date, config: ScoringConfig | None = None,
                       guardrails: bool = True) -> dict:
    """``{account_id: AccountFacts}`` for ``account_ids`` (all accounts when None) as of ``as_of``.

    ``guardrails=False`` skips what only the guardrails read (org changes, operational contacts of
    executives, scores 30 days before): the score recompute needs none of it."""
    config = config or scoring_config()
    return _load(account_ids, as_of=as_of, config=config, guardrails=guardrails)


def _load(account_ids, *, as_of: date, config: ScoringConfig, guardrails: bool) -> dict:
    end = start_of_day(as_of + timedelta(days=1))              # exclusive: nothing after as_of counts
    start = start_of_day(window_start(as_of, config))          # inclusive window start
    accounts = Account.objects.all() if account_ids is None else Account.objects.filter(pk__in=list(account_ids))
    scope = Q() if account_ids is None else Q(account_id__in=list(account_ids))

    # 1. accounts
    rows = {a["pk"]: a for a in accounts.order_by().values("pk", "name", "tier")}
    if not rows:
        return {}

    # 2. contacts
    contacts = defaultdict(list)
    executives = defaultdict(set)
    account_of = {}
    for c in Contact.objects.filter(scope).values(
        "pk", "account_id", "name", "title", "roles", "sponsor", "status", "in_role_since", "priorities"
    ).order_by("pk"):
        fact = f.ContactFact(
            id=c["pk"], name=c["name"], title=c["title"], roles=tuple(c["roles"] or ()),
            sponsor=c["sponsor"] or None, status=c["status"], in_role_since=c["in_role_since"],
            priorities=tuple(c["priorities"] or ()),
        )
        contacts[c["account_id"]].append(fact)
        account_of[fact.id] = c["account_id"]
        if fact.is_executive:
            executives[c["account_id"]].add(fact.id)

    # 3. per-contact activity: one grouped aggregate over participants ⨝ interactions, grouped by
    #    contact alone (its account is known from step 2).  Latest dates are taken as the latest
    #    instant, then turned into a local date once per contact (the same day: dates are monotonic).
    in_window = Q(interaction__occurred_at__gte=start)
    outbound = Q(interaction__direction="outbound")
    replied = outbound & Q(interaction__responded_at__isnull=False, interaction__responded_at__lt=end)
    reply_delay = ExpressionWrapper(F("interaction__responded_at") - F("interaction__occurred_at"),
                                    output_field=DurationField())
    capped_delay = Least(Greatest(reply_delay, Value(timedelta(0))), Value(timedelta(days=config.reply_cap_days)),
                         output_field=DurationField())
    review = Q(interaction__direction="meeting", interaction__type__in=sorted(config.review_types))
    activity_rows = (
        InteractionParticipant.objects
        .filter(Q(interaction__occurred_at__lt=end), **({} if account_ids is None else
                                                        {"interaction__account_id__in": list(account_ids)}))
        .values("contact_id")
        .annotate(
            meetings=Count("pk", filter=in_window & Q(interaction__direction="meeting",
                                                      interaction__type__in=sorted(f.MEETING_TYPES))),
            outbound=Count("pk", filter=in_window & outbound),
            answered=Count("pk", filter=in_window & replied),
            reply_total=Sum(capped_delay, filter=in_window & replied),
            qbrs=Count("pk", filter=in_window & review),
            advocacy=Count("pk", filter=in_window & Q(interaction__type__in=sorted(f.ADVOCACY_TYPES))),
            last_occurred=TruncDate(Max("interaction__occurred_at")),
            last_reply=TruncDate(Max("interaction__responded_at", filter=replied)),
            last_met=TruncDate(Max("interaction__occurred_at",
                                   filter=Q(interaction__direction__in=["meeting", "inbound"]))),
        )
        .order_by()
        .values_list("contact_id", "meetings", "outbound", "answered", "reply_total", "qbrs", "advocacy",
                     "last_occurred", "last_reply", "last_met")
    )
    activity = defaultdict(dict)
    zero = timedelta(0)
    for cid, meetings, out, answered, reply_total, qbrs_attended, advocacy, last_occurred, last_reply, last_met \
            in activity_rows:
        activity[account_of.get(cid)][cid] = f.SponsorActivity(
            meetings=meetings, outbound=out, answered=answered,
            reply_days_total=(reply_total or zero).total_seconds() / 86400,
            qbrs_attended=qbrs_attended, advocacy_signals=advocacy,
            last_touch=_later(last_occurred, last_reply),
            last_direct_contact=_later(last_met, last_reply),
        )

    # 4. account QBRs held in the window, and how many had an executive in the room
    exec_present = Exists(InteractionParticipant.objects.filter(interaction_id=OuterRef("pk"),
                                                                contact__is_executive=True))
    qbrs = {
        r["account_id"]: (r["held"], r["with_exec"])
        for r in Interaction.objects.filter(scope, direction="meeting", type__in=sorted(config.review_types),
                                            occurred_at__gte=start, occurred_at__lt=end)
        .values("account_id")
        .annotate(held=Count("pk"), with_exec=Count("pk", filter=exec_present))
        .order_by()
    }

    # 5. alignment and goals
    alignment = defaultdict(list)
    for a in StrategicAlignment.objects.filter(scope).order_by("pk").values(
            "account_id", "our_initiative", "their_priority", "alignment"):
        alignment[a["account_id"]].append(f.AlignmentFact(a["our_initiative"], a["their_priority"], a["alignment"]))
    goals = defaultdict(list)
    for g in Goal.objects.filter(scope).order_by("pk").values("account_id", "name", "status", "progress"):
        goals[g["account_id"]].append(f.GoalFact(g["name"], g["status"], g["progress"]))

    changes = defaultdict(list)
    operational = defaultdict(list)
    previous = defaultdict(dict)
    if guardrails:
        # 6. org changes up to as_of
        for oc in OrgChange.objects.filter(scope, occurred_on__lte=as_of).order_by("occurred_on", "pk"):
            changes[oc.account_id].append(oc.as_fact())

        # 7. outbound operational contacts to executives in the last year
        for r in (InteractionParticipant.objects
                  .filter(contact__is_executive=True, interaction__direction="outbound",
                          interaction__purpose="operational", interaction__occurred_at__lt=end,
                          interaction__occurred_at__gte=start_of_day(as_of - timedelta(days=365)),
                          **({} if account_ids is None else {"interaction__account_id__in": list(account_ids)}))
                  .values_list("interaction__account_id", "interaction_id", "contact_id", "interaction__occurred_at")
                  .order_by("interaction__occurred_at")):
            operational[r[0]].append((r[1], r[2], local_date(r[3])))

        # 8. scores 30 days before, for "fell 15 points in 30 days"
        for r in ScoreSnapshot.objects.filter(scope, contact__isnull=False,
                                              as_of=as_of - timedelta(days=SCORE_DROP_DAYS)).values(
                "account_id", "contact_id", "score"):
            previous[r["account_id"]][r["contact_id"]] = r["score"]

    result = {}
    for pk, a in rows.items():
        acts = activity.get(pk, {})
        execs = executives.get(pk, set())
        held, with_exec = qbrs.get(pk, (0, 0))
        result[pk] = f.AccountFacts(
            id=pk, name=a["name"], tier=a["tier"], contacts=tuple(contacts.get(pk, ())), activity=acts,
            qbrs_held=held, qbrs_with_exec=with_exec,
            last_exec_touch=_later(*(acts[c].last_touch for c in execs if c in acts)),
            alignment=tuple(alignment.get(pk, ())), goals=tuple(goals.get(pk, ())),
            org_changes=tuple(changes.get(pk, ())), operational_exec_contacts=tuple(operational.get(pk, ())),
            previous_scores=previous.get(pk, {}),
        )
    return result


def interaction_facts(account_id, *, as_of: date):
    """Raw ``InteractionFact`` rows of one account up to ``as_of`` (tests compare these with the
    bulk aggregates; the report's timeline reads interactions itself)."""
    end = start_of_day(as_of + timedelta(days=1))
    links = defaultdict(list)
    for iid, cid in InteractionParticipant.objects.filter(interaction__account_id=account_id).values_list(
            "interaction_id", "contact_id"):
        links[iid].append(cid)
    out = []
    for i in Interaction.objects.filter(account_id=account_id, occurred_at__lt=end).order_by("occurred_at"):
        out.append(f.InteractionFact(
            type=i.type, occurred_at=timezone.localtime(i.occurred_at), direction=i.direction,
            contact_ids=tuple(links[i.pk]), purpose=i.purpose,
            responded_at=timezone.localtime(i.responded_at) if i.responded_at else None,
        ))
    return out
