"""Planning (and logging) executive touchpoints, with guardrails 4 and 5 enforced here.

* Guardrail 4 — executives are never contacted for operational issues: planning or logging an
  outbound (or meeting) ``operational`` touchpoint with an executive raises a ``ValidationError``
  on the ``purpose`` field with ``rules.outreach.check_touchpoint``'s message.
* Guardrail 5 — executive outreach is coordinated: planning a touchpoint with an executive writes
  a ``touchpoint_planned`` e-mail to the account team (outbox, dedupe key
  ``touchpoint:<pk>:planned``), and outreach to the same executive planned by someone else within
  ``outreach_conflict_days`` (7) comes back as a conflict warning — in the e-mail too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import AccountTeamMember
from accounts.vocabulary import DIRECTIONS, INTERACTION_TYPES, PURPOSES

from ..audit import audited
from ..config import rules_config
from ..models import Contact, Interaction, InteractionParticipant, PlannedTouchpoint
from ..outbox.email import outbox_email, queue_outbox
from ..outbox.recipients import account_team_recipients
from ..rules import outreach

PLANNED_EMAIL = "touchpoint_planned"


@dataclass(frozen=True)
class OutreachConflict:
    contact_id: int
    contact_name: str
    message: str
    others: tuple = field(default_factory=tuple)       # outreach.PlannedOutreach

    def as_dict(self) -> dict:
        return {"contact_id": self.contact_id, "contact_name": self.contact_name, "message": self.message,
                "others": [{"touchpoint_id": o.id, "planner": o.planner, "planned_on": o.planned_on.isoformat()}
                           for o in self.others]}


def _check_choices(*, type, direction, purpose):
    for name, value, allowed in (("type", type, INTERACTION_TYPES), ("direction", direction, DIRECTIONS),
                                 ("purpose", purpose, PURPOSES)):
        if value not in allowed:
            raise ValidationError({name: f"Unknown {name} {value!r}; use one of {', '.join(allowed)}."})


def _check_contacts(account, contacts) -> list[Contact]:
    contacts = list(contacts)
    if not contacts:
        raise ValidationError({"contacts": "Name at least one contact."})
    strangers = [c for c in contacts if c.account_id != account.pk]
    if strangers:
        raise ValidationError({"contacts": f"{', '.join(c.name for c in strangers)} is not a contact of {account}."})
    return contacts


def check_team_attendees(account, users, *, already=()) -> list:
    """Who of our side took part: members of the account's team (or its owner); anyone else is refused on
    ``team_attendees``, by name.  ``already``: the ids a record names already, kept though they may have
    left the team since (a correction adds no stranger, and drops nobody for having moved on)."""
    users, already = list(users), set(already)
    added = [u for u in users if u.pk not in already]
    if not added:
        return users
    team = set(AccountTeamMember.objects.filter(account=account).values_list("user_id", flat=True))
    strangers = [u for u in added if u.pk not in team and u.pk != account.owner_id]
    if strangers:
        names = ", ".join(str(u) for u in strangers)
        raise ValidationError({"team_attendees": f"{names} {'is' if len(strangers) == 1 else 'are'} not on the "
                                                 f"account team of {account}: add them to the team first."})
    return users


def _refuse_operational(account, contacts, *, direction, purpose):
    """Guardrail 4: a ``ValidationError`` on ``purpose`` naming the executive and a better route."""
    route = (Contact.objects.filter(account=account, status=Contact.Status.ACTIVE, is_executive=False, sponsor="")
             .order_by("name").first())
    route_name = f"{route.name} ({route.title})" if route and route.title else (route.name if route else None)
    for contact in contacts:
        refusal = outreach.check_touchpoint(contact=contact.as_fact(), direction=direction, purpose=purpose,
                                              operational_contact=route_name)
        if refusal:
            raise ValidationError({"purpose": refusal})


def _is_exec(contact: Contact) -> bool:
    return contact.as_fact().is_executive or contact.as_fact().is_sponsor


def _planner(by) -> str:
    return (getattr(by, "email", "") or "").strip()


def outreach_conflicts_for(touchpoint: PlannedTouchpoint, executives, *, config=None) -> list[OutreachConflict]:
    """Other planners' outreach to these executives within the conflict window (one query)."""
    config = config or rules_config().guardrails
    if not executives:
        return []
    window = timedelta(days=config.outreach_conflict_days)
    rows = (PlannedTouchpoint.contacts.through.objects
            .filter(contact_id__in=[c.pk for c in executives],
                    plannedtouchpoint__status=PlannedTouchpoint.Status.PLANNED,
                    plannedtouchpoint__planned_on__range=(touchpoint.planned_on - window,
                                                          touchpoint.planned_on + window))
            .exclude(plannedtouchpoint_id=touchpoint.pk)
            .values_list("plannedtouchpoint_id", "contact_id", "plannedtouchpoint__planned_by__email",
                         "plannedtouchpoint__planned_on"))
    existing = [outreach.PlannedOutreach(id=tp, contact_id=cid, planner=email or "", planned_on=on)
                for tp, cid, email, on in rows]
    out = []
    for contact in executives:
        new = outreach.PlannedOutreach(id=touchpoint.pk, contact_id=contact.pk,
                                         planner=_planner(touchpoint.planned_by), planned_on=touchpoint.planned_on)
        found = outreach.outreach_conflicts(new, existing, config=config)
        if found:
            out.append(OutreachConflict(
                contact_id=contact.pk, contact_name=contact.name, others=tuple(found),
                message=outreach.conflict_message(new, found, contact_name=contact.name, config=config)))
    return out


