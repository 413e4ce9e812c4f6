"""Portfolio metrics over time: the spec's five metrics of a scope as of any day, stored weekly.

A *scope* is a set of accounts: ``all``, a team's (``accounts_of_team``) or what a user may see
(``accounts_visible_to``: a manager's teams, a CSM's book; an admin's is ``all``).  ``compute`` loads the
facts of every account the scopes cover ONCE (``load_account_facts``, a fixed number of queries), scores
them (pure) and runs ``reports.metrics.portfolio_metrics`` on each scope's accounts in memory; ``store``
upserts one ``PortfolioMetricSnapshot`` per scope and day.  A trend of N weeks is one query
(``stored_series``); ``series`` computes (and stores) the days missing from it when asked to.

Weeks end on Sundays: the weekly job stores each scope as of the Sunday that just ended, the digest
sent on a Monday reads the Sundays before it.  Facts are as of the day (interactions up to it, org changes
dated up to it); a contact's CRM status is today's, the one thing the history cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Team, User
from accounts.selectors import accounts_of_team, accounts_visible_to
from reports.metrics import Metric, portfolio_metrics
from sponsors.config import rules_config
from sponsors.models import PortfolioMetricSnapshot
from sponsors.rules.config import METRIC_KEYS, RulesConfig
from sponsors.rules.scoring import score_account
from sponsors.selectors.facts import load_account_facts

ALL = "all"


@dataclass(frozen=True)
class Scope:
    key: str                    # "all" | "team:<id>" | "user:<id>"
    label: str
    team_id: int | None = None
    user_id: int | None = None
    accounts: object = None     # a queryset of Account (None: every account)

    def account_ids(self) -> list[int] | None:
        """The ids of the scope's accounts, or None for every account."""
        return None if self.accounts is None else list(self.accounts.values_list("pk", flat=True))


def scope_all() -> Scope:
    return Scope(ALL, "All accounts")


def scope_team(team: Team) -> Scope:
    return Scope(f"team:{team.pk}", f"Team {team.name}", team_id=team.pk, accounts=accounts_of_team(team))


def scope_user(user: User) -> Scope:
    """What ``user`` may see; an admin's is every account (the ``all`` scope)."""
    if user.is_admin:
        return scope_all()
    label = f"{user} ({'teams' if user.role == User.Role.MANAGER else 'book'})"
    return Scope(f"user:{user.pk}", label, user_id=user.pk, accounts=accounts_visible_to(user))


def week_end(day: date) -> date:
    """The Sunday that ended the week before ``day``'s week (``day`` itself if it is a Sunday)."""
    return day if day.weekday() == 6 else day - timedelta(days=day.weekday() + 1)


def weekly_days(as_of: date, weeks: int) -> list[date]:
    """``weeks`` days a week apart ending at ``as_of``, oldest first."""
    return [as_of - timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]


@dataclass(frozen=True)
class MetricPoint:
    """One scope's metrics as of one day (stored or just computed)."""

    as_of: date
    accounts: int
    values: dict                # metric key -> float | None

    def metrics(self, config: RulesConfig) -> tuple[Metric, ...]:
        """The five ``Metric``s (labels, units, targets of ``config``) with these values."""
        return tuple(replace(m, value=self.values.get(m.key)) for m in blank_metrics(config))


def blank_metrics(config: RulesConfig) -> tuple[Metric, ...]:
    """The five metrics with their labels, units and targets, and no values."""
    return portfolio_metrics((), as_of=date(2000, 1, 1), config=config)


def compute(scopes, *, as_of: date, config: RulesConfig | None = None) -> dict[str, MetricPoint]:
    """``{scope key: MetricPoint}`` for ``scopes`` as of ``as_of``: one facts load for all of them."""
    config = config or rules_config()
    wanted = {s.key: s.account_ids() for s in scopes}
    if any(ids is None for ids in wanted.values()):
        facts = load_account_facts(None, as_of=as_of, config=config)
    else:
        union = sorted(set().union(*wanted.values())) if wanted else []
        facts = load_account_facts(union, as_of=as_of, config=config) if union else {}
    pairs = {pk: (f, score_account(f, as_of=as_of, config=config.scoring)) for pk, f in facts.items()}
    out = {}
    for key, ids in wanted.items():
        chosen = list(pairs.values()) if ids is None else [pairs[i] for i in ids if i in pairs]
        metrics = portfolio_metrics(chosen, as_of=as_of, config=config)
        out[key] = MetricPoint(as_of, len(chosen), {m.key: m.value for m in metrics})
    return out


def store(scopes, points: dict[str, MetricPoint]) -> None:
    """Upsert one snapshot per scope and day (one statement)."""
    by_key = {s.key: s for s in scopes}
    rows = [PortfolioMetricSnapshot(scope=key, team_id=by_key[key].team_id, user_id=by_key[key].user_id,
                                    as_of=p.as_of, accounts=p.accounts, **{k: p.values.get(k) for k in METRIC_KEYS})
            for key, p in points.items()]
    PortfolioMetricSnapshot.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["scope", "as_of"],
        update_fields=["team", "user", "accounts", *METRIC_KEYS, "computed_at"])


def stored_series(scope_key: str, days: list[date]) -> dict[date, MetricPoint]:
    """The stored points of a scope on ``days``: one query."""
    rows = PortfolioMetricSnapshot.objects.filter(scope=scope_key, as_of__in=days).values(
        "as_of", "accounts", *METRIC_KEYS)
    return {r["as_of"]: MetricPoint(r["as_of"], r["accounts"], {k: r[k] for k in METRIC_KEYS}) for r in rows}


def series(scope: Scope, *, as_of: date, weeks: int, compute_missing: str = "latest", save: bool = True,
           config: RulesConfig | None = None) -> list[tuple[date, MetricPoint | None]]:
    """The scope's points on ``weeks`` days a week apart ending at ``as_of``, oldest first.

    ``compute_missing``: ``"all"`` computes (and, with ``save``, stores) every missing day (the command),
    ``"latest"`` only ``as_of`` (the digest: this week is always there, older gaps stay gaps), ``"none"``
    nothing."""
    days = weekly_days(as_of, weeks)
    found = stored_series(scope.key, days)
    todo = {"all": [d for d in days if d not in found], "latest": [as_of] if as_of not in found else [],
            "none": []}[compute_missing]
    for day in todo:
        point = compute([scope], as_of=day, config=config)[scope.key]
        if save:
            store([scope], {scope.key: point})
        found[day] = point
    return [(d, found.get(d)) for d in days]


def store_all_scopes(*, as_of: date | None = None, config: RulesConfig | None = None) -> dict:
    """The weekly job: every scope (all, each team, each active manager's and CSM's) as of ``as_of``
    (default: the Sunday that just ended), computed from one facts load and stored."""
    as_of = as_of or week_end(timezone.localdate())
    scopes = [scope_all(), *(scope_team(t) for t in Team.objects.order_by("pk"))]
    users = User.objects.filter(is_active=True, role__in=[User.Role.MANAGER, User.Role.CSM], is_superuser=False)
    scopes += [scope_user(u) for u in users.order_by("pk")]
    points = compute(scopes, as_of=as_of, config=config)
    store(scopes, points)
    return {"as_of": as_of.isoformat(), "scopes": len(points)}
