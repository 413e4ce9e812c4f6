"""Admin pages that write the tracker's people and touchpoints — contacts, interactions, planned
touchpoints — through the same services as the pages and the API, so the admin refuses what they refuse,
with the same words, before anything is written (imported from ``sponsors/admin.py``)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import ScopedAdminMixin, check_visible_relations
from accounts.forms import TextListField
from accounts.selectors import accounts_visible_to

from .audit import audited
from .models import CONTACT_ROLE_CHOICES, Contact, Interaction, InteractionParticipant, PlannedTouchpoint
from .services.sponsors import (
    EDITABLE_FIELDS,
    SponsorError,
    check_sponsor_change,
    contact_create,
    contact_mark_departed,
    contact_update,
    set_sponsor_role,
)
from .services.touchpoints import (
    check_interaction_times,
    check_outreach,
    check_planned_on,
    check_team_attendees,
    interaction_log,
    touchpoint_plan,
)


class VisibleAccountsMixin(ScopedAdminMixin):
    """Admin lists only show what ``accounts_visible_to`` allows; selects and writes are scoped too."""

    account_path = "account"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.filter(**{f"{self.account_path}__in": accounts_visible_to(request.user)})


def _refusal(exc: ValidationError) -> ValidationError:
    return exc if hasattr(exc, "error_dict") else ValidationError({"__all__": exc.messages})


# --- contacts -----------------------------------------------------------------------------------------------

class ContactForm(forms.ModelForm):
    """Roles are picked from the vocabulary (never a typed ``5`` or ``"vp"`` read as ``['v', 'p']``); the
    sponsor role is checked by the sponsor service's rules before anything is saved."""

    roles = forms.MultipleChoiceField(choices=CONTACT_ROLE_CHOICES, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    priorities = TextListField(required=False)

    def clean(self):
        data = super().clean()
        account = data.get("account") or (self.instance.account if self.instance.account_id else None)
        if account is None or "sponsor" not in data:
            return data
        probe = Contact(pk=self.instance.pk, account=account, name=data.get("name") or self.instance.name,
                        roles=data.get("roles", self.instance.roles), status=data.get("status", "active"))
        try:
            check_sponsor_change(probe, sponsor=data.get("sponsor") or "", roles=data.get("roles") or [])
        except SponsorError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, str(exc))
        return data


