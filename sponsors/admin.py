"""Admin: customer accounts with their people and history, contacts, interactions, org changes,
touchpoints, alerts, the outbox, webhook deliveries and news feeds.  Every list, select, autocomplete
and list filter is scoped by ``accounts_visible_to`` and every write re-checked on save
(``accounts.admin.ScopedAdminMixin``); sponsor and review actions go through the sponsors services."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q

from accounts.admin import ScopedAdminMixin
from accounts.forms import TextListField
from accounts.models import Account, AccountTeamMember, Goal, StrategicAlignment, ValueMetric
from accounts.selectors import accounts_visible_to

from .models import (
    CONTACT_ROLE_CHOICES,
    Alert,
    Contact,
    Interaction,
    InteractionParticipant,
    NewsFeed,
    OrgChange,
    OutboundEmail,
    PlannedTouchpoint,
    WebhookDelivery,
)
from .orgchanges.review import org_change_confirm, org_change_dismiss
from .services.alerts import alert_acknowledge
from .services.sponsors import SponsorError, sponsor_assign_backup, sponsor_clear


class VisibleAccountsMixin(ScopedAdminMixin):
    """Admin lists only show what ``accounts_visible_to`` allows; selects and writes are scoped too."""

    account_path = "account"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.filter(**{f"{self.account_path}__in": accounts_visible_to(request.user)})


class SameAccountForm(forms.ModelForm):
    """The contacts an alert, org change or touchpoint names are contacts of its account."""

    CONTACT_FIELDS = ("contact", "contacts", "proposed_primary")

    def clean(self):
        data = super().clean()
        account = data.get("account") or (self.instance.account if self.instance.account_id else None)
        for name in self.CONTACT_FIELDS:
            if account is None or name not in self.fields or not data.get(name):
                continue
            value = data[name]
            strangers = [c for c in ([value] if isinstance(value, Contact) else value) if c.account_id != account.pk]
            if strangers:
                self.add_error(name, f"{', '.join(c.name for c in strangers)}: not a contact of {account}.")
        return data


class ContactForm(forms.ModelForm):
    """Roles are picked from the vocabulary (never a typed ``5`` or ``"vp"`` read as ``['v', 'p']``)."""

    roles = forms.MultipleChoiceField(choices=CONTACT_ROLE_CHOICES, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    priorities = TextListField(required=False)


class InteractionForm(forms.ModelForm):
    topics = TextListField(required=False)


class ParticipantInline(ScopedAdminMixin, admin.TabularInline):
    model = InteractionParticipant
    extra = 0
    autocomplete_fields = ["contact"]


@admin.register(Contact)
class ContactAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    form = ContactForm
    list_display = ["name", "title", "account", "sponsor", "is_executive", "status", "in_role_since",
                    "communication_preference"]
    list_filter = ["sponsor", "is_executive", "status", "account__tier"]
    search_fields = ["name", "title", "email", "account__name", "external_id"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    readonly_fields = ["is_executive", "created_at", "updated_at"]
    actions = ["make_backup_sponsor", "clear_sponsor_role"]

    @admin.action(description="Make the selected executives backup sponsors")
    def make_backup_sponsor(self, request, queryset):
        done = 0
        with transaction.atomic():
            for contact in queryset.select_related("account"):
                try:
                    sponsor_assign_backup(contact=contact, by=request.user)
                    done += 1
                except SponsorError as exc:
                    self.message_user(request, f"{contact}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} backup sponsor(s) assigned.", messages.SUCCESS)

    @admin.action(description="Remove the sponsor role (primary/backup) from the selected contacts")
    def clear_sponsor_role(self, request, queryset):
        for contact in queryset:
            sponsor_clear(contact=contact, by=request.user)
        self.message_user(request, "Sponsor roles cleared.", messages.SUCCESS)


@admin.register(Interaction)
class InteractionAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    form = InteractionForm
    list_display = ["occurred_at", "type", "account", "direction", "purpose", "responded_at", "logged_by"]
    list_filter = ["type", "direction", "purpose", "account__tier"]
    search_fields = ["account__name", "outcome", "external_id", "participants__name"]
    date_hierarchy = "occurred_at"
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    inlines = [ParticipantInline]


@admin.register(OrgChange)
class OrgChangeAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    form = SameAccountForm
    list_display = ["occurred_on", "kind", "account", "contact", "source", "confidence", "state", "headline"]
    list_filter = ["state", "kind", "source"]
    search_fields = ["headline", "account__name", "contact__name"]
    list_select_related = ["account", "contact"]
    autocomplete_fields = ["account", "contact"]


@admin.register(PlannedTouchpoint)
class PlannedTouchpointAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    form = SameAccountForm
    list_display = ["planned_on", "type", "account", "purpose", "status", "planned_by", "objective"]
    list_filter = ["status", "type", "purpose"]
    search_fields = ["account__name", "objective"]
    list_select_related = ["account", "planned_by"]
    autocomplete_fields = ["account", "contacts", "planned_by"]


# --- guardrails: alerts, the outbox, webhooks, news feeds (sponsors/alerts.py, notify.py, orgchanges.py) ---



@admin.register(Alert)
class AlertAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    form = SameAccountForm
    list_display = ["opened_at", "severity", "code", "account", "contact", "status", "due_on", "last_seen_on",
                    "message"]
    list_filter = ["status", "severity", "code"]
    search_fields = ["message", "account__name", "contact__name"]
    list_select_related = ["account", "contact"]
    readonly_fields = ["opened_at", "acknowledged_at", "acknowledged_by", "resolved_at", "last_seen_on"]
    actions = ["acknowledge"]

    @admin.action(description="Acknowledge the selected alerts")
    def acknowledge(self, request, queryset):
        n = 0
        for alert in queryset.filter(status=Alert.Status.OPEN):
            alert_acknowledge(alert=alert, by=request.user)
            n += 1
        self.message_user(request, f"{n} alert(s) acknowledged.", messages.SUCCESS)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "account", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "dedupe_key", "account__name"]
    list_select_related = ["account"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "provider", "delivery_id", "processed_at", "error"]
    list_filter = ["provider"]
    search_fields = ["delivery_id"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_admin else qs.none()   # raw payloads: admins only


@admin.register(NewsFeed)
class NewsFeedAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    list_display = ["url", "account", "last_polled_at", "last_error"]
    search_fields = ["url", "account__name"]
    autocomplete_fields = ["account"]
    readonly_fields = ["etag", "modified", "last_polled_at", "last_error"]


@admin.action(description="Confirm the selected org changes")
def confirm_org_changes(modeladmin, request, queryset):
    for change in queryset:
        org_change_confirm(change=change, by=request.user)
    modeladmin.message_user(request, "Org change(s) confirmed.", messages.SUCCESS)


@admin.action(description="Dismiss the selected org changes (the same change will not alert again)")
def dismiss_org_changes(modeladmin, request, queryset):
    for change in queryset:
        org_change_dismiss(change=change, by=request.user)
    modeladmin.message_user(request, "Org change(s) dismissed.", messages.SUCCESS)


OrgChangeAdmin.actions = [*(OrgChangeAdmin.actions or ()), confirm_org_changes, dismiss_org_changes]


# --- customer accounts, with their team, people and history inline ----------------------------------

class TeamMemberInline(ScopedAdminMixin, admin.TabularInline):
    model = AccountTeamMember
    extra = 0
    autocomplete_fields = ["user"]


class GoalInline(ScopedAdminMixin, admin.TabularInline):
    model = Goal
    extra = 0


class AlignmentInline(ScopedAdminMixin, admin.TabularInline):
    model = StrategicAlignment
    extra = 0


class ContactInline(ScopedAdminMixin, admin.TabularInline):
    model = Contact
    form = ContactForm
    extra = 0
    fields = ["name", "title", "roles", "sponsor", "status", "in_role_since", "communication_preference"]
    show_change_link = True


class InteractionInline(ScopedAdminMixin, admin.TabularInline):
    model = Interaction
    extra = 0
    fields = ["occurred_at", "type", "direction", "purpose", "outcome", "responded_at", "logged_by"]
    ordering = ["-occurred_at"]
    show_change_link = True
    max_num = 0  # history is read here; add or edit an interaction on its own page
    can_delete = False

    def get_queryset(self, request):
        # The inline shows the 25 latest; the account's full history is on the Interactions page.
        qs = super().get_queryset(request)
        latest = qs.order_by("-occurred_at").values("pk")[:25]
        return qs.filter(pk__in=latest)


class ValueMetricInline(ScopedAdminMixin, admin.TabularInline):
    model = ValueMetric
    extra = 0


@admin.register(Account)
class AccountAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "tier", "industry", "owner", "arr", "renewal_date", "executives", "has_backup",
                    "source", "external_id"]
    list_filter = ["tier", "industry", "source", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "external_id", "industry", "contacts__name"]
    autocomplete_fields = ["owner"]
    inlines = [TeamMemberInline, ContactInline, InteractionInline, GoalInline, AlignmentInline, ValueMetricInline]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        qs = accounts_visible_to(request.user).select_related("owner").order_by("name")
        return qs.annotate(
            executive_count=Count("contacts", filter=Q(contacts__is_executive=True, contacts__status="active"),
                                  distinct=True),
            backup_count=Count("contacts", filter=Q(contacts__sponsor="backup", contacts__status="active"),
                               distinct=True),
        )

    @admin.display(description="Active execs", ordering="executive_count")
    def executives(self, account):
        return account.executive_count

    @admin.display(description="Backup sponsor", boolean=True, ordering="backup_count")
    def has_backup(self, account):
        return account.backup_count > 0
from .crm import admin as crm_admin  # noqa: E402, F401  - CRM connections and their runs (sponsors/crm/admin.py)
