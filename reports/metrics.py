"""The spec's portfolio metrics, as pure functions of the facts and scores of many accounts.

* **Exec Engagement Rate** (target > 80 %): % of accounts with at least one active
  Champion/Engaged executive.
* **Exec Touchpoint Cadence** (target < 45 days): mean over accounts of the average days between
  executive contacts in the scoring window, ``window_days / contacts``, where contacts = meetings +
  answered outreach of the account's active executives (each executive counts: a QBR with two
  executives is two executive contacts); an account without any counts the whole window.
* **QBR Exec Attendance** (target > 70 %): % of the QBRs held (all accounts, scoring window) with an
  executive present.
* **Sponsor Retention** (target > 85 %): % of the sponsors in place a year ago (in role for at least
  365 days, or since an unknown date) who are still active.  A contact with status departed, or with
  a confirmed departure change dated within the year, is lost; one whose confirmed departure is
  older than the year was not in place a year ago and is left out.
* **Multi-Thread Score** (target > 1.5): mean number of active Champion/Engaged executives per account.

A metric with no data (no accounts, no QBRs held, no sponsors a year ago) has value ``None`` and
``met`` ``None`` ("no data"), never a made-up number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from accounts.vocabulary import ENGAGED_LEVELS
from sponsors.rules.config import RulesConfig
from sponsors.rules.facts import AccountEngagement, AccountFacts

DEFAULT_RULES = RulesConfig()


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str
    description: str
    value: float | None
    unit: str                  # "%", "days", "execs"
    target: float
    above: bool                # True: met when value > target; False: met when value < target

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value > self.target if self.above else self.value < self.target

    @property
    def target_text(self) -> str:
        return f"{'>' if self.above else '<'}{_num(self.target)}{_unit(self.unit)}"

    @property
    def value_text(self) -> str:
        if self.value is None:
            return "no data"
        number = _num(self.value)
        return f"{number}{_unit(self.unit.removesuffix('s') if number == '1' else self.unit)}"      # 1 exec, 1 day


def _num(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def _unit(unit: str) -> str:
    return "%" if unit == "%" else f" {unit}"


def _pct(part: float, whole: float) -> float | None:
    return None if whole <= 0 else 100.0 * part / whole


def engaged_executives(facts: AccountFacts, engagement: AccountEngagement, *, as_of: date) -> int:
    """Active executives of the account whose level is Champion or Engaged."""
    gone = facts.departures(as_of)
    execs = {c.id for c in facts.contacts if c.is_executive and c.id not in gone}
    return sum(1 for b in engagement.sponsors if b.contact_id in execs and b.level in ENGAGED_LEVELS)


def exec_engagement_rate(pairs: Sequence[tuple[AccountFacts, AccountEngagement]], *, as_of: date) -> float | None:
    with_engaged = sum(1 for f, e in pairs if engaged_executives(f, e, as_of=as_of) > 0)
    return _pct(with_engaged, len(pairs))


def exec_contacts(facts: AccountFacts, *, as_of: date) -> int:
    """Executive contacts in the scoring window: meetings + answered outreach per active executive."""
    gone = facts.departures(as_of)
    total = 0
    for c in facts.contacts:
        if c.is_executive and c.id not in gone:
            a = facts.activity.get(c.id)
            if a is not None:
                total += a.meetings + a.answered
    return total


def touchpoint_cadence_days(facts_list: Sequence[AccountFacts], *, as_of: date,
                            window_days: int = DEFAULT_RULES.scoring.window_days) -> float | None:
    if not facts_list:
        return None
    intervals = []
    for f in facts_list:
        n = exec_contacts(f, as_of=as_of)
        intervals.append(window_days / n if n else float(window_days))
    return sum(intervals) / len(intervals)


def qbr_exec_attendance(facts_list: Iterable[AccountFacts]) -> float | None:
    held = with_exec = 0
    for f in facts_list:
        held += f.qbrs_held
        with_exec += min(f.qbrs_with_exec, f.qbrs_held)
    return _pct(with_exec, held)


def sponsor_retention(facts_list: Iterable[AccountFacts], *, as_of: date,
                      days: int = DEFAULT_RULES.metrics.retention_days) -> float | None:
    year_ago = as_of - timedelta(days=days)
    base = retained = 0
    for f in facts_list:
        gone = f.departures(as_of)
        for c in f.contacts:
            if not c.is_sponsor:
                continue
            if c.in_role_since is not None and c.in_role_since > year_ago:
                continue                                # not a sponsor yet a year ago
            left_on = gone.get(c.id)
            if left_on is not None and left_on < year_ago:
                continue                                # already gone a year ago
            base += 1
            if c.id not in gone:
                retained += 1
    return _pct(retained, base)


def multi_thread_score(pairs: Sequence[tuple[AccountFacts, AccountEngagement]], *, as_of: date) -> float | None:
    if not pairs:
        return None
    return sum(engaged_executives(f, e, as_of=as_of) for f, e in pairs) / len(pairs)


def portfolio_metrics(pairs: Sequence[tuple[AccountFacts, AccountEngagement]], *, as_of: date,
                      config: RulesConfig = DEFAULT_RULES) -> tuple[Metric, ...]:
    """The five spec metrics for ``pairs`` of (facts, engagement), in the spec's order; targets from
    ``MetricsConfig``, the window is the scoring window."""
    pairs = list(pairs)
    facts_list = [f for f, _ in pairs]
    target = config.metrics.targets
    return (
        Metric("exec_engagement_rate", "Exec Engagement Rate", "% of accounts with an engaged exec",
               exec_engagement_rate(pairs, as_of=as_of), "%", target["exec_engagement_rate"], True),
        Metric("exec_touchpoint_cadence", "Exec Touchpoint Cadence", "Avg days between exec contacts",
               touchpoint_cadence_days(facts_list, as_of=as_of, window_days=config.scoring.window_days), "days",
               target["exec_touchpoint_cadence"], False),
        Metric("qbr_exec_attendance", "QBR Exec Attendance", "% of QBRs with exec present",
               qbr_exec_attendance(facts_list), "%", target["qbr_exec_attendance"], True),
        Metric("sponsor_retention", "Sponsor Retention", "% of sponsors retained YoY",
               sponsor_retention(facts_list, as_of=as_of, days=config.metrics.retention_days), "%",
               target["sponsor_retention"], True),
        Metric("multi_thread_score", "Multi-Thread Score", "Avg execs engaged per account",
               multi_thread_score(pairs, as_of=as_of), "execs", target["multi_thread_score"], True),
    )