@transaction.atomic
def touchpoint_plan(*, account, contacts, planned_on: date, type: str, direction: str = "meeting",
                    purpose: str = "strategic", objective: str = "", team_attendees=(),
                    by) -> tuple[PlannedTouchpoint, list]:
    """Put a touchpoint on the engagement calendar; returns ``(touchpoint, conflicts)``.

    Refused (``ValidationError`` naming the field, nothing written) for an operational touchpoint
    with an executive, a date in the past, unknown choices, contacts of another account or team attendees
    not on its account team.
    """
    _check_choices(type=type, direction=direction, purpose=purpose)
    if not isinstance(planned_on, date) or isinstance(planned_on, datetime):
        raise ValidationError({"planned_on": "Give the date as YYYY-MM-DD."})
    check_planned_on(planned_on)
    contacts = check_outreach(account, contacts, direction=direction, purpose=purpose)
    team_attendees = check_team_attendees(account, team_attendees)
    _refuse_duplicate(account, contacts, planned_on=planned_on, type=type, by=by)
    return _plan(account, contacts, planned_on=planned_on, type=type, direction=direction, purpose=purpose,
                 objective=objective, team_attendees=team_attendees, by=by)


def _refuse_duplicate(account, contacts, *, planned_on, type, by) -> None:
    """The same touchpoint planned twice by the same person (a form sent again): refused on ``planned_on``,
    naming the plan that stands, which they can cancel or keep."""
    wanted = {c.pk for c in contacts}
    same = (PlannedTouchpoint.objects.filter(account=account, planned_on=planned_on, type=type,
                                             status=PlannedTouchpoint.Status.PLANNED,
                                             planned_by_id=getattr(by, "pk", None))
            .prefetch_related("contacts"))
    for existing in same:
        if {c.pk for c in existing.contacts.all()} == wanted:
            names = ", ".join(sorted(c.name for c in existing.contacts.all()))
            raise ValidationError({"planned_on": f"You already planned this {existing.get_type_display()} with "
                                                 f"{names} on {planned_on.isoformat()}: it is in the planned list "
                                                 "(cancel it there, or pick another day)."})


def check_planned_on(planned_on: date) -> None:
    """A plan is for today or later."""
    today = timezone.localdate()
    if planned_on < today:
        raise ValidationError({"planned_on": f"{planned_on.isoformat()} is in the past (today is {today.isoformat()}): "
                                             "plan a touchpoint for today or later, or log one that happened "
                                             "as an interaction."})


def check_outreach(account, contacts, *, direction: str, purpose: str) -> list:
    """The checks a form runs before it saves a plan or a log (nothing written): contacts of the account,
    and no operational outreach to an executive.  Returns the contacts."""
    contacts = _check_contacts(account, contacts)
    _refuse_operational(account, contacts, direction=direction, purpose=purpose)
    return contacts


@transaction.atomic
def _plan(account, contacts, *, planned_on, type, direction, purpose, objective, team_attendees, by):
    touchpoint = PlannedTouchpoint.objects.create(
        account=account, planned_on=planned_on, type=type, direction=direction, purpose=purpose,
        objective=(objective or "")[:500], planned_by=by,
    )
    touchpoint.contacts.set(contacts)
    touchpoint.team_attendees.set(team_attendees)
    executives = [c for c in contacts if _is_exec(c)]
    conflicts = outreach_conflicts_for(touchpoint, executives)
    if executives:
        _notify_team(touchpoint, executives, conflicts, by=by)
    return touchpoint, conflicts