@admin.register(Contact)
class ContactAdmin(VisibleAccountsMixin, SimpleHistoryAdmin):
    form = ContactForm
    list_display = ["name", "title", "account", "sponsor", "is_executive", "status", "in_role_since",
                    "communication_preference"]
    list_filter = ["sponsor", "is_executive", "status", "account__tier"]
    search_fields = ["name", "title", "email", "account__name", "external_id"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    readonly_fields = ["is_executive", "departed_on", "created_at", "updated_at"]
    actions = ["make_primary_sponsor", "make_backup_sponsor", "clear_sponsor_role", "mark_departed"]

    def save_model(self, request, obj, form, change):
        """Through the sponsor service: a new contact is added, an edit changes its details, its sponsor role
        and its status, each audited as an admin change."""
        check_visible_relations(obj, request.user)
        if not change:
            fields = {f: getattr(obj, f) for f in EDITABLE_FIELDS if f not in ("name", "roles")}
            created = contact_create(account=obj.account, name=obj.name, roles=obj.roles, sponsor=obj.sponsor,
                                     by=request.user, source="admin", **fields)
            obj.pk = created.pk
            return
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in EDITABLE_FIELDS}
        contact_update(contact=obj, changes=changes, by=request.user, source="admin")
        if "sponsor" in form.changed_data:
            set_sponsor_role(contact=obj, role=obj.sponsor or "none", by=request.user, source="admin")
        if "status" in form.changed_data and obj.status == Contact.Status.DEPARTED:
            contact_mark_departed(contact=obj, by=request.user, source="admin", reason="marked departed in the admin")

    def _each(self, request, queryset, what: str, change) -> None:
        done = 0
        for contact in queryset.select_related("account"):
            try:
                change(contact)
                done += 1
            except SponsorError as exc:
                self.message_user(request, f"{contact.name}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} {what}.", messages.SUCCESS)

    @admin.action(description="Make the selected executive the primary sponsor (the current one becomes backup)")
    def make_primary_sponsor(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one contact to make primary sponsor.", messages.ERROR)
            return
        self._each(request, queryset, "primary sponsor named", lambda c: set_sponsor_role(
            contact=c, role="primary", replace_current=True, by=request.user, source="admin"))

    @admin.action(description="Make the selected executives backup sponsors")
    def make_backup_sponsor(self, request, queryset):
        self._each(request, queryset, "backup sponsor(s) named", lambda c: set_sponsor_role(
            contact=c, role="backup", by=request.user, source="admin"))

    @admin.action(description="Remove the sponsor role (primary/backup) from the selected contacts")
    def clear_sponsor_role(self, request, queryset):
        self._each(request, queryset, "sponsor role(s) removed", lambda c: set_sponsor_role(
            contact=c, role="none", by=request.user, source="admin"))

    @admin.action(description="Mark the selected contacts departed")
    def mark_departed(self, request, queryset):
        self._each(request, queryset, "contact(s) marked departed", lambda c: contact_mark_departed(
            contact=c, by=request.user, source="admin", reason="marked departed in the admin"))


# --- interactions ------------------------------------------------------------------------------------------

def _check_new_team_attendees(form, account, data) -> None:
    """Who of our side took part must be on the account team (those the record names already may stay)."""
    if account is not None:
        already = form.instance.team_attendees.values_list("pk", flat=True) if form.instance.pk else ()
        check_team_attendees(account, data.get("team_attendees") or (), already=already)


class InteractionForm(forms.ModelForm):
    topics = TextListField(required=False)

    def clean(self):
        data = super().clean()
        account = data.get("account") or (self.instance.account if self.instance.account_id else None)
        try:
            if data.get("occurred_at"):
                check_interaction_times(data["occurred_at"], data.get("responded_at"))
            _check_new_team_attendees(self, account, data)
        except ValidationError as exc:
            raise _refusal(exc) from None
        return data


class ParticipantsFormSet(BaseInlineFormSet):
    """Who took part: at least one contact, and never an operational outreach to an executive."""

    def clean(self):
        super().clean()
        contacts = [f.cleaned_data["contact"] for f in self.forms
                    if getattr(f, "cleaned_data", None) and f.cleaned_data.get("contact")
                    and not f.cleaned_data.get("DELETE")]
        interaction = self.instance
        if not interaction.account_id or not interaction.direction or not interaction.purpose:
            return
        try:
            check_outreach(interaction.account, contacts, direction=interaction.direction,
                           purpose=interaction.purpose)
        except ValidationError as exc:
            raise ValidationError([m for msgs in _refusal(exc).message_dict.values() for m in msgs]) from None


class ParticipantInline(ScopedAdminMixin, admin.TabularInline):
    model = InteractionParticipant
    formset = ParticipantsFormSet
    extra = 1
    autocomplete_fields = ["contact"]


@admin.register(Interaction)
class InteractionAdmin(VisibleAccountsMixin, SimpleHistoryAdmin):
    form = InteractionForm
    list_display = ["occurred_at", "type", "account", "direction", "purpose", "responded_at", "logged_by"]
    list_filter = ["type", "direction", "purpose", "account__tier"]
    search_fields = ["account__name", "outcome", "external_id", "participants__name"]
    date_hierarchy = "occurred_at"
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    inlines = [ParticipantInline]

    def save_model(self, request, obj, form, change):
        check_visible_relations(obj, request.user)
        if change:                                  # an edit of the record: audited as the admin's
            audited(obj, by=request.user, source="admin", reason="edited in the admin")
            obj.save()
        # A new interaction is logged with its participants in save_related, through the service.

    def save_related(self, request, form, formsets, change):
        if change:
            return super().save_related(request, form, formsets, change)
        obj = form.instance
        contacts = [f.cleaned_data["contact"] for fs in formsets for f in fs.forms
                    if getattr(f, "cleaned_data", None) and f.cleaned_data.get("contact")
                    and not f.cleaned_data.get("DELETE")]
        logged = interaction_log(account=obj.account, contacts=contacts, occurred_at=obj.occurred_at, type=obj.type,
                                 direction=obj.direction, purpose=obj.purpose, outcome=obj.outcome,
                                 topics=obj.topics or (), responded_at=obj.responded_at,
                                 team_attendees=form.cleaned_data.get("team_attendees") or (), by=request.user,
                                 source="admin")
        obj.pk = logged.pk
        for formset in formsets:           # the participants were written by the service; the change message
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


# --- planned touchpoints -------------------------------------------------------------------------------------

class TouchpointForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        account = data.get("account") or (self.instance.account if self.instance.account_id else None)
        try:
            if data.get("planned_on") and (not self.instance.pk or "planned_on" in self.changed_data):
                check_planned_on(data["planned_on"])
            if account is not None and data.get("contacts") is not None:
                check_outreach(account, list(data["contacts"]), direction=data.get("direction") or "meeting",
                               purpose=data.get("purpose") or "strategic")
            _check_new_team_attendees(self, account, data)
        except ValidationError as exc:
            raise _refusal(exc) from None
        return data


@admin.register(PlannedTouchpoint)
class PlannedTouchpointAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    form = TouchpointForm
    list_display = ["planned_on", "type", "account", "purpose", "status", "planned_by", "objective"]
    list_filter = ["status", "type", "purpose"]
    search_fields = ["account__name", "objective"]
    list_select_related = ["account", "planned_by"]
    autocomplete_fields = ["account", "contacts", "planned_by"]

    def save_model(self, request, obj, form, change):
        check_visible_relations(obj, request.user)
        if change:
            obj.save()
        # A new plan is made in save_related, through the service (the team hears of it, conflicts warned).

    def save_related(self, request, form, formsets, change):
        if change:
            return super().save_related(request, form, formsets, change)
        obj = form.instance
        planned, conflicts = touchpoint_plan(
            account=obj.account, contacts=list(form.cleaned_data["contacts"]), planned_on=obj.planned_on,
            type=obj.type, direction=obj.direction, purpose=obj.purpose, objective=obj.objective,
            team_attendees=list(form.cleaned_data.get("team_attendees") or ()), by=request.user)
        obj.pk = planned.pk
        for conflict in conflicts:
            self.message_user(request, conflict.message, messages.WARNING)
