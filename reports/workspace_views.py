"""The account workspace (``/accounts/<id>/``): one page view, and its actions — log, edit or delete an
interaction, plan a touchpoint (with the conflict check before saving), add or edit an executive.

Thin: parse with the forms, check who may see what (``accounts_visible_to``: another team's account is a
404), write through the sponsors services, and answer HTMX with the fragments of
``reports/account.html`` that changed (the rest of the page stays); a plain form post gets the page back
(errors) or a redirect (done).  After a write that changes scores, the account's scores and guardrails
are brought up to date at once, so the cards, the overall score and "what changed" are today's.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import account_team, accounts_visible_to
from reports.page_cache import kept_while_unchanged
from reports.panels import alerts_panel, changes_panel, org_changes_panel, sponsors_panel
from reports.params import BadParameter, form_errors, parse_as_of
from reports.workspace import executive_cards, header, load_scores, names_by_email, timeline, upcoming_touchpoints
from reports.workspace_forms import ContactForm, InteractionForm, TimelineFilterForm, TouchpointForm
from sponsors.config import rules_config
from sponsors.models import Contact, Interaction, PlannedTouchpoint
from sponsors.selectors.departures import departure_days
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.scores import recompute_scores
from sponsors.services.sponsors import SponsorError, contact_create, contact_update
from sponsors.services.touchpoints import (
    interaction_delete,
    interaction_log,
    interaction_update,
    planned_touchpoint_of,
    touchpoint_cancel,
    touchpoint_conflicts_preview,
    touchpoint_plan,
)

PAGE = "reports/account.html"
UNLOGGED_DAYS = 30          # a plan whose day has passed stays listed this long, to be logged or cancelled


def visible_account(request, pk):
    return get_object_or_404(accounts_visible_to(request.user).select_related("owner"), pk=pk)


def account_contacts(account, everyone=None, left=None) -> list:
    """Everyone at the customer one can log or plan with: those who have not left (CRM status or a confirmed
    departure: ``sponsors.selectors.departures``), executives first.  Two queries, or none when ``everyone``
    (all the account's contacts) and ``left`` (``departure_days`` of the account) are given."""
    if left is None:
        left = departure_days(as_of=timezone.localdate(), account=account)
    if everyone is None:
        everyone = Contact.objects.filter(account=account, status=Contact.Status.ACTIVE)
    people = [c for c in everyone if c.status == Contact.Status.ACTIVE and c.pk not in left]
    return sorted(people, key=lambda c: (not c.is_executive, c.name.casefold()))


def team_of(account, members=None) -> list:
    """Who of our side the forms offer as having taken part, as ``(user, role label)``: the account team
    (``members``, when already read), CSM first, then the owner when they are not on it."""
    members = account_team(account) if members is None else members
    team = [(m.user, m.get_role_display()) for m in members]
    if account.owner_id and all(user.pk != account.owner_id for user, _ in team):
        team.append((account.owner, "Owner"))
    return team


def refresh_scores(account) -> None:
    """Today's scores and alerts of the account, now (the signals queue the same refresh on commit;
    running it twice is harmless): what the cards and "what changed" show after a write."""
    today = timezone.localdate()
    recompute_scores(account_ids=[account.pk], as_of=today)
    evaluate_accounts(account_ids=[account.pk], as_of=today)


def timeline_context(request, account, contacts, data=None, team=None) -> dict:
    """A page of the timeline; who logged each entry by name when they are on the team (``team``, from
    ``team_of``, when already read) or are the viewer, else by the e-mail address the record holds."""
    form = TimelineFilterForm(data if data is not None else (request.GET or None), contacts=contacts)
    person, kind, page = None, "", 1
    if form.is_bound and form.is_valid():
        person, kind, page = form.cleaned_data["person"], form.cleaned_data["type"], form.cleaned_data["page"] or 1
    entries = timeline(account, contact=person, type=kind, page=page)
    names = names_by_email([request.user, *(user for user, _ in (team_of(account) if team is None else team))])
    for item in entries.items:
        item.logged_by_name = names.get((item.logged_by or "").casefold(), item.logged_by)
    return {"timeline_form": form, "timeline": entries, "user_email": (request.user.email or "").casefold()}


def workspace_context(request, account, *, as_of, forms=None, notices=None) -> dict:
    """Every section of the workspace (a fixed number of queries whatever the account's history)."""
    forms, notices = forms or {}, notices or {}
    today = timezone.localdate()
    everyone = list(Contact.objects.filter(account=account))    # for the forms and the sponsors panel alike
    left = departure_days(as_of=today, account=account)         # and who has left before the CRM knows
    contacts = account_contacts(account, everyone, left)
    sponsors = sponsors_panel(account=account, user=request.user, notice=notices.get("sponsors", ""),
                              error=notices.get("sponsors_error", ""), contacts=everyone, left=left)
    scores = load_scores(account, as_of=as_of)
    planned = upcoming_touchpoints(account, as_of=today, unlogged_days=UNLOGGED_DAYS)
    log_plan = _plan_to_log(request, planned) if "log" not in forms else None
    people = [item.contact for item in sponsors["sponsor_items"]]
    config = rules_config()
    cadence_days = config.scoring.cadence_days.get(account.tier, 30)
    members = account_team(account)
    team = team_of(account, members)
    return {
        "account": account, "as_of": as_of, "is_today": as_of == today, "today": today,
        "head": header(account, scores, as_of=as_of, members=members, urgent_days=config.report.renewal_urgent_days),
        "cards": executive_cards(account, people, scores, [tp for tp in planned if tp.planned_on >= today],
                                 cadence_days=cadence_days, as_of=as_of, left=left),
        "planned": planned,
        "log_form": forms.get("log") or InteractionForm(contacts=contacts, team=team, initial=_log_initial(log_plan)),
        "log_plan": log_plan or getattr(forms.get("log"), "plan", None),
        "plan_form": forms.get("plan") or TouchpointForm(contacts=contacts, team=team),
        "contact_form": forms.get("contact") or ContactForm(),
        "log_notice": notices.get("log", ""), "plan_notice": notices.get("plan", ""),
        "conflicts": notices.get("conflicts", ()), "contact_notice": notices.get("contact", ""),
        **timeline_context(request, account, contacts, team=team),
        **changes_panel(account=account, as_of=as_of),
        **alerts_panel(account=account, as_of=as_of, notice=notices.get("alerts", ""),
                       error=notices.get("alerts_error", "")),
        **org_changes_panel(account=account, notice=notices.get("org", ""), error=notices.get("org_error", "")),
        **sponsors,
    }


def _plan_to_log(request, planned):
    """The planned touchpoint ``?log_from=<id>`` asks to log (one of the account's listed plans), or None."""
    wanted = request.GET.get("log_from", "")
    return next((tp for tp in planned if str(tp.pk) == wanted), None) if wanted.isdigit() else None


def _log_initial(plan=None) -> dict:
    """The log form's defaults: now, a 1:1 meeting; or what the plan being logged said (on its day when that
    has come, at this time of day)."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    if plan is None:
        return {"occurred_at": now.strftime("%Y-%m-%dT%H:%M"), "type": "one_on_one", "direction": "meeting"}
    when = now if plan.planned_on >= now.date() else datetime.combine(plan.planned_on, now.time(), now.tzinfo)
    return {"occurred_at": when.strftime("%Y-%m-%dT%H:%M"), "type": plan.type, "direction": plan.direction,
            "purpose": plan.purpose, "participants": [str(c.pk) for c in plan.contacts.all()],
            "team_attendees": [str(u.pk) for u in plan.team_attendees.all()], "topics": plan.objective,
            "touchpoint": plan.pk}


@require_GET
@login_required
@kept_while_unchanged(per_minute=True)       # the log form's time defaults to now
def account(request, pk):
    """The workspace page; an HTMX request aimed at the timeline gets only the timeline back."""
    account = visible_account(request, pk)
    if request.htmx and request.htmx.target == "timeline":
        context = {"account": account, **timeline_context(request, account, account_contacts(account))}
        return render(request, f"{PAGE}#timeline", context)
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except BadParameter as exc:
        return render(request, PAGE, {"account": account, "error": str(exc)}, status=400)
    return render(request, PAGE, workspace_context(request, account, as_of=as_of))


def respond(request, account, fragment: str, *, forms=None, notices=None, done: str = "", error: str = "",
            status: int = 200):
    """HTMX: the fragment (with its out-of-band companions); a plain post: back to the page with a message
    when done, else the page with the errors beside their fields."""
    if not request.htmx and (done or error):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done)
        return redirect(reverse("reports:account", args=[account.pk]))
    context = workspace_context(request, account, as_of=timezone.localdate(), forms=forms, notices=notices)
    if not request.htmx:
        return render(request, PAGE, context, status=status)
    response = render(request, f"{PAGE}#{fragment}", context, status=status)
    # Whatever element asked (an edit form in the timeline, a button), the fragment replaces its panel.
    response["HX-Retarget"], response["HX-Reswap"] = FRAGMENT_TARGETS[fragment], "outerHTML"
    return response


FRAGMENT_TARGETS = {
    "log_panel": "#log-panel", "logged_response": "#log-panel", "plan_panel": "#plan-panel",
    "planned_response": "#plan-panel", "alerts_panel": "#alerts-panel", "succession_response": "#alerts-panel",
    "org_review_response": "#org-changes-panel", "sponsors_panel": "#sponsors-panel",
    "sponsors_response": "#sponsors-panel",
}


# --- interactions -----------------------------------------------------------------------------------------

@require_POST
@login_required
def interaction_log_action(request, pk):
    account = visible_account(request, pk)
    form = InteractionForm(request.POST, contacts=account_contacts(account), team=team_of(account))
    form.plan = None
    if form.is_valid():
        try:
            plan_id = form.cleaned_data["touchpoint"]
            form.plan = planned_touchpoint_of(account, plan_id) if plan_id else None
            interaction = interaction_log(account=account, by=request.user, fulfils=form.plan,
                                          **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            refresh_scores(account)
            when = timezone.localtime(interaction.occurred_at)
            done = f"Logged: {interaction.get_type_display()} on {when:%Y-%m-%d}."
            if form.plan is not None:
                done += f" The {form.plan.get_type_display()} planned for {form.plan.planned_on:%Y-%m-%d} is done."
            return respond(request, account, "logged_response", notices={"log": done}, done=done)
    return respond(request, account, "log_panel", forms={"log": form}, status=400)


def _own_interaction(request, account, interaction_id) -> Interaction:
    return get_object_or_404(Interaction.objects.filter(account=account), pk=interaction_id)


@require_http_methods(["GET", "POST"])
@login_required
def interaction_edit_action(request, pk, interaction_id):
    """GET: the edit form in place of the timeline entry; POST: save it (the logger or an admin)."""
    account = visible_account(request, pk)
    interaction = _own_interaction(request, account, interaction_id)
    contacts = account_contacts(account)
    extra = [c for c in interaction.participants.all() if c not in contacts]
    team = team_of(account)          # and whoever attended though they have left the team since
    team += [(u, "") for u in interaction.team_attendees.all() if all(u.pk != t.pk for t, _ in team)]
    if request.method == "GET":
        form = InteractionForm(contacts=[*contacts, *extra], team=team, initial=_edit_initial(interaction),
                               prefix="edit")
        return render(request, f"{PAGE}#interaction_edit", {"account": account, "item": interaction, "form": form})
    form = InteractionForm(request.POST, contacts=[*contacts, *extra], team=team, prefix="edit")
    if form.is_valid():
        try:
            interaction_update(interaction=interaction, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            refresh_scores(account)
            return respond(request, account, "logged_response", notices={"log": "Interaction updated."},
                            done="Interaction updated.")
    if not request.htmx:
        return respond(request, account, "", notices={"log": "; ".join(form_errors(form))}, status=400)
    return render(request, f"{PAGE}#interaction_edit", {"account": account, "item": interaction, "form": form},
                  status=400)


def _edit_initial(interaction) -> dict:
    return {"type": interaction.type, "direction": interaction.direction, "purpose": interaction.purpose,
            "occurred_at": timezone.localtime(interaction.occurred_at).strftime("%Y-%m-%dT%H:%M"),
            "responded_at": (timezone.localtime(interaction.responded_at).strftime("%Y-%m-%dT%H:%M")
                             if interaction.responded_at else ""),
            "participants": [str(c.pk) for c in interaction.participants.all()],
            "team_attendees": [str(u.pk) for u in interaction.team_attendees.all()],
            "topics": ", ".join(interaction.topics or ()), "outcome": interaction.outcome}


@require_POST
@login_required
def interaction_delete_action(request, pk, interaction_id):
    account = visible_account(request, pk)
    interaction = _own_interaction(request, account, interaction_id)
    try:
        interaction_delete(interaction=interaction, by=request.user)
    except ValidationError as exc:
        return respond(request, account, "logged_response", notices={"log": "Not deleted: " + " ".join(exc.messages)},
                        status=403 if not request.htmx else 200)
    refresh_scores(account)
    return respond(request, account, "logged_response", notices={"log": "Interaction deleted."},
                    done="Interaction deleted.")


# --- planned touchpoints ------------------------------------------------------------------------------------

@require_GET
@login_required
def touchpoint_check(request, pk):
    """The conflict warning for the plan form as it stands (a read: nothing is written)."""
    account = visible_account(request, pk)
    form = TouchpointForm(request.GET, contacts=account_contacts(account), team=team_of(account))
    conflicts = []
    if form.is_valid() or ("planned_on" in form.cleaned_data and "contacts" in form.cleaned_data):
        conflicts = touchpoint_conflicts_preview(account=account, contacts=form.chosen(),
                                                 planned_on=form.cleaned_data["planned_on"], by=request.user)
    return render(request, f"{PAGE}#conflict_warning", {"account": account, "conflicts": conflicts, "preview": True})


@require_POST
@login_required
def touchpoint_plan_action(request, pk):
    account = visible_account(request, pk)
    form = TouchpointForm(request.POST, contacts=account_contacts(account), team=team_of(account))
    if form.is_valid():
        try:
            touchpoint, conflicts = touchpoint_plan(account=account, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            done = f"Planned: {touchpoint.get_type_display()} on {touchpoint.planned_on:%Y-%m-%d}."
            if conflicts and not request.htmx:
                done += " " + " ".join(c.message for c in conflicts)
            return respond(request, account, "planned_response", notices={"plan": done, "conflicts": conflicts},
                            done=done)
    return respond(request, account, "plan_panel", forms={"plan": form}, status=400)


@require_POST
@login_required
def touchpoint_cancel_action(request, pk, touchpoint_id):
    """Cancel a planned touchpoint (its planner or an admin); the plan panel comes back without it."""
    account = visible_account(request, pk)
    touchpoint = get_object_or_404(PlannedTouchpoint.objects.filter(account=account), pk=touchpoint_id)
    try:
        touchpoint = touchpoint_cancel(touchpoint=touchpoint, by=request.user)
    except ValidationError as exc:
        return respond(request, account, "planned_response",
                       notices={"plan": "Not cancelled: " + " ".join(exc.messages)},
                       status=403 if not request.htmx else 200)
    done = f"Cancelled: {touchpoint.get_type_display()} on {touchpoint.planned_on:%Y-%m-%d}."
    return respond(request, account, "planned_response", notices={"plan": done}, done=done)


# --- executives ---------------------------------------------------------------------------------------------

@require_POST
@login_required
def contact_add_action(request, pk):
    account = visible_account(request, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact = contact_create(account=account, by=request.user, **form.changes())
        except (SponsorError, ValidationError) as exc:
            form.add_service_errors(exc)
        else:
            done = f"Added {contact.name}."
            return respond(request, account, "sponsors_response", notices={"sponsors": done}, done=done)
    return respond(request, account, "sponsors_panel", forms={"contact": form},
                    notices={"contact": "Not added: see the fields below."}, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def contact_edit_action(request, pk, contact_id):
    account = visible_account(request, pk)
    contact = get_object_or_404(Contact.objects.filter(account=account), pk=contact_id)
    if request.method == "GET":
        form = ContactForm(initial=ContactForm.initial_for(contact), prefix="edit-contact")
        return render(request, f"{PAGE}#contact_edit", {"account": account, "c": contact, "form": form})
    form = ContactForm(request.POST, prefix="edit-contact")
    if form.is_valid():
        try:
            contact_update(contact=contact, changes=form.changes(), by=request.user)
        except (SponsorError, ValidationError) as exc:
            form.add_service_errors(exc)
        else:
            done = f"{form.cleaned_data['name']}: details saved."
            return respond(request, account, "sponsors_response", notices={"sponsors": done}, done=done)
    if not request.htmx:
        return respond(request, account, "", notices={"sponsors_error": "; ".join(form_errors(form))}, status=400)
    return render(request, f"{PAGE}#contact_edit", {"account": account, "c": contact, "form": form}, status=400)
