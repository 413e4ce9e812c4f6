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
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate
from django.utils import timezone

from accounts.models import Account, Goal, StrategicAlignment
from accounts.vocabulary import ADVOCACY_TYPES, MEETING_TYPES

from ..config import rules_config
from ..models import Alert, Contact, Interaction, InteractionParticipant, OrgChange, ScoreSnapshot
from ..rules import facts as f
from ..rules.activity import window_start
from ..rules.config import RulesConfig
from .departures import confirmed_departures


def start_of_day(day: date) -> datetime:
    """The first instant of ``day`` in the configured time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def local_date(value: datetime | None) -> date | None:
    return None if value is None else timezone.localtime(value).date()


def _later(*days):
    days = [d for d in days if d is not None]
    return max(days) if days else None


class _Reads:
    """The loader's read queries, sent as they are declared and read back in the same order.

    On PostgreSQL they go through one pipeline (psycopg's pipeline mode): a query runs on the server
    as soon as it is sent, and reading one result waits for every query sent so far; so the loader
    reads the light queries, then sends the heavy ones (the activity aggregate above all) and turns
    the light rows into facts while the server runs them.  The rows come straight from the cursor
    (dates, numbers and durations need no conversion; jsonb comes as text), sparing the ORM's
    per-value converters.  Elsewhere (the demo's SQLite) each queryset is simply evaluated when read."""

    def __init__(self):
        self.raw = connection.vendor == "postgresql"
        self._pipeline = self._cursors = None

    def __enter__(self):
        if self.raw:
            connection.ensure_connection()
            self._pipeline = connection.connection.pipeline()
            self._pipeline.__enter__()
            self._cursors = []
        return self

    def __exit__(self, *exc):
        if self.raw:
            for cursor in self._cursors:
                cursor.close()
            self._pipeline.__exit__(*exc)

    def send(self, qs):
        """Send ``qs`` (a ``values_list`` queryset); ``read(handle)`` gives its rows."""
        if not self.raw:
            return qs
        sql, params = qs.query.sql_with_params()
        cursor = connection.cursor()
        cursor.execute(sql, params)
        self._cursors.append(cursor)
        return cursor

    def read(self, handle) -> list:
        return handle.fetchall() if self.raw else list(handle)


def load_account_facts(account_ids=None, *, as_of: date, config: RulesConfig | None = None,
                       scoring_only: bool = False) -> dict:
    """``{account_id: AccountFacts}`` for ``account_ids`` (all accounts when None) as of ``as_of``.

    ``scoring_only=True`` reads just what ``score_account`` uses, for the bulk recompute: the
    contacts it scores (executives and named sponsors), their activity and the confirmed departures;
    no other org changes, operational contacts or earlier scores (the guardrails' facts).  A fixed
    number of queries."""
    scope = _Scope(account_ids, as_of=as_of, config=config or rules_config(), scoring_only=scoring_only)
    with _Reads() as reads:
        # The light reads first; then the activity aggregate runs on the server while Python turns the
        # light rows into facts, and the QBRs while it turns the activity rows into facts.  (Reading a
        # result waits for every query sent before it, so the QBRs are sent only once the activity is read.)
        light = [reads.send(qs) for qs in (_accounts_query(scope), _contacts_query(scope), _alignment_query(scope),
                                           _goals_query(scope), _org_changes_query(scope))]
        accounts, contact_rows, alignment_rows, goal_rows, change_rows = [reads.read(handle) for handle in light]
        activity_rows = reads.send(_activity_query(scope))
        contacts = _contacts(contact_rows, raw=reads.raw)
        alignment = _grouped(alignment_rows, f.AlignmentFact)
        goals = _grouped(goal_rows, f.GoalFact)
        activity_rows = reads.read(activity_rows)
        qbr_rows = reads.send(_qbrs_query(scope))
        activity = _activity(activity_rows, contacts)
        qbrs = {account_id: (held, with_exec) for account_id, held, with_exec in reads.read(qbr_rows)}
    if not accounts:
        return {}
    changes = _grouped(change_rows, f.OrgChangeFact)
    guardrail_facts = ({}, {}) if scoring_only else (_operational(scope), _previous_scores(scope))
    return _assemble(accounts, contacts, activity, qbrs, alignment, goals, changes, *guardrail_facts)


class _Scope:
    """What one load covers: the accounts (None: all), the dates and the rules' settings."""

    def __init__(self, account_ids, *, as_of: date, config: RulesConfig, scoring_only: bool):
        self.ids = None if account_ids is None else list(account_ids)
        self.as_of, self.config, self.scoring_only = as_of, config, scoring_only
        self.end = start_of_day(as_of + timedelta(days=1))                 # exclusive: nothing after as_of
        self.start = start_of_day(window_start(as_of, config.scoring))     # inclusive window start

    def q(self, field="account_id") -> Q:
        return Q() if self.ids is None else Q(**{f"{field}__in": self.ids})


# 1. accounts
def _accounts_query(scope: _Scope):
    return Account.objects.filter(scope.q("pk")).order_by().values_list("pk", "name", "tier")


# 2. contacts (scoring only: those it scores, executives and named sponsors)
def _loaded_contacts(scope: _Scope):
    """The contacts the load reads (a queryset)."""
    contacts = Contact.objects.filter(scope.q())
    if scope.scoring_only:
        contacts = contacts.filter(Q(is_executive=True) | ~Q(sponsor=""))
    return contacts


def _contacts_query(scope: _Scope):
    return _loaded_contacts(scope).order_by("pk").values_list(
        "pk", "account_id", "name", "title", "roles", "sponsor", "status", "in_role_since", "priorities")


class _Contacts:
    def __init__(self):
        self.by_account = defaultdict(list)       # account id -> [ContactFact]
        self.executives = defaultdict(set)        # account id -> {contact id}
        self.account_of = {}                      # contact id -> account id


def _contacts(rows, *, raw: bool) -> _Contacts:
    out = _Contacts()
    for pk, account_id, name, title, roles, sponsor, status, in_role_since, priorities in rows:
        if raw:                         # jsonb comes as text from a bare cursor
            roles, priorities = orjson.loads(roles), orjson.loads(priorities)
        fact = f.ContactFact(
            id=pk, name=name, title=title, roles=tuple(roles or ()), sponsor=sponsor or None, status=status,
            in_role_since=in_role_since, priorities=tuple(priorities or ()),
        )
        out.by_account[account_id].append(fact)
        out.account_of[pk] = account_id
        if fact.is_executive:
            out.executives[account_id].add(pk)
    return out


# 3. per-contact activity: one pass over the participant rows grouped by contact alone, reading the copies of
#    their interaction's fields they carry on PostgreSQL (no join to the interactions), over the participants
#    of the contacts the load reads (the guardrails' portfolio load reads every contact: no join to contacts then).
#    Exactly what ``SponsorActivity`` holds: the two latest dates are each one MAX over the later of two
#    instants per row (last touch: the interaction or its reply; last direct contact: a meeting or inbound,
#    or a reply), taken as the latest instant and turned into a local date once per contact.
def _later_instant(a, b):
    """The later of two instants, either of which may be missing (NULL only when both are).  PostgreSQL's
    GREATEST skips NULLs; elsewhere (SQLite: NULL when any argument is) each side falls back on the other."""
    if connection.vendor == "postgresql":
        return Greatest(a, b)
    return Greatest(Coalesce(a, b), Coalesce(b, a))


def _interaction(field: str) -> str:
    """A participant's lookup of its interaction's ``field``: on PostgreSQL the copy on the participant row
    (``sponsors/participant_copies.py``: no join), elsewhere through the join."""
    return f"interaction_{field}" if connection.vendor == "postgresql" else f"interaction__{field}"


def _activity_query(scope: _Scope):
    config = scope.config.scoring
    occurred_at, direction, type_, responded_at = (_interaction(name) for name in
                                                   ("occurred_at", "direction", "type", "responded_at"))
    in_window = Q(**{f"{occurred_at}__gte": scope.start})
    outbound = Q(**{direction: "outbound"})
    replied = outbound & Q(**{f"{responded_at}__lt": scope.end})     # false when there is no reply (NULL)
    reply_delay = ExpressionWrapper(F(responded_at) - F(occurred_at), output_field=DurationField())
    capped_delay = Least(Greatest(reply_delay, Value(timedelta(0))), Value(timedelta(days=config.reply_cap_days)),
                         output_field=DurationField())
    review = Q(**{direction: "meeting", f"{type_}__in": sorted(config.review_types)})
    meeting = Q(**{direction: "meeting", f"{type_}__in": sorted(MEETING_TYPES)})
    reply_at = Case(When(replied, then=F(responded_at)), output_field=DateTimeField())
    met_at = Case(When(**{f"{direction}__in": ["meeting", "inbound"]}, then=F(occurred_at)),
                  output_field=DateTimeField())
    participants = InteractionParticipant.objects.filter(**{f"{occurred_at}__lt": scope.end})
    if scope.ids is not None or scope.scoring_only:
        # Only the participants of the contacts loaded: for some accounts, found through the participants'
        # contact index (not a scan); for the scoring, the delegates' rows (a fifth of the bench's) are
        # dropped before they are aggregated and then thrown away.
        participants = participants.filter(contact_id__in=_loaded_contacts(scope).values("pk"))
    return (     # counted over contact_id, the group's key: no other column carried for the counts
        participants
        .values("contact_id")
        .annotate(
            meetings=Count("contact_id", filter=in_window & meeting),
            outbound=Count("contact_id", filter=in_window & outbound),
            answered=Count("contact_id", filter=in_window & replied),
            reply_total=Sum(capped_delay, filter=in_window & replied),
            qbrs=Count("contact_id", filter=in_window & review),
            advocacy=Count("contact_id", filter=in_window & Q(**{f"{type_}__in": sorted(ADVOCACY_TYPES)})),
            last_touch=TruncDate(Max(_later_instant(F(occurred_at), reply_at))),
            last_direct=TruncDate(Max(_later_instant(met_at, reply_at))),
        )
        .order_by()
        .values_list("contact_id", "meetings", "outbound", "answered", "reply_total", "qbrs", "advocacy",
                     "last_touch", "last_direct")
    )


def _activity(rows, contacts: _Contacts) -> dict:
    """{account id: {contact id: SponsorActivity}} for the contacts loaded."""
    activity = defaultdict(dict)
    account_of, zero = contacts.account_of, timedelta(0)
    for cid, meetings, out, answered, reply_total, qbrs_attended, advocacy, last_touch, last_direct in rows:
        account_id = account_of.get(cid)
        if account_id is None:
            continue
        activity[account_id][cid] = f.SponsorActivity(
            meetings=meetings, outbound=out, answered=answered,
            reply_days_total=(reply_total or zero).total_seconds() / 86400,
            qbrs_attended=qbrs_attended, advocacy_signals=advocacy,
            last_touch=last_touch, last_direct_contact=last_direct,
        )
    return activity


# 4. account QBRs held in the window, and how many had an executive in the room
def _qbrs_query(scope: _Scope):
    exec_present = Exists(InteractionParticipant.objects.filter(interaction_id=OuterRef("pk"),
                                                                contact__is_executive=True))
    return (Interaction.objects
            .filter(scope.q(), direction="meeting", type__in=sorted(scope.config.scoring.review_types),
                    occurred_at__gte=scope.start, occurred_at__lt=scope.end)
            .values("account_id")
            .annotate(held=Count("pk"), with_exec=Count("pk", filter=exec_present))
            .order_by()
            .values_list("account_id", "held", "with_exec"))


# 5. alignment and goals
def _alignment_query(scope: _Scope):
    return StrategicAlignment.objects.filter(scope.q()).order_by("pk").values_list(
        "account_id", "our_initiative", "their_priority", "alignment")


def _goals_query(scope: _Scope):
    return Goal.objects.filter(scope.q()).order_by("pk").values_list("account_id", "name", "status", "progress")


def _grouped(rows, fact) -> dict:
    out = defaultdict(list)
    for account_id, *values in rows:
        out[account_id].append(fact(*values))
    return out


# 6. org changes up to as_of: every one for the guardrails; scoring's share, the confirmed departures, which make
#    a contact departed before the CRM's status says so (AccountFacts.departures), for the bulk recompute
def _org_changes_query(scope: _Scope):
    changes = (confirmed_departures(as_of=scope.as_of) if scope.scoring_only
               else OrgChange.objects.filter(occurred_on__lte=scope.as_of))
    escalated = Alert.objects.filter(code="sponsor_departed", org_change_id=OuterRef("pk"))
    reviewed = ExpressionWrapper(Q(reviewed_at__isnull=False), output_field=BooleanField())
    return changes.filter(scope.q()).annotate(sponsor_escalated=Exists(escalated), reviewed=reviewed) \
        .order_by("occurred_on", "pk").values_list("account_id", "pk", "kind", "occurred_on", "source", "contact_id",
                                                   "headline", "confidence", "state", "sponsor_escalated", "reviewed")


# 7. outbound operational contacts to executives in the last year
def _operational(scope: _Scope) -> dict:
    since = start_of_day(scope.as_of - timedelta(days=scope.config.guardrails.operational_lookback_days))
    operational = defaultdict(list)
    for account_id, interaction_id, contact_id, occurred_at in (
            InteractionParticipant.objects
            .filter(scope.q("interaction__account_id"), contact__is_executive=True,
                    interaction__direction="outbound", interaction__purpose="operational",
                    interaction__occurred_at__lt=scope.end, interaction__occurred_at__gte=since)
            .values_list("interaction__account_id", "interaction_id", "contact_id", "interaction__occurred_at")
            .order_by("interaction__occurred_at")):
        operational[account_id].append((interaction_id, contact_id, local_date(occurred_at)))
    return operational


# 8. scores score_drop_days (30) before, for "fell 15 points in 30 days"
def _previous_scores(scope: _Scope) -> dict:
    previous = defaultdict(dict)
    day = scope.as_of - timedelta(days=scope.config.guardrails.score_drop_days)
    for account_id, contact_id, score in ScoreSnapshot.objects.filter(
            scope.q(), contact__isnull=False, as_of=day).values_list("account_id", "contact_id", "score"):
        previous[account_id][contact_id] = score
    return previous


def _assemble(accounts, contacts: _Contacts, activity, qbrs, alignment, goals, changes, operational,
              previous) -> dict:
    result = {}
    for pk, name, tier in accounts:
        acts = activity.get(pk, {})
        execs = contacts.executives.get(pk, ())
        held, with_exec = qbrs.get(pk, (0, 0))
        result[pk] = f.AccountFacts(
            id=pk, name=name, tier=tier, contacts=tuple(contacts.by_account.get(pk, ())), activity=acts,
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
