"""The portfolio: one row per visible account, computed in bulk.

``load_portfolio(accounts, as_of=...)`` makes ONE ``load_account_facts`` call for all the accounts
(a fixed number of set-based queries, whatever the portfolio size) and then runs the pure rules
(``score_account``, ``evaluate_account``) per account in memory.  ``portfolio_row`` and
``filter_rows`` are pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from accounts.vocabulary import SEVERITIES, SEVERITIES_MOST_FIRST, TIER_LABELS
from reports.metrics import Metric, portfolio_metrics
from sponsors.config import rules_config
from sponsors.rules.config import DEFAULT_RULES, RulesConfig
from sponsors.rules.facts import AccountEngagement, AccountFacts
from sponsors.rules.guardrails import evaluate_account
from sponsors.rules.scoring import score_account
from sponsors.selectors.facts import load_account_facts


class RowLabels:
    """What a portfolio row shows beside its data (its tier's label, its findings by severity), shared by
    ``PortfolioRow`` and the portfolio page's ``Row``: both have ``tier`` and ``findings``."""

    __slots__ = ()

    @property
    def tier_label(self) -> str:
        return TIER_LABELS.get(self.tier, self.tier)

    @property
    def findings_total(self) -> int:
        return sum(self.findings.values())

    @property
    def findings_by_severity(self) -> tuple[tuple[str, int], ...]:
        return tuple((s, self.findings.get(s, 0)) for s in SEVERITIES_MOST_FIRST)


@dataclass(frozen=True, slots=True)
class PortfolioRow(RowLabels):
    account_id: int | str
    name: str
    tier: str
    score: int
    level: str
    risk: str
    days_since_exec_touch: int | None
    cadence_days: int
    cadence_overdue: bool
    primary_sponsor: str | None
    has_backup: bool
    findings: dict = field(default_factory=dict)     # severity -> count (all four keys)


@dataclass(frozen=True, slots=True)
class Portfolio:
    as_of: date
    rows: tuple[PortfolioRow, ...]
    pairs: tuple[tuple[AccountFacts, AccountEngagement], ...]   # aligned with rows
    config: RulesConfig = DEFAULT_RULES

    def metrics(self) -> tuple[Metric, ...]:
        return portfolio_metrics(self.pairs, as_of=self.as_of, config=self.config)

    def filtered(self, *, tier: str = "", level: str = "", q: str = "") -> Portfolio:
        keep = [i for i, r in enumerate(self.rows) if row_matches(r, tier=tier, level=level, q=q)]
        return Portfolio(self.as_of, tuple(self.rows[i] for i in keep), tuple(self.pairs[i] for i in keep),
                         self.config)


def portfolio_row(facts: AccountFacts, engagement: AccountEngagement, findings: Iterable, *,
                  as_of: date) -> PortfolioRow:
    gone = facts.departed_ids(as_of)
    primary = facts.primary_sponsor
    counts = Counter(f.severity for f in findings)
    cadence = engagement.cadence
    return PortfolioRow(
        account_id=facts.id, name=facts.name, tier=facts.tier, score=engagement.score, level=engagement.level,
        risk=engagement.risk, days_since_exec_touch=cadence.days_since, cadence_days=cadence.cadence_days,
        cadence_overdue=cadence.overdue,
        primary_sponsor=primary.name if primary is not None and primary.id not in gone else None,
        has_backup=any(c.id not in gone for c in facts.backup_sponsors),
        findings={s: counts.get(s, 0) for s in SEVERITIES},
    )


def row_matches(row: PortfolioRow, *, tier: str = "", level: str = "", q: str = "") -> bool:
    """Tier and level match exactly; ``q`` is a case-insensitive substring of the account name
    or of the primary sponsor's name."""
    if tier and row.tier != tier:
        return False
    if level and row.level != level:
        return False
    needle = " ".join(q.split()).casefold()
    if needle:
        haystack = f"{row.name} {row.primary_sponsor or ''}".casefold()
        return needle in haystack
    return True


def load_portfolio(accounts, *, as_of: date) -> Portfolio:
    """Rows for ``accounts`` (a queryset, e.g. ``accounts_visible_to(user)``), sorted by name."""
    config = rules_config()
    ids = list(accounts.values_list("pk", flat=True))
    facts_by_id = load_account_facts(ids, as_of=as_of, config=config) if ids else {}
    rows, pairs = [], []
    for facts in sorted(facts_by_id.values(), key=lambda f: (f.name.casefold(), f.id)):
        engagement = score_account(facts, as_of=as_of, config=config.scoring)
        findings = evaluate_account(facts, engagement, as_of=as_of, config=config)
        rows.append(portfolio_row(facts, engagement, findings, as_of=as_of))
        pairs.append((facts, engagement))
    return Portfolio(as_of, tuple(rows), tuple(pairs), config)