def _notify_team(touchpoint, executives, conflicts, *, by):
    """The account team hears of planned executive outreach (not the planner themself)."""
    planner = _planner(by).casefold()
    team = [p for p in account_team_recipients([touchpoint.account_id]).get(touchpoint.account_id, [])
            if p.email.casefold() != planner]
    if not team:
        return None
    ctx = {"touchpoint": touchpoint, "account": touchpoint.account, "executives": executives,
           "conflicts": conflicts, "planner": by, "planner_name": (by.get_full_name() or by.email) if by else ""}
    row = outbox_email(name=PLANNED_EMAIL, dedupe_key=f"touchpoint:{touchpoint.pk}:planned",
                       to=[p.formatted for p in team], ctx=ctx, account=touchpoint.account)
    row.save()
    queue_outbox([row])
    return row


@transaction.atomic
def interaction_log(*, account, contacts, occurred_at: datetime, type: str, direction: str,
                    purpose: str = "strategic", outcome: str = "", topics=(), responded_at=None,
                    team_attendees=(), by=None, source: str = "app", fulfils: PlannedTouchpoint | None = None
                    ) -> Interaction:
    """Log a touchpoint that happened; an outbound operational one with an executive is refused
    (imported history is not refused: it raises ``operational_exec_contact`` instead), and so are a
    time in the future and a reply before the message.  ``fulfils``: the planned touchpoint this one is
    (of the account, still planned), marked done with it — or neither is written."""
    _check_choices(type=type, direction=direction, purpose=purpose)
    contacts = _check_contacts(account, contacts)
    _refuse_operational(account, contacts, direction=direction, purpose=purpose)
    team_attendees = check_team_attendees(account, team_attendees)
    check_interaction_times(occurred_at, responded_at)
    if fulfils is not None:
        _fulfil(account, fulfils)
    interaction = Interaction(
        account=account, type=type, occurred_at=occurred_at, direction=direction, purpose=purpose,
        outcome=outcome, topics=list(topics), responded_at=responded_at, logged_by=_planner(by),
    )
    audited(interaction, by=by, source=source, reason="logged")
    interaction.save()
    InteractionParticipant.objects.bulk_create(
        [InteractionParticipant(interaction=interaction, contact=c) for c in contacts])
    if team_attendees:
        interaction.team_attendees.set(team_attendees)
    return interaction


# Logged times may run this far ahead of the server clock (a laptop's clock, a time zone slip).
CLOCK_SKEW = timedelta(minutes=5)


def check_interaction_times(occurred_at, responded_at) -> None:
    for name, value in (("occurred_at", occurred_at), ("responded_at", responded_at)):
        if value is not None and (not isinstance(value, datetime) or timezone.is_naive(value)):
            raise ValidationError({name: "Give a date and time with a time zone."})
    if occurred_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"occurred_at": "This is in the future: log what happened, and plan what is to come "
                                              "as a touchpoint."})
    if responded_at is not None and responded_at < occurred_at:
        raise ValidationError({"responded_at": "The reply cannot come before the message."})


# --- editing and deleting what someone logged in the app -----------------------------------------------

def check_may_change(interaction: Interaction, by) -> None:
    """Only what was logged in the app (not imported from the CRM, which owns its history) can be edited
    or deleted, by whoever logged it or an admin; else a ``ValidationError`` saying why."""
    if interaction.external_id:
        raise ValidationError({"interaction": "This interaction came from the CRM; change it there (the next "
                                              "import would put it back)."})
    is_admin = bool(getattr(by, "is_admin", False))
    if not is_admin and (interaction.logged_by or "").casefold() != _planner(by).casefold():
        who = interaction.logged_by or "someone else"
        raise ValidationError({"interaction": f"Logged by {who}: only they (or an admin) can change it."})


