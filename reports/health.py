"""Pure wording rules of the report: strengths, concerns, org-change impact, timeline outcomes.

Plain data in, plain strings out; no ORM, no clock.  The builder (``reports.builder``) feeds
these with the facts, the scores and the guardrail findings; tests call them directly.

Strengths (each listed when its evidence is there, in this order, about the primary sponsor
unless said otherwise):

* ``Attended a/b QBRs`` -- attended at least ``qbr_strength_share`` (75 %) of the QBRs held;
* ``Met N times in the last 12 months (target T)`` -- executive meetings at or above target;
* ``Replies within X days on average`` -- average reply at most ``fast_reply_days`` (3);
* ``N referral/advocacy signal(s) in the last 12 months``;
* ``Last executive touch N days ago, within the D-day cadence`` -- account cadence on time;
* ``High alignment on h/n initiatives`` -- at least half the mapped initiatives are High;
* ``Backup sponsor NAME is LEVEL`` -- an active backup who is Champion/Engaged;
* ``N engaged executives (multi-threaded)`` -- at least two active Champion/Engaged executives.

Concerns are the guardrail findings, one each: the code's title (``alert_codes.title``) and the
finding's message.  The thresholds are ``ReportConfig`` (``EXEC_SPONSOR_REPORT``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from accounts.vocabulary import AT_RISK_LEVELS, ORG_CHANGE_SOURCE_LABELS
from reports.report import Concern, OrgChangeNote
from sponsors.rules import alert_codes
from sponsors.rules.config import ReportConfig
from sponsors.rules.facts import CadenceStatus, ContactFact, OrgChangeFact, SponsorActivity

DEFAULT_REPORT = ReportConfig()


PREFERENCE_LABELS = {"in_person": "In person", "video": "Video call", "email": "Email", "phone": "Phone"}
# How a recommendation says "book ... via {channel}".
PREFERENCE_CHANNELS = {"in_person": "an in-person meeting", "video": "a video call", "email": "email",
                       "phone": "a phone call"}


# The impact assessment of an org change, by kind.  ``{who}`` is the contact ("Jane Roe (CFO)")
# or "the account" when the change names nobody.
IMPACT_BY_KIND = {
    "departure": "Relationship with {who} ends: re-map the executive team and confirm who owns the partnership",
    "promotion": "More influence for {who}: re-brief on goals and value; a sponsor candidate",
    "role_change": "Priorities of {who} may move with the role: review the strategic alignment",
    "new_executive": "Opportunity: introduce ourselves to {who} and learn their priorities",
    "reorg": "Reporting lines and budgets may move: re-map sponsors and decision makers",
    "acquisition": "New owners may re-decide vendors: secure executive sponsorship on both sides",
    "layoffs": "Budget pressure and renewal risk: reinforce the value delivered",
}
SPONSOR_DEPARTURE_IMPACT = ("Sponsor continuity at risk: escalate, secure the relationship through the backup "
                            "or another executive, and name a successor this week")
PENDING_PREFIX = "If confirmed: "


def fmt_days(value: float) -> str:
    """``1.2``, ``3`` (one decimal, no trailing ``.0``)."""
    return f"{value:.1f}".removesuffix(".0")


def money_text(amount, currency: str = "") -> str:
    """``1234567.5, "USD"`` -> ``USD 1,234,568``; empty for no amount."""
    if amount is None or amount == "":
        return ""
    text = f"{Decimal(amount):,.0f}"
    return f"{currency} {text}" if currency else text


def renewal_urgent(days: int | None, risk: str | None, *, urgent_days: int) -> bool:
    """A renewal ``days`` away (None: no renewal date) is urgent within ``urgent_days`` at High or Critical risk:
    what the report's "meet them before the renewal" action and the digest's "Renewals at risk" are about."""
    return days is not None and 0 <= days <= urgent_days and risk in AT_RISK_LEVELS


def renewal_objective(*, sponsor: str | None, arr, currency: str, risk: str | None) -> str:
    """What the contract's renewal on the calendar asks: whom to have met by then, what is at stake, and the
    engagement's risk when it is High or Critical."""
    text = f"Confirm the renewal with {sponsor or 'an executive sponsor (none is named)'} before this date"
    if arr is not None:
        text += f"; ARR {money_text(arr, currency)}"
    if risk in AT_RISK_LEVELS:
        text += f"; executive engagement at {risk} risk"
    return text


def preference_label(value: str) -> str:
    return PREFERENCE_LABELS.get(value, value.replace("_", " ").capitalize() if value else "")


def preference_channel(value: str) -> str:
    return PREFERENCE_CHANNELS.get(value, value.replace("_", " ") if value else "")


def window_words(days: int) -> str:
    """The scoring window in words: ``"the last 12 months"`` for 365 days, else ``"the last N days"``."""
    return "the last 12 months" if days in (365, 366) else f"the last {days} days"


