"""THE registry of alert codes: each code declared once with its human title, its severity rule, when it
fires, whether it escalates, and the recommended actions it calls for.

Pages, e-mails and the report's Concerns show ``title(code)`` (users never see a raw code); the report's
recommendations are built from ``actions``; the report JSON schema's ``alert_code`` enum is filled
in from ``ALERT_CODES`` when the schema is loaded, and the README's alert table is the output of
``manage.py rules_settings --alert-codes`` (a test keeps them equal); the rule that raises each code
is registered with ``@guardrail(code)`` in ``sponsors/rules/guardrails.py``.  Adding a guardrail is one rule function
plus one entry here (tests check that every entry has a rule and every rule an entry).

Action templates are ``str.format`` strings over the placeholders listed in
``reports/recommendations.py`` (``{sponsor}``, ``{channel}``, ``{message}`` …).  ``rank`` orders the
actions within a horizon (context rules of the report slot in between by their own rank).

Pure data: no Django, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.vocabulary import HORIZONS, SEVERITIES

IMMEDIATE, SHORT_TERM, STRATEGIC = HORIZONS


@dataclass(frozen=True, slots=True)
class Action:
    """A recommended action a code (or a report context rule) calls for."""

    horizon: str                    # immediate | short_term | strategic
    rank: int                       # order within the horizon
    action: str                     # template
    reason: str                     # template
    unless: tuple[str, ...] = ()    # keys that suppress this action when they fire too


@dataclass(frozen=True, slots=True)
class AlertCode:
    code: str
    title: str                      # what users see instead of the code
    severity: str                   # the usual severity (the rule may raise or lower it, see severity_rule)
    severity_rule: str              # how the severity is decided, in words
    when: str                       # when it fires, in words (README, JSON schema)
    escalates: bool = False         # an e-mail goes out at once when it opens
    actions: tuple[Action, ...] = ()

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.code}: unknown severity {self.severity!r}")
        for a in self.actions:
            if a.horizon not in HORIZONS:
                raise ValueError(f"{self.code}: unknown horizon {a.horizon!r}")


# fmt: off
_ENTRIES = (
    AlertCode(
        "no_sponsor", "No executive sponsor", "critical", "critical",
        "No active executive sponsor is identified for the account.",
        actions=(
            Action(IMMEDIATE, 10, "Identify an executive sponsor for {account} this week",
                   "No active executive sponsor is identified; without one there is no executive voice "
                   "for the partnership (risk Critical)"),
        )),
    AlertCode(
        "sponsor_departed", "Sponsor departed", "critical", "critical; escalated by e-mail at once",
        "The primary or a backup sponsor left (a confirmed departure org change, or CRM status departed).",
        escalates=True,
        actions=(
            Action(IMMEDIATE, 20, "Meet {backup} this week to secure continuity",
                   "Sponsor departure must be escalated at once: {message}",
                   unless=("no_executive_left",)),
            Action(SHORT_TERM, 10, "Brief the new sponsor on goals, value delivered and open initiatives",
                   "A new sponsor needs the partnership's context to champion it"),
        )),
    AlertCode(
        "no_exec_contact_90d", "No executive contact in 90 days", "high", "high",
        "Enterprise account with no executive interaction for more than the limit (90 days).",
        actions=(
            Action(IMMEDIATE, 40, "Book the next 1:1 with {sponsor} via {channel}",
                   "No executive contact in the last {no_contact_days} days on an Enterprise account",
                   unless=("no_sponsor",)),
        )),
    AlertCode(
        "cadence_overdue", "Executive cadence overdue", "medium", "medium; high beyond twice the cadence",
        "Days since the last executive touchpoint exceed the tier cadence.",
        actions=(
            Action(IMMEDIATE, 50, "Book the next 1:1 with {sponsor} via {channel}",
                   "The {cadence} executive cadence is overdue: {message}",
                   unless=("no_sponsor",)),
        )),
    AlertCode(
        "no_backup_sponsor", "No backup sponsor", "medium", "medium",
        "The account has a sponsor but no active backup sponsor (one with no sponsor at all has no_sponsor).",
        actions=(
            Action(SHORT_TERM, 50, "Name a backup sponsor next to {sponsor}",
                   "Every account needs a backup sponsor so one departure cannot leave it without "
                   "an executive relationship"),
        )),
    AlertCode(
        "sponsor_disengaged", "Sponsor disengaging", "high", "high",
        "The primary sponsor is Disengaged, or their score fell by 15 points or more in 30 days.",
        actions=(
            Action(SHORT_TERM, 20, "Run a re-engagement plan with {sponsor}: a value review tied to their "
                   "priorities, then a standing 1:1",
                   "Executive engagement is slipping: {message}",
                   unless=("no_sponsor",)),
        )),
    AlertCode(
        "single_threaded", "Single-threaded", "low", "low",
        "Fewer than two engaged (Champion or Engaged) executives.",
        actions=(
            Action(STRATEGIC, 10, "Multi-thread: build a relationship with a second executive",
                   "Fewer than {min_engaged} engaged executives; the target is more than "
                   "{multi_thread_target} per account"),
        )),
    AlertCode(
        "operational_exec_contact", "Operational contact with an executive", "medium", "medium",
        "An outbound operational interaction went to an executive (executives are never contacted for "
        "operational issues).",
        actions=(
            Action(IMMEDIATE, 30, "Route operational issues to the operational contacts, not to executives",
                   "Executives are never contacted for operational issues: {message}"),
        )),
    AlertCode(
        "org_change", "Organizational change", "medium",
        "by kind: departure of a non-sponsor executive, reorg, acquisition high; promotion, role change, "
        "layoffs medium; new executive low; one step lower below the certain confidence (0.9), unless a "
        "person confirmed it on review",
        "Another confirmed org change about the account or its executives in the last 90 days.",
        actions=(
            Action(SHORT_TERM, 60, "Review the org change with the account team and update the sponsor map",
                   "{message}"),
        )),
)
# fmt: on

ALERT_CODES: dict[str, AlertCode] = {entry.code: entry for entry in _ENTRIES}
CODES: tuple[str, ...] = tuple(ALERT_CODES)


def alert_code(code: str) -> AlertCode:
    try:
        return ALERT_CODES[code]
    except KeyError:
        raise ValueError(f"unknown alert code {code!r} (codes: {', '.join(CODES)})") from None


def title(code: str) -> str:
    """The human title of ``code`` ("No backup sponsor"); an unknown code reads as words, never raw."""
    entry = ALERT_CODES.get(code)
    return entry.title if entry else code.replace("_", " ").capitalize()


def escalates(code: str) -> bool:
    return alert_code(code).escalates
