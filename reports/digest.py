"""The weekly digest, the pure part: plain data in, a ``Digest`` out — no ORM, no clock.

The queries that feed it are ``reports/digest_queries.py``; the e-mail and Block Kit renderings are
``reports/digest_render.py``; who gets one and when is ``reports/digest_service.py``.

A digest sent on day ``week`` (the recipient's own Monday) covers the seven days before it; "now" is the
day before (``as_of``, a Sunday), "then" a week earlier.  Exceptions first, in six groups:

1. departures and escalations of the week (and escalations still open), with their due dates;
2. accounts that crossed into High or Critical risk, with the reason;
3. enterprise accounts past 90 days without executive contact, and other cadence breaches;
4. contract renewals within ``renewal_urgent_days`` (30) of the send day at High or Critical risk;
5. accounts still missing a backup sponsor; org changes waiting for confirmation;
6. the week's biggest score drops (and rises) of executives, each with the factor that moved;

then the five metrics against their targets, with the week's change and a trend.  Nothing in 1–6:
the digest is an all-clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from accounts.vocabulary import AT_RISK_LEVELS

from .charts import metric_scale

HIGH_RISKS = frozenset(AT_RISK_LEVELS)
SPARKS = "▁▂▃▄▅▆▇█"


# --- when ------------------------------------------------------------------------------------------

def due_week(now: datetime, tz: ZoneInfo, *, weekday: int, hour: int) -> date | None:
    """The local send day if ``now`` (aware) is on it at or after ``hour`` in ``tz``, else None."""
    local = now.astimezone(tz)
    if local.weekday() == weekday and local.hour >= hour:
        return local.date()
    return None


def period(week: date) -> tuple[date, date]:
    """The seven days a digest sent on ``week`` covers: (first, last), last = the day before."""
    return week - timedelta(days=7), week - timedelta(days=1)


# --- content ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Item:
    account_id: int
    account_name: str
    text: str
    url: str
    due_on: date | None = None
    tag: str = ""                        # short label: alert title, "High → Critical", "−18"


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    title: str
    items: tuple[Item, ...]
    more: int = 0                        # items beyond the group limit
    more_url: str = ""

    @property
    def total(self) -> int:
        return len(self.items) + self.more


def group(key: str, title: str, items, *, limit: int, more_url: str) -> Group:
    items = list(items)
    return Group(key, title, tuple(items[:limit]), max(0, len(items) - limit), more_url)


@dataclass(frozen=True, slots=True)
class MetricLine:
    metric: object                       # reports.metrics.Metric (value now, target)
    previous: float | None               # a week earlier
    trend: tuple[float | None, ...]      # oldest first, ends with now

    @property
    def change(self) -> float | None:
        if self.metric.value is None or self.previous is None:
            return None
        return self.metric.value - self.previous

    @property
    def change_text(self) -> str:
        change = self.change
        if change is None:
            return "no change data"
        if round(change, 1) == 0:
            return "no change"
        unit = "%" if self.metric.unit == "%" else f" {self.metric.unit}"
        unit = " pts" if unit == "%" else unit
        return f"{'▲' if change > 0 else '▼'} {abs(change):.1f}".removesuffix(".0") + unit

    @property
    def improved(self) -> bool | None:
        change = self.change
        if change is None or round(change, 1) == 0:
            return None
        return change > 0 if self.metric.above else change < 0

    @property
    def sparkline(self) -> str:
        """The text trend on the metric's scale (from zero, its target included: a 60 % → 50 % week is a
        step down, not the bottom of the chart), as the portfolio page draws it."""
        low, high = metric_scale(self.trend, target=self.metric.target, percent=self.metric.unit == "%")
        return sparkline(self.trend, low=low, high=high)


@dataclass(frozen=True)
class Digest:
    recipient: str
    scope_label: str
    week: date
    accounts: int
    groups: tuple[Group, ...]
    metrics: tuple[MetricLine, ...]
    links: dict = field(default_factory=dict)     # portfolio, preferences, unsubscribe

    @property
    def first_day(self) -> date:
        return period(self.week)[0]

    @property
    def as_of(self) -> date:
        return period(self.week)[1]

    @property
    def all_clear(self) -> bool:
        return not any(g.total for g in self.groups)

    @property
    def exceptions(self) -> int:
        return sum(g.total for g in self.groups)


# --- groups from plain rows -----------------------------------------------------------------------------

def risk_crossings(now: dict, then: dict, *, url) -> list[Item]:
    """Accounts High/Critical now that were not a week before (or were not scored then).
    ``now``/``then``: ``{account_id: (name, score, level, risk, reason)}``; worst risk first."""
    items = []
    for account_id, (name, score, level, risk, reason) in now.items():
        before = then.get(account_id)
        if risk not in HIGH_RISKS or (before is not None and before[3] in HIGH_RISKS):
            continue
        was = f"{before[3]} ({before[2]}, {before[1]})" if before else "not scored"
        items.append(Item(account_id, name, f"{was} → {risk} ({level}, {score}): {reason}", url(account_id),
                          tag=f"→ {risk}"))
    return sorted(items, key=lambda i: (not i.tag.endswith("Critical"), i.account_name.casefold()))


def renewals_at_risk(now: dict, renewals: dict, *, week: date, url) -> list[Item]:
    """The contracts renewing from ``week`` on (``renewals``: ``{account_id: (renewal date, ARR text)}``) of
    the accounts at High or Critical risk now (``now``: as in ``risk_crossings``); soonest first, the renewal
    date as the item's due date."""
    items = []
    for account_id, (day, arr) in renewals.items():
        row = now.get(account_id)
        if row is None or row[3] not in HIGH_RISKS:
            continue
        name, score, level, risk, _ = row
        stake = f"; ARR {arr}" if arr else ""
        items.append(Item(account_id, name, f"renews in {(day - week).days} days{stake}; "
                                            f"executive engagement {level} ({score}), {risk} risk", url(account_id),
                          due_on=day, tag=f"{risk} risk"))
    return sorted(items, key=lambda i: (i.due_on, i.account_name.casefold()))


