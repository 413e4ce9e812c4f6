"""Reads: the facts the rules need, for one account or the whole portfolio, in a fixed number
of set-based queries (aggregates computed in the database, never a query per contact).

``load_account_facts(account_ids=None, as_of=...)`` returns ``{account_id: AccountFacts}``; the
aggregates mirror ``sponsors.rules.activity.activity_from_interactions`` exactly (dates are calendar
dates in the configured time zone; the scoring window is ``[as_of - (window_days - 1), as_of]``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

import orjson
from django.db import connection
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, Max, OuterRef, Q, Sum, Value
from django.db.models.functions import Greatest, Least, TruncDate
from django.utils import timezone

from accounts.models import Account, Goal, StrategicAlignment
from accounts.vocabulary import ADVOCACY_TYPES, MEETING_TYPES

from ..config import rules_config
from ..models import Contact, Interaction, InteractionParticipant, OrgChange, ScoreSnapshot
from ..rules import facts as f
from ..rules.activity import window_start
from ..rules.config import RulesConfig


def start_of_day(day: date) -> datetime:
    """The first instant of ``day`` in the configured time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def local_date(value: datetime | None) -> date | None:
    return None if value is None else timezone.localtime(value).date()


def _later(*days):
    days = [d for d in days if d is not None]
    return max(days) if days else None


def _fetch(qs):
    """``(rows, raw)``: the tuples of a ``values_list`` queryset.  On PostgreSQL they come straight
    from the cursor (``raw``: dates, numbers and durations need no conversion there, jsonb is text),
    which spares the ORM's per-value converters on large reads; elsewhere through the ORM."""
    if connection.vendor != "postgresql":
        return list(qs), False
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall(), True


def load_account_facts(account_ids=None, *, as_of: date, config: RulesConfig | None = None,
                       scoring_only: bool = False) -> dict:
    """``{account_id: AccountFacts}`` for ``account_ids`` (all accounts when None) as of ``as_of``.

    ``scoring_only=True`` reads just what ``score_account`` uses, for the bulk recompute: the
    contacts it scores (executives and named sponsors) and their activity; no org changes,
    operational contacts or earlier scores (the guardrails' facts)."""
    config = config or rules_config()
    return _load(account_ids, as_of=as_of, config=config, scoring_only=scoring_only)


def _load(account_ids, *, as_of: date, config: RulesConfig, scoring_only: bool) -> dict:
    guardrails, config = config.guardrails, config.scoring
    end = start_of_day(as_of + timedelta(days=1))              # exclusive: nothing after as_of counts
    start = start_of_day(window_start(as_of, config))          # inclusive window start
    accounts = Account.objects.all() if account_ids is None else Account.objects.filter(pk__in=list(account_ids))
    scope = Q() if account_ids is None else Q(account_id__in=list(account_ids))

    # 1. accounts
    rows = {a["pk"]: a for a in accounts.order_by().values("pk", "name", "tier")}
    if not rows:
        return {}

    # 2. contacts (scoring only: those it scores, executives and named sponsors)
    contacts = defaultdict(list)
    executives = defaultdict(set)
    account_of = {}
    scored = Q(is_executive=True) | ~Q(sponsor="")
    contact_scope = (scope & scored) if scoring_only else scope
    contact_rows, raw = _fetch(Contact.objects.filter(contact_scope).order_by("pk").values_list(
        "pk", "account_id", "name", "title", "roles", "sponsor", "status", "in_role_since", "priorities"))
    for pk, account_id, name, title, roles, sponsor, status, in_role_since, priorities in contact_rows:
        if raw:                         # jsonb comes as text from a bare cursor
            roles, priorities = orjson.loads(roles), orjson.loads(priorities)
        fact = f.ContactFact(
            id=pk, name=name, title=title, roles=tuple(roles or ()), sponsor=sponsor or None, status=status,
            in_role_since=in_role_since, priorities=tuple(priorities or ()),
        )
        contacts[account_id].append(fact)
        account_of[pk] = account_id
        if fact.is_executive:
            executives[account_id].add(pk)

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
        .filter(**({"contact__in": Contact.objects.filter(contact_scope).values("pk")} if scoring_only else {}))
        .values("contact_id")
        .annotate(
            meetings=Count("pk", filter=in_window & Q(interaction__direction="meeting",
                                                      interaction__type__in=sorted(MEETING_TYPES))),
            outbound=Count("pk", filter=in_window & outbound),
            answered=Count("pk", filter=in_window & replied),
            reply_total=Sum(capped_delay, filter=in_window & replied),
            qbrs=Count("pk", filter=in_window & review),
            advocacy=Count("pk", filter=in_window & Q(interaction__type__in=sorted(ADVOCACY_TYPES))),
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
            in _fetch(activity_rows)[0]:
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
    if not scoring_only:
        # 6. org changes up to as_of
        for oc in OrgChange.objects.filter(scope, occurred_on__lte=as_of).order_by("occurred_on", "pk"):
            changes[oc.account_id].append(oc.as_fact())

        # 7. outbound operational contacts to executives in the last year
        for r in (InteractionParticipant.objects
                  .filter(contact__is_executive=True, interaction__direction="outbound",
                          interaction__purpose="operational", interaction__occurred_at__lt=end,
                          interaction__occurred_at__gte=start_of_day(
                              as_of - timedelta(days=guardrails.operational_lookback_days)),
                          **({} if account_ids is None else {"interaction__account_id__in": list(account_ids)}))
                  .values_list("interaction__account_id", "interaction_id", "contact_id", "interaction__occurred_at")
                  .order_by("interaction__occurred_at")):
            operational[r[0]].append((r[1], r[2], local_date(r[3])))

        # 8. scores score_drop_days (30) before, for "fell 15 points in 30 days"
        for r in ScoreSnapshot.objects.filter(scope, contact__isnull=False,
                                              as_of=as_of - timedelta(days=guardrails.score_drop_days)).values(
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