@transaction.atomic
def interaction_update(*, interaction: Interaction, contacts, occurred_at: datetime, type: str, direction: str,
                       purpose: str = "strategic", outcome: str = "", topics=(), responded_at=None,
                       team_attendees=(), by, source: str = "app") -> Interaction:
    """Correct an interaction logged in the app (the same rules as logging it), audited with who and why."""
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    check_may_change(interaction, by)
    _check_choices(type=type, direction=direction, purpose=purpose)
    account = interaction.account
    contacts = _check_contacts(account, contacts)
    _refuse_operational(account, contacts, direction=direction, purpose=purpose)
    team_attendees = check_team_attendees(account, team_attendees,
                                          already=interaction.team_attendees.values_list("pk", flat=True))
    check_interaction_times(occurred_at, responded_at)
    interaction.type, interaction.occurred_at, interaction.direction = type, occurred_at, direction
    interaction.purpose, interaction.outcome, interaction.topics = purpose, outcome, list(topics)
    interaction.responded_at = responded_at
    audited(interaction, by=by, source=source, reason="edited")
    interaction.save()
    wanted = {c.pk for c in contacts}
    InteractionParticipant.objects.filter(interaction=interaction).exclude(contact_id__in=wanted).delete()
    have = set(InteractionParticipant.objects.filter(interaction=interaction).values_list("contact_id", flat=True))
    InteractionParticipant.objects.bulk_create(
        [InteractionParticipant(interaction=interaction, contact=c) for c in contacts if c.pk not in have])
    interaction.team_attendees.set(team_attendees)
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction, by, source: str = "app") -> None:
    """Delete an interaction logged in the app; the audit trail keeps it (who deleted it, when)."""
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    check_may_change(interaction, by)
    audited(interaction, by=by, source=source, reason="deleted")
    interaction.delete()


def planned_touchpoint_of(account, pk: int, *, lock: bool = False) -> PlannedTouchpoint:
    """The account's planned touchpoint ``pk`` (whatever its status), or a ``ValidationError`` on ``touchpoint``."""
    qs = PlannedTouchpoint.objects.select_for_update() if lock else PlannedTouchpoint.objects
    touchpoint = qs.filter(pk=pk, account=account).first()
    if touchpoint is None:
        raise ValidationError({"touchpoint": ValidationError(
            f"No planned touchpoint {pk} at {account.name}.", code="not_found")})
    return touchpoint


def _fulfil(account, touchpoint: PlannedTouchpoint) -> None:
    """Mark a planned touchpoint of ``account`` done (locked: two people logging it at once do not both)."""
    touchpoint = planned_touchpoint_of(account, touchpoint.pk, lock=True)
    if touchpoint.status != PlannedTouchpoint.Status.PLANNED:
        raise ValidationError({"touchpoint": ValidationError(
            f"The planned {touchpoint.get_type_display()} of {touchpoint.planned_on.isoformat()} is already "
            f"{touchpoint.get_status_display().lower()}: log this one on its own.", code="not_planned")})
    touchpoint.status = PlannedTouchpoint.Status.DONE
    touchpoint.save(update_fields=["status"])


@transaction.atomic
def touchpoint_cancel(*, touchpoint: PlannedTouchpoint, by) -> PlannedTouchpoint:
    """Take a planned touchpoint off the calendar — its planner or an admin.  It stays on record, cancelled:
    it leaves the workspace, the calendars and their feeds, and warns nobody of a conflict any more."""
    touchpoint = PlannedTouchpoint.objects.select_for_update().get(pk=touchpoint.pk)
    if touchpoint.status != PlannedTouchpoint.Status.PLANNED:
        raise ValidationError({"touchpoint": ValidationError(
            f"This touchpoint is already {touchpoint.get_status_display().lower()}.", code="not_planned")})
    if not getattr(by, "is_admin", False) and touchpoint.planned_by_id != getattr(by, "pk", None):
        who = _planner(touchpoint.planned_by) or "someone else"
        raise ValidationError({"touchpoint": ValidationError(
            f"Planned by {who}: only they (or an admin) can cancel it.", code="not_the_planner")})
    touchpoint.status = PlannedTouchpoint.Status.CANCELLED
    touchpoint.save(update_fields=["status"])
    return touchpoint


def touchpoint_conflicts_preview(*, account, contacts, planned_on: date, by) -> list[OutreachConflict]:
    """What planning this touchpoint would warn about (guardrail 5), before anything is written: a read."""
    draft = PlannedTouchpoint(account=account, planned_on=planned_on,
                              planned_by=by if getattr(by, "pk", None) else None)
    return outreach_conflicts_for(draft, [c for c in contacts if c.account_id == account.pk and _is_exec(c)])
