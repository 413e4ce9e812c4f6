"""The portfolio page's reads: the stored scores and the open alerts of the accounts a user may see, filtered,
sorted and cut into pages, plus the stored weekly metrics with their trends.

Nothing is scored here: the nightly recompute (and the per-account refresh after a change) stores each
account's ``ScoreSnapshot``; this page reads the latest one on or before the day shown (one index probe per
account, through the partial unique index on (account, day) of account snapshots) and the unresolved alerts
grouped by account and severity.  The filters on the account's own columns (search, owner, tier, renewal)
run in the database; the light rows that pass (a few numbers and words per account) are then filtered by
level, risk and alert severity, counted, summed and sorted in memory, and only the page shown is completed
with its sponsors and cadence.  A fixed number of queries whatever the portfolio size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import CharField, Count, OuterRef, Q, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat

from accounts.models import User
from accounts.vocabulary import RISK_LEVELS, SEVERITIES, TIERS
from reports import metric_history as mh
from reports.charts import Sparkline, sparkline
from reports.portfolio import RowLabels
from sponsors.bulk import gc_paused
from sponsors.config import rules_config
from sponsors.models import Alert, Contact, OrgChange, ScoreSnapshot

PAGE_SIZE = 25
TREND_WEEKS = 12
AT_RISK = ("High", "Critical")
UNRESOLVED = (Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED)
SORT_LABELS = {"name": "Account", "tier": "Tier", "score": "Engagement", "risk": "Risk", "touch": "Last exec touch",
               "arr": "ARR", "renewal": "Renewal", "alerts": "Open alerts"}
DEFAULT_SORT = "-risk"
SORTS = tuple(SORT_LABELS)


@dataclass(frozen=True)
class Filters:
    q: str = ""
    owner: int | None = None
    tier: str = ""
    level: str = ""
    risk: str = ""
    severity: str = ""          # the worst open alert is at least this severe
    renewal_days: int | None = None
    sort: str = DEFAULT_SORT
    page: int = 1


@dataclass(frozen=True, slots=True)
class Light:
    """What filtering, counting and sorting need of one account."""

    pk: int
    name: str
    tier: str
    arr: Decimal | None
    currency: str
    renewal_date: date | None
    owner_id: int | None
    snapshot_id: int | None
    score: int | None = None
    level: str | None = None
    risk: str | None = None
    days_since: int | None = None
    worst: int = -1             # rank of the worst open alert (0 low … 3 critical), -1 none


def account_rows(accounts, filters: Filters, *, as_of: date, worst: dict, touch: bool = False) -> list[Light]:
    """The accounts passing the filters on their own columns, each with its latest account snapshot on or
    before ``as_of``: id, score, level, risk (and, with ``touch``, the days since the last executive touch)
    read in ONE correlated lookup per account through the partial unique index (one query in all)."""
    parts = [Cast("pk", CharField()), Value("|"), Cast("score", CharField()), Value("|"), "level", Value("|"), "risk"]
    if touch:
        parts += [Value("|"), KT("breakdown__cadence__days_since")]
    latest = (ScoreSnapshot.objects.filter(account=OuterRef("pk"), contact__isnull=True, as_of__lte=as_of)
              .order_by("-as_of").annotate(packed=Concat(*parts, output_field=CharField())).values("packed")[:1])
    qs = accounts
    if filters.q:
        needle = " ".join(filters.q.split())
        sponsors = Contact.objects.filter(name__icontains=needle, sponsor="primary").values("account_id")
        qs = qs.filter(Q(name__icontains=needle) | Q(pk__in=sponsors))
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.tier:
        qs = qs.filter(tier=filters.tier)
    if filters.renewal_days is not None:
        qs = qs.filter(renewal_date__gte=as_of, renewal_date__lte=as_of + timedelta(days=filters.renewal_days))
    rows = qs.annotate(snapshot=Subquery(latest)).values_list(
        "pk", "name", "tier", "arr", "currency", "renewal_date", "owner_id", "snapshot")
    return [_light(*row, worst=worst.get(row[0], -1)) for row in rows]


def _light(pk, name, tier, arr, currency, renewal_date, owner_id, packed, *, worst: int) -> Light:
    if not packed:
        return Light(pk, name, tier, arr, currency, renewal_date, owner_id, None, worst=worst)
    snapshot_id, score, level, risk, *days = packed.split("|")
    return Light(pk, name, tier, arr, currency, renewal_date, owner_id, int(snapshot_id), int(score), level, risk,
                 int(days[0]) if days and days[0] else None, worst)


SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def open_alerts(accounts) -> tuple[dict, dict]:
    """``({account id: {severity: unresolved alerts}}, {account id: rank of the worst})`` (one query)."""
    findings, worst = {}, {}
    for account_id, severity, n in (Alert.objects.filter(account__in=accounts.values("pk"), status__in=UNRESOLVED)
                                    .values("account_id", "severity").annotate(n=Count("pk"))
                                    .values_list("account_id", "severity", "n")):
        counts = findings.get(account_id)
        if counts is None:
            counts = findings[account_id] = dict.fromkeys(SEVERITIES, 0)
        counts[severity] = n
        if n and SEVERITY_RANK[severity] > worst.get(account_id, -1):
            worst[account_id] = SEVERITY_RANK[severity]
    return findings, worst


def keep(rows: list[Light], filters: Filters) -> list[Light]:
    floor = SEVERITIES.index(filters.severity) if filters.severity else None
    return [r for r in rows if (not filters.level or r.level == filters.level)
            and (not filters.risk or r.risk == filters.risk) and (floor is None or r.worst >= floor)]


SORT_VALUES = {
    "name": lambda r: r.name.casefold(),
    "tier": lambda r: TIERS.index(r.tier) if r.tier in TIERS else None,
    "score": lambda r: r.score,
    "risk": lambda r: RISK_LEVELS.index(r.risk) if r.risk in RISK_LEVELS else None,
    "touch": lambda r: r.days_since,
    "arr": lambda r: r.arr,
    "renewal": lambda r: r.renewal_date,
    "alerts": lambda r: r.worst if r.worst >= 0 else None,
}


def ordered(rows: list[Light], sort: str) -> list[Light]:
    """Sorted by ``sort`` ("-key": largest first), then by name (by risk: the lowest score first within a
    risk); empty values (unscored, no ARR, no alert …) last either way."""
    key = sort.lstrip("-") if sort.lstrip("-") in SORT_VALUES else "name"
    descending = sort.startswith("-") and key in SORT_VALUES
    rows = sorted(rows, key=lambda r: (r.name.casefold(), r.pk))
    if key == "risk":
        rows.sort(key=lambda r: (r.score is None, r.score or 0))
    value = SORT_VALUES[key]
    known = [r for r in rows if value(r) is not None]
    known.sort(key=value, reverse=descending)       # stable: ties keep the order above
    return known + [r for r in rows if value(r) is None]


@dataclass(frozen=True, slots=True)
class Row(RowLabels):
    account_id: int
    name: str
    tier: str
    score: int | None               # None: not scored yet (no snapshot on or before the day)
    level: str | None
    risk: str | None
    days_since_exec_touch: int | None
    cadence_days: int | None
    cadence_overdue: bool
    next_due: str                   # ISO date of the next executive touch the cadence calls for
    arr: Decimal | None
    currency: str
    renewal_date: date | None
    renewal_in_days: int | None
    owner: str
    primary_sponsor: str | None
    has_backup: bool
    findings: dict = field(default_factory=dict)     # severity -> unresolved alerts (all four keys)


@dataclass(frozen=True)
class Summary:
    total: int                      # accounts matching the filters
    at_risk: int                    # of them High or Critical
    arr: tuple                      # ((currency, total ARR, ARR at risk), …), largest first


@dataclass(frozen=True)
class MetricTrend:
    metric: object                  # reports.metrics.Metric (the latest stored week's value)
    as_of: date | None              # the week it is from
    chart: Sparkline


@dataclass(frozen=True)
class PortfolioPage:
    rows: tuple[Row, ...]
    summary: Summary
    page: int
    pages: int
    owners: tuple                   # ((user id, name), …) of the accounts' owners
    metrics: tuple[MetricTrend, ...]
    metrics_as_of: date | None
    has_accounts: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def summary(rows: list[Light]) -> Summary:
    """How many accounts, how many at risk, ARR and ARR at risk per currency."""
    money: dict = defaultdict(lambda: [Decimal(0), Decimal(0)])
    at_risk = 0
    for r in rows:
        risky = r.risk in AT_RISK
        at_risk += risky
        if r.arr is not None:
            money[r.currency or ""][0] += r.arr
            money[r.currency or ""][1] += r.arr if risky else 0
    arr = sorted(((c, total, risk) for c, (total, risk) in money.items()), key=lambda m: -m[1])
    return Summary(total=len(rows), at_risk=at_risk, arr=tuple(arr))


def _page_details(rows: list[Light], *, as_of: date) -> tuple[dict, dict]:
    """Cadence (from the stored snapshots) and sponsors of one page of accounts: two queries."""
    ids = [r.pk for r in rows]
    cadence = dict(ScoreSnapshot.objects.filter(pk__in=[r.snapshot_id for r in rows if r.snapshot_id])
                   .values_list("account_id", "breakdown__cadence"))
    sponsors = defaultdict(dict)
    left = OrgChange.objects.filter(kind="departure", state=OrgChange.State.CONFIRMED, occurred_on__lte=as_of,
                                    contact__isnull=False).values("contact_id")
    for account_id, role, name in (Contact.objects.filter(account_id__in=ids, sponsor__in=["primary", "backup"],
                                                          status=Contact.Status.ACTIVE).exclude(pk__in=left)
                                   .order_by("name").values_list("account_id", "sponsor", "name")):
        sponsors[account_id].setdefault(role, name)
    return cadence, sponsors


def _row(a: Light, cadence: dict | None, sponsors: dict, findings: dict | None, owner: str, *, as_of: date) -> Row:
    cadence = cadence or {}
    return Row(
        account_id=a.pk, name=a.name, tier=a.tier, score=a.score, level=a.level, risk=a.risk,
        days_since_exec_touch=cadence.get("days_since"), cadence_days=cadence.get("cadence_days"),
        cadence_overdue=bool(cadence.get("overdue")), next_due=cadence.get("next_due") or "",
        arr=a.arr, currency=a.currency, renewal_date=a.renewal_date,
        renewal_in_days=(a.renewal_date - as_of).days if a.renewal_date else None,
        owner=owner, primary_sponsor=sponsors.get("primary"), has_backup="backup" in sponsors,
        findings=dict(findings) if findings else dict.fromkeys(SEVERITIES, 0))


def metric_trends(user, *, as_of: date) -> tuple[tuple[MetricTrend, ...], date | None]:
    """The five metrics of the user's scope from the weekly stored points (one query): the latest week's
    value and a 12-week trend each.  Weeks not stored yet are gaps; nothing is computed here."""
    config = rules_config()
    days = mh.weekly_days(mh.week_end(as_of), TREND_WEEKS)
    stored = mh.stored_series(mh.scope_user(user).key, days)
    latest = max(stored) if stored else None
    current = stored[latest].metrics(config) if latest else mh.blank_metrics(config)
    out = []
    for metric in current:
        values = [stored[d].values.get(metric.key) if d in stored else None for d in days]
        out.append(MetricTrend(metric, latest, sparkline(values, low=None, high=None,
                                                         label=f"{metric.label}, {TREND_WEEKS} weeks")))
    return tuple(out), latest


def owners(accounts) -> tuple:
    users = User.objects.filter(owned_accounts__in=accounts.values("pk")).distinct().order_by(
        "first_name", "last_name", "email")
    return tuple((u.pk, str(u)) for u in users)


def load_page(user, accounts, filters: Filters, *, as_of: date, owner_choices: tuple | None = None,
              page_size: int = PAGE_SIZE) -> PortfolioPage:
    """One page of the user's portfolio (``accounts``: ``accounts_visible_to(user)``)."""
    choices = owners(accounts) if owner_choices is None else owner_choices
    with gc_paused():                     # thousands of small rows: no collector passes in the middle
        findings, worst = open_alerts(accounts)
        light = account_rows(accounts, filters, as_of=as_of, worst=worst, touch=filters.sort.lstrip("-") == "touch")
        rows = ordered(keep(light, filters), filters.sort)
    totals = summary(rows)
    pages = max(1, -(-totals.total // page_size))
    page = min(max(filters.page, 1), pages)
    chosen = rows[(page - 1) * page_size:page * page_size]
    cadence, sponsors = _page_details(chosen, as_of=as_of)
    names = dict(choices)
    shown = tuple(_row(a, cadence.get(a.pk), sponsors.get(a.pk, {}), findings.get(a.pk), names.get(a.owner_id, ""),
                       as_of=as_of) for a in chosen)
    trends, metrics_as_of = metric_trends(user, as_of=as_of)
    return PortfolioPage(rows=shown, summary=totals, page=page, pages=pages, owners=choices,
                         metrics=trends, metrics_as_of=metrics_as_of,
                         has_accounts=bool(light) or accounts.exists())
