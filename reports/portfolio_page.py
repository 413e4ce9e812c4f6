"""The portfolio page's reads: the stored scores and the open alerts of the accounts a user may see,
filtered, sorted and cut into pages in the database, plus the stored weekly metrics with their trends.

Nothing is scored here: the nightly recompute (and the per-account refresh after a change) stores each
account's ``ScoreSnapshot``; this page reads the latest one on or before the day shown, through the
partial unique index on (account, day) of account snapshots, and the unresolved alerts.  The number of
queries is fixed whatever the portfolio size: one aggregate (count, ARR, ARR at risk), one page of rows,
the sponsors, the alert counts and the cadence of that page's accounts, the owners to filter by, the
stored metric points.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Lower

from accounts.models import User
from accounts.vocabulary import RISK_LEVELS, SEVERITIES, SEVERITIES_MOST_FIRST, TIER_LABELS, TIERS
from reports import metric_history as mh
from reports.charts import Sparkline, sparkline
from sponsors.config import rules_config
from sponsors.models import Alert, Contact, OrgChange, ScoreSnapshot

PAGE_SIZE = 25
TREND_WEEKS = 12
AT_RISK = ("High", "Critical")
UNRESOLVED = (Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED)


def _rank(field_name: str, values) -> Case:
    return Case(*(When(**{field_name: v}, then=Value(i)) for i, v in enumerate(values)),
                default=Value(-1), output_field=IntegerField())


# sort key -> the expression it orders by (ascending); "-key" reverses.  Unscored accounts sort last.
SORTS = {
    "name": (Lower("name"),),
    "tier": (_rank("tier", TIERS), Lower("name")),
    "score": ("score", Lower("name")),
    "risk": ("risk_rank", "score", Lower("name")),
    "touch": ("days_since", Lower("name")),
    "arr": ("arr", Lower("name")),
    "renewal": ("renewal_date", Lower("name")),
    "alerts": ("worst_alert", Lower("name")),
}
SORT_LABELS = {"name": "Account", "tier": "Tier", "score": "Engagement", "risk": "Risk", "touch": "Last exec touch",
               "arr": "ARR", "renewal": "Renewal", "alerts": "Open alerts"}
DEFAULT_SORT = "-risk"


def annotated(accounts, *, as_of: date):
    """``accounts`` with the latest stored account score on or before ``as_of`` and the worst unresolved
    alert (rank 0 low … 3 critical, -1 none), ready to filter and sort."""
    latest = (ScoreSnapshot.objects.filter(account=OuterRef("pk"), contact__isnull=True, as_of__lte=as_of)
              .order_by("-as_of"))
    worst = (Alert.objects.filter(account=OuterRef("pk"), status__in=UNRESOLVED)
             .annotate(rank=_rank("severity", SEVERITIES)).order_by("-rank").values("rank")[:1])
    return accounts.annotate(
        snapshot_id=Subquery(latest.values("pk")[:1]),
        score=Subquery(latest.values("score")[:1]),
        level=Subquery(latest.values("level")[:1]),
        risk=Subquery(latest.values("risk")[:1]),
        days_since=Subquery(latest.annotate(d=KT("breakdown__cadence__days_since")).values("d")[:1],
                            output_field=IntegerField()),
        worst_alert=Subquery(worst, output_field=IntegerField()),
    ).annotate(risk_rank=_rank("risk", RISK_LEVELS))


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


def filtered(qs, filters: Filters, *, as_of: date):
    if filters.q:
        needle = " ".join(filters.q.split())
        sponsors = Contact.objects.filter(name__icontains=needle, sponsor="primary").values("account_id")
        qs = qs.filter(Q(name__icontains=needle) | Q(pk__in=sponsors))
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    for name in ("tier", "level", "risk"):
        if getattr(filters, name):
            qs = qs.filter(**{name: getattr(filters, name)})
    if filters.severity:
        qs = qs.filter(worst_alert__gte=SEVERITIES.index(filters.severity))
    if filters.renewal_days is not None:
        qs = qs.filter(renewal_date__gte=as_of, renewal_date__lte=as_of + timedelta(days=filters.renewal_days))
    return qs


def ordered(qs, sort: str):
    """Order by the sort key (its first expression reversed for "-key"), unscored and empty values last."""
    key = sort.lstrip("-")
    descending = sort.startswith("-") and key in SORTS
    exprs = []
    for i, expr in enumerate(SORTS.get(key, SORTS["name"])):
        e = F(expr) if isinstance(expr, str) else expr
        exprs.append(e.desc(nulls_last=True) if descending and i == 0 else e.asc(nulls_last=True))
    return qs.order_by(*exprs, "pk")


@dataclass(frozen=True, slots=True)
class Row:
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

    @property
    def tier_label(self) -> str:
        return TIER_LABELS.get(self.tier, self.tier)

    @property
    def findings_total(self) -> int:
        return sum(self.findings.values())

    @property
    def findings_by_severity(self) -> tuple[tuple[str, int], ...]:
        return tuple((s, self.findings.get(s, 0)) for s in SEVERITIES_MOST_FIRST)


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


def summary(qs) -> Summary:
    """One aggregate over the filtered accounts: how many, how many at risk, ARR and ARR at risk per currency."""
    at_risk = Q(risk__in=AT_RISK)
    rows = list(qs.order_by().values("currency").annotate(
        n=Count("pk"), n_at_risk=Count("pk", filter=at_risk), arr_total=Sum("arr"),
        arr_at_risk=Sum("arr", filter=at_risk)))
    money = sorted(((r["currency"] or "", r["arr_total"], r["arr_at_risk"] or Decimal(0))
                    for r in rows if r["arr_total"] is not None), key=lambda m: -m[1])
    return Summary(total=sum(r["n"] for r in rows), at_risk=sum(r["n_at_risk"] for r in rows), arr=tuple(money))


def _page_details(accounts: list, *, as_of: date) -> tuple[dict, dict, dict]:
    """Cadence (from the stored snapshots), sponsors and alert counts of one page of accounts: three queries."""
    ids = [a.pk for a in accounts]
    cadence = dict(ScoreSnapshot.objects.filter(pk__in=[a.snapshot_id for a in accounts if a.snapshot_id])
                   .values_list("account_id", "breakdown__cadence"))
    sponsors = defaultdict(dict)
    left = OrgChange.objects.filter(kind="departure", state=OrgChange.State.CONFIRMED, occurred_on__lte=as_of,
                                    contact__isnull=False).values("contact_id")
    for account_id, role, name in (Contact.objects.filter(account_id__in=ids, sponsor__in=["primary", "backup"],
                                                          status=Contact.Status.ACTIVE).exclude(pk__in=left)
                                   .order_by("name").values_list("account_id", "sponsor", "name")):
        sponsors[account_id].setdefault(role, name)
    findings = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    for account_id, severity, n in (Alert.objects.filter(account_id__in=ids, status__in=UNRESOLVED)
                                    .values("account_id", "severity").annotate(n=Count("pk"))
                                    .values_list("account_id", "severity", "n")):
        findings[account_id][severity] = n
    return cadence, sponsors, findings


def _row(a, cadence: dict | None, sponsors: dict, findings: dict, *, as_of: date) -> Row:
    cadence = cadence or {}
    return Row(
        account_id=a.pk, name=a.name, tier=a.tier, score=a.score, level=a.level, risk=a.risk,
        days_since_exec_touch=cadence.get("days_since"), cadence_days=cadence.get("cadence_days"),
        cadence_overdue=bool(cadence.get("overdue")), next_due=cadence.get("next_due") or "",
        arr=a.arr, currency=a.currency, renewal_date=a.renewal_date,
        renewal_in_days=(a.renewal_date - as_of).days if a.renewal_date else None,
        owner=str(a.owner) if a.owner_id else "", primary_sponsor=sponsors.get("primary"),
        has_backup="backup" in sponsors, findings=dict(findings) if findings else dict.fromkeys(SEVERITIES, 0))


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
    qs = filtered(annotated(accounts, as_of=as_of), filters, as_of=as_of)
    totals = summary(qs)
    pages = max(1, -(-totals.total // page_size))
    page = min(max(filters.page, 1), pages)
    chosen = list(ordered(qs, filters.sort).select_related("owner")[(page - 1) * page_size:page * page_size])
    cadence, sponsors, findings = _page_details(chosen, as_of=as_of)
    rows = tuple(_row(a, cadence.get(a.pk), sponsors.get(a.pk, {}), findings.get(a.pk), as_of=as_of)
                 for a in chosen)
    trends, metrics_as_of = metric_trends(user, as_of=as_of)
    choices = owners(accounts) if owner_choices is None else owner_choices
    return PortfolioPage(rows=rows, summary=totals, page=page, pages=pages, owners=choices,
                         metrics=trends, metrics_as_of=metrics_as_of,
                         has_accounts=bool(totals.total) or accounts.exists())