@dataclass(frozen=True, slots=True)
class ContactScore:
    account_id: int
    account_name: str
    name: str
    score: int
    factors: dict                        # key -> (label, score, note)


def _moved_factor(before: ContactScore, after: ContactScore) -> str:
    deltas = []
    for key, (label, score, note) in after.factors.items():
        old = before.factors.get(key)
        if old is not None and old[1] != score:
            deltas.append((abs(score - old[1]), label, old[1], score, note))
    if not deltas:
        return "no single factor moved"
    _, label, old, new, note = max(deltas, key=lambda d: d[0])
    return f"{label} {old} → {new} ({note})"


def movers(now: dict, then: dict, *, count: int, min_points: int, url) -> tuple[list[Item], list[Item]]:
    """The ``count`` biggest drops and rises (at least ``min_points``) of executives scored both weeks.
    ``now``/``then``: ``{contact_id: ContactScore}``."""
    moves = []
    for contact_id, after in now.items():
        before = then.get(contact_id)
        if before is None or abs(after.score - before.score) < min_points:
            continue
        delta = after.score - before.score
        text = f"{after.name}: {before.score} → {after.score} ({delta:+d}); {_moved_factor(before, after)}"
        moves.append((delta, Item(after.account_id, after.account_name, text, url(after.account_id),
                                  tag=f"{delta:+d}")))
    drops = [i for d, i in sorted(moves, key=lambda m: (m[0], m[1].text)) if d < 0][:count]
    rises = [i for d, i in sorted(moves, key=lambda m: (-m[0], m[1].text)) if d > 0][:count]
    return drops, rises


# --- the trend ------------------------------------------------------------------------------------------

def sparkline(values, *, low: float | None = None, high: float | None = None) -> str:
    """``▁▃▅█`` scaled between ``low`` and ``high`` (by default the series' min and max); a gap (no data) is
    a space."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low = min(known) if low is None else low
    high = max(known) if high is None else high
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            share = (min(max(v, low), high) - low) / span if span > 0 else 1
            out.append(SPARKS[round(share * (len(SPARKS) - 1))])
    return "".join(out)


def bar_heights(values, *, height: int = 36, floor: float | None = None) -> list[int | None]:
    """Pixel heights of an HTML-table bar chart: scaled to the series' max (from ``floor``, default 0);
    at least 2 px for a value, None for a gap."""
    known = [v for v in values if v is not None]
    if not known:
        return [None for _ in values]
    low = 0.0 if floor is None else floor
    top = max(max(known), low)
    span = top - low
    return [None if v is None else max(2, round(height * ((v - low) / span if span else 1.0))) for v in values]
