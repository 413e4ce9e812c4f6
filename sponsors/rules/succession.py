"""A sponsor departure's escalation text: its message and the first steps of a succession plan,
rendered from the departure's data and its due date.

An escalation's due date is fixed when its alert opens; re-evaluating the next day renders the same
text for the stored date (``sponsors.services.alerts`` calls ``with_due_on`` with ``Alert.due_on``),
so nothing rewrites dates inside text.  Pure: no Django, no clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from accounts.vocabulary import TIER_LABELS

from .facts import Finding


def with_due_on(finding: Finding, due_on: date, *, account_name: str | None = None) -> Finding:
    """``finding`` with its due date set and its message and succession steps rendered for that date.

    An escalation's due date is fixed when its alert opens: re-evaluating the next day renders the same
    text with the stored date (``sponsors.services.alerts`` calls this with ``Alert.due_on``)."""
    if finding.code != "sponsor_departed":
        return replace(finding, due_on=due_on)
    d = dict(finding.details)
    account = account_name if account_name is not None else d.get("account_name", "the account")
    d["account_name"] = account
    d["due_on"] = due_on.isoformat()
    d["succession_steps"] = succession_steps(d, due_on=due_on)
    if d["sponsor_role"] == "primary":
        backups = d["backup_sponsors"]
        cover = f"backup sponsor: {', '.join(backups)}" if backups else "no backup sponsor"
    else:
        primaries = d["primary_sponsors"]
        cover = f"primary sponsor: {', '.join(primaries)}" if primaries else "no primary sponsor"
    message = (f"{d['sponsor_role'].capitalize()} sponsor {d['contact_name']} has left {account} "
               f"({d['evidence']}); respond by {due_on.isoformat()}; {cover}")
    return replace(finding, message=message, details=d, due_on=due_on)


def succession_steps(details: dict, *, due_on: date) -> list[str]:
    """The first steps of a succession plan, in order (the escalation e-mail lists them), from the
    departure's data and its due date: the touchpoint is due one cadence after the alert opened."""
    name, due = details["contact_name"], due_on.isoformat()
    cadence = details["cadence_days"]
    opened_on = due_on - timedelta(days=details["response_days"])
    touch_by = (opened_on + timedelta(days=cadence)).isoformat()
    steps = [f"Confirm {name}'s departure (last day, successor) with the account team by {due}"]
    if details["sponsor_role"] == "primary":
        if details["backup_sponsors"]:
            backup = details["backup_sponsors"][0]
            steps += [
                f"Brief backup sponsor {backup} and meet them by {due}",
                f"Propose {backup} as the new primary sponsor",
                "Identify a new backup sponsor with the account team",
            ]
        else:
            steps.append("Identify a new executive sponsor with the account team (no backup sponsor on record)")
    else:
        if details["primary_sponsors"]:
            steps.append(f"Tell primary sponsor {details['primary_sponsors'][0]} and ask whom they suggest as backup")
        steps.append("Identify a new backup sponsor with the account team")
    steps += [
        f"Plan outreach to {name}'s successor",
        (f"Schedule an executive touchpoint within the {TIER_LABELS[details['tier']]} cadence "
         f"({cadence} days, by {touch_by})"),
    ]
    return steps
