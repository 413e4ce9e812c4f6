"""Who owns which contact field across CRM syncs.

The tracker owns the decisions people make in it — a contact's sponsor role, a departure confirmed here,
a title confirmed from an org change; the CRM owns what it reports.  For those fields (``OWNED_FIELDS``)
each contact keeps the last value its source sent (``Contact.crm_values``), and a sync decides field by
field:

* the CRM sends the value it sent last time → the stored value stays, whether it came from the CRM or
  from a person in the tracker (re-importing an unchanged export changes nothing);
* the CRM sends a value it did not send last time → the CRM's new value wins; when it replaces a
  decision made in the tracker (the stored value was not the CRM's last), that is an *override*: it is
  in the audit trail and the account's CSM is told.

A contact synced before ``crm_values`` existed has no last values: its stored values count as the
CRM's.  Pure functions of plain values, so the rule is tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OWNED_FIELDS = ("sponsor", "status", "title")


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored contact as the rule sees it: its owned values now and the CRM's last values."""

    pk: int
    values: dict                        # field -> the stored value
    crm_values: dict                    # field -> what the CRM sent last (may miss fields)
    executive: bool = True
    departed: bool = False


@dataclass(frozen=True, slots=True)
class Override:
    """A decision made in the tracker that the CRM's new value replaces."""

    contact_pk: int
    field: str
    local: str                          # the value decided in the tracker
    crm_before: str                     # what the CRM had sent before
    crm_now: str                        # what it sends now (and what is stored from now on)


@dataclass(slots=True)
class Resolution:
    values: dict                        # field -> the value to store
    crm_values: dict                    # field -> the CRM's value, to remember
    crm_changed: list = field(default_factory=list)    # fields whose value the CRM changed
    overrides: list = field(default_factory=list)      # Override


def resolve(incoming: dict, stored: Stored | None) -> Resolution:
    """The owned values to store for one contact, given what the CRM sends now (``incoming``)."""
    crm_values = {f: incoming[f] for f in OWNED_FIELDS}
    if stored is None:                                   # new to the tracker: the CRM's values
        return Resolution(values=dict(crm_values), crm_values=crm_values)
    out = Resolution(values={}, crm_values=crm_values)
    for f in OWNED_FIELDS:
        local = stored.values[f]
        last = stored.crm_values.get(f, local)           # before crm_values existed: the stored value
        if incoming[f] == last:
            out.values[f] = local                        # the CRM did not change it: keep what is stored
            continue
        out.values[f] = incoming[f]                      # the CRM changed it: the CRM wins
        out.crm_changed.append(f)
        if local != last:
            out.overrides.append(Override(stored.pk, f, local, last, incoming[f]))
    return out


def one_primary(resolved: dict, stored: dict, crm_set_primary: set) -> list:
    """Keep one primary per account: when the CRM newly names a primary while another contact keeps a
    primary decided in the tracker, the CRM's wins and the other becomes a backup (an active executive)
    or holds no role.  ``resolved``: {key: Resolution}; ``stored``: {key: Stored}; keys are
    (account, external id).  Returns the overrides this causes."""
    overrides = []
    by_account: dict = {}
    for key, res in resolved.items():
        if res.values["sponsor"] == "primary":
            by_account.setdefault(key[0], []).append(key)
    for keys in by_account.values():
        winners = [k for k in keys if k in crm_set_primary] or keys[:1]
        for key in keys:
            if key == winners[0]:
                continue
            before = stored.get(key)
            keeps_backup = before is not None and before.executive and not before.departed
            resolved[key].values["sponsor"] = "backup" if keeps_backup else ""
            if before is not None:
                overrides.append(Override(before.pk, "sponsor", "primary", before.crm_values.get("sponsor", ""),
                                          resolved[key].values["sponsor"]))
    return overrides