def strengths(
    *,
    activity: SponsorActivity | None,
    qbrs_held: int,
    meeting_target: int | None,
    average_reply_days: float | None,
    cadence: CadenceStatus | None,
    alignment_levels: Iterable[str] = (),
    engaged_backups: Iterable[tuple[str, str]] = (),
    engaged_executives: int = 0,
    config: ReportConfig = DEFAULT_REPORT,
    window_days: int = 365,
) -> tuple[str, ...]:
    """The strengths of the relationship (see the module docstring for each rule).

    ``activity``/``average_reply_days`` are the primary sponsor's (None without one);
    ``engaged_backups`` are ``(name, level)`` of active backups that are Champion/Engaged.
    """
    out: list[str] = []
    if activity is not None:
        if qbrs_held > 0 and activity.qbrs_attended >= config.qbr_strength_share * qbrs_held:
            out.append(f"Attended {min(activity.qbrs_attended, qbrs_held)}/{qbrs_held} QBRs")
        if meeting_target and activity.meetings >= meeting_target:
            out.append(f"Met {activity.meetings} times in {window_words(window_days)} (target {meeting_target})")
        if average_reply_days is not None and average_reply_days <= config.fast_reply_days:
            out.append(f"Replies within {fmt_days(average_reply_days)} days on average")
        if activity.advocacy_signals > 0:
            n = activity.advocacy_signals
            out.append(f"{n} referral/advocacy signal{'s' if n != 1 else ''} in {window_words(window_days)}")
    if cadence is not None and cadence.days_since is not None and not cadence.overdue:
        out.append(f"Last executive touch {cadence.days_since} days ago, within the "
                   f"{cadence.cadence_days}-day cadence")
    levels = [str(x).lower() for x in alignment_levels]
    high = levels.count("high")
    if levels and high * 2 >= len(levels):
        out.append(f"High alignment on {high}/{len(levels)} initiatives")
    for name, level in engaged_backups:
        out.append(f"Backup sponsor {name} is {level}")
    if engaged_executives >= 2:
        out.append(f"{engaged_executives} engaged executives (multi-threaded)")
    return tuple(out)


def overall_note(*, level: str, score: int, has_active_sponsor: bool) -> str:
    """Why an account is Unknown although it has a score: ``"no active executive sponsor identified;
    15/100 from other executives"``; ``""`` for every other level (the score's band says it)."""
    if level != "Unknown":
        return ""
    if not has_active_sponsor:
        return "no active executive sponsor identified" + (f"; {score}/100 from other executives" if score else "")
    return "no interactions recorded with the account's active executives"


def concerns(findings: Iterable) -> tuple[Concern, ...]:
    """One concern per guardrail finding, in the findings' order (most severe first)."""
    return tuple(
        Concern(title=alert_codes.title(f.code), details=f.message)
        for f in findings
    )


def _who(contact: ContactFact | None) -> str:
    if contact is None:
        return "the account"
    return f"{contact.name} ({contact.title})" if contact.title else contact.name


def org_change_note(change: OrgChangeFact, contact: ContactFact | None) -> OrgChangeNote:
    """``"<headline> (LinkedIn, 2026-11-23)"`` with its impact by kind; a pending change says
    "awaiting confirmation" and its impact starts with "If confirmed: "."""
    what = change.headline.strip() if change.headline else ""
    if not what:
        what = change.kind.replace("_", " ").capitalize()
        if contact is not None:
            what += f" of {_who(contact)}"
    source = ORG_CHANGE_SOURCE_LABELS.get(change.source, change.source)
    text = f"{what} ({source}, {change.occurred_on.isoformat()}"
    if change.state == "pending":
        text += f", confidence {change.confidence:.0%}, awaiting confirmation"
    text += ")"
    if change.kind == "departure" and contact is not None and contact.sponsor in ("primary", "backup"):
        impact = SPONSOR_DEPARTURE_IMPACT
    else:
        impact = IMPACT_BY_KIND.get(change.kind, "Review the change with the account team").format(who=_who(contact))
    if change.state == "pending":
        impact = PENDING_PREFIX + impact[0].lower() + impact[1:]
    return OrgChangeNote(change=text, impact=impact)


def recent_org_changes(
    changes: Iterable[OrgChangeFact], contacts: Iterable[ContactFact], *, as_of: date, days: int = 90
) -> tuple[OrgChangeNote, ...]:
    """Confirmed and pending changes of the last ``days`` days (up to ``as_of``), newest first."""
    by_id = {c.id: c for c in contacts}
    recent = [
        ch for ch in changes
        if ch.state in ("confirmed", "pending") and 0 <= (as_of - ch.occurred_on).days <= days
    ]
    recent.sort(key=lambda ch: (ch.occurred_on, str(ch.id)), reverse=True)
    return tuple(org_change_note(ch, by_id.get(ch.contact_id)) for ch in recent)


def timeline_outcome(*, direction: str, outcome: str, reply_days: float | None) -> str:
    """The recorded outcome; for our outbound without one, whether and how fast they replied
    (``reply_days``: days from our message to their reply, None when unanswered)."""
    if outcome.strip():
        return outcome.strip()
    if direction == "outbound":
        if reply_days is None:
            return "No reply"
        if reply_days < 1:
            return "Replied within a day"
        return f"Replied after {fmt_days(reply_days)} days"
    return ""


# The objective of a touchpoint the cadence calls for, by event.
DUE_OBJECTIVES = {
    "qbr": "Review value delivered against their priorities",
    "business_review": "Review value delivered against their priorities",
    "one_on_one": "Executive 1:1 on their priorities and the partnership",
    "strategic_checkin": "Strategic check-in on their priorities",
}


def due_objective(event: str, reason: str, priorities: Iterable[str] = ()) -> str:
    """``"Review value delivered against their priorities (Cost reduction; Revenue growth) — <reason>"``."""
    base = DUE_OBJECTIVES.get(event, "Executive touchpoint")
    prios = [p for p in priorities if p]
    if prios:
        base += f" ({'; '.join(prios)})"
    return f"{base} — {reason}" if reason else base
