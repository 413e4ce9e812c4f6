"""Admin: customer accounts with their people and history, contacts, interactions, org changes,
touchpoints, alerts, the outbox, webhook deliveries and news feeds.  Every list, select, autocomplete
and list filter is scoped by ``accounts_visible_to`` and every write re-checked on save
(``accounts.admin.ScopedAdminMixin``); sponsor and review actions go through the sponsors services."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q

from accounts.admin import ScopedAdminMixin
from accounts.models import Account, AccountTeamMember, Goal, StrategicAlignment, ValueMetric
from accounts.selectors import accounts_visible_to

from .admin_people import ContactForm, VisibleAccountsMixin
from .models import (
    Alert,
    Contact,
    Interaction,
    NewsFeed,
    OrgChange,
    OutboundEmail,
    WebhookDelivery,
)
from .orgchanges.review import org_change_confirm, org_change_dismiss
from .rules.alert_codes import ALERT_CODES
from .services.alerts import alert_acknowledge


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


@admin.register(OrgChange)
class OrgChangeAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    form = SameAccountForm
    list_display = ["occurred_on", "kind", "account", "contact", "source", "confidence", "state", "headline"]
    list_filter = ["state", "kind", "source"]
    search_fields = ["headline", "account__name", "contact__name"]
    list_select_related = ["account", "contact"]
    autocomplete_fields = ["account", "contact"]


# --- guardrails: alerts, the outbox, webhooks, news feeds (sponsors/alerts.py, notify.py, orgchanges.py) ---



class AlertCodeFilter(admin.SimpleListFilter):
    """Filter alerts by what they are, in words (users never see a raw code)."""

    title = "alert"
    parameter_name = "code"

    def lookups(self, request, model_admin):
        return [(code, entry.title) for code, entry in ALERT_CODES.items()]

    def queryset(self, request, queryset):
        return queryset.filter(code=self.value()) if self.value() else queryset


@admin.register(Alert)
class AlertAdmin(VisibleAccountsMixin, admin.ModelAdmin):
    form = SameAccountForm
    list_display = ["opened_at", "severity", "title", "account", "contact", "status", "due_on", "last_seen_on",
                    "message"]
    list_filter = ["status", "severity", AlertCodeFilter]
    search_fields = ["message", "account__name", "contact__name"]
    list_select_related = ["account", "contact"]
    readonly_fields = ["opened_at", "acknowledged_at", "acknowledged_by", "resolved_at", "last_seen_on"]
    actions = ["acknowledge"]

    @admin.display(description="Alert", ordering="code")
    def title(self, alert):
        return alert.title

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
    """The account's people, read here; a contact is added or changed on its own page (through the
    sponsor service, so its rules hold)."""

    model = Contact
    form = ContactForm
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["name", "title", "roles", "sponsor", "status", "in_role_since", "communication_preference"]
    readonly_fields = fields
    show_change_link = True


class InteractionInline(ScopedAdminMixin, admin.TabularInline):
    model = Interaction
    extra = 0
    fields = ["occurred_at", "type", "direction", "purpose", "outcome", "responded_at", "logged_by"]
    ordering = ["-occurred_at"]
    show_change_link = True
    max_num = 0  # history is read here; add or edit an interaction on its own page
    can_delete = False

    readonly_fields = fields
    INLINE_LIMIT = 25

    def get_formset(self, request, obj=None, **kwargs):
        """The account's own interactions, newest first (the inline used to take the 25 newest of every
        account and then keep the account's few among them)."""
        formset = super().get_formset(request, obj, **kwargs)
        limit = self.INLINE_LIMIT

        class Latest(formset):
            def get_queryset(self):
                qs = super().get_queryset().order_by("-occurred_at", "-pk")
                return qs.filter(pk__in=list(qs.values_list("pk", flat=True)[:limit]))

        return Latest


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
