from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Q

from sponsors.models import Contact, Interaction

from .models import Account, AccountTeamMember, Goal, StrategicAlignment, Team, User, ValueMetric
from .selectors import accounts_visible_to


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["email", "first_name", "last_name", "role", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name", "username"]
    fieldsets = DjangoUserAdmin.fieldsets + (("Tracker", {"fields": ["role"]}),)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager_names", "member_count"]
    filter_horizontal = ["managers", "members"]
    search_fields = ["name"]

    @admin.display(description="Managers")
    def manager_names(self, team):
        return ", ".join(str(u) for u in team.managers.all())

    @admin.display(description="Members")
    def member_count(self, team):
        return team.members.count()

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("managers", "members")


class TeamMemberInline(admin.TabularInline):
    model = AccountTeamMember
    extra = 0
    autocomplete_fields = ["user"]


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0


class AlignmentInline(admin.TabularInline):
    model = StrategicAlignment
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "roles", "sponsor", "status", "in_role_since", "communication_preference"]
    show_change_link = True


class InteractionInline(admin.TabularInline):
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


class ValueMetricInline(admin.TabularInline):
    model = ValueMetric
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "industry", "owner", "arr", "renewal_date", "executives", "has_backup",
                    "source", "external_id"]
    list_filter = ["tier", "industry", "source", "owner"]
    search_fields = ["name", "external_id", "industry", "contacts__name"]
    autocomplete_fields = ["owner"]
    inlines = [TeamMemberInline, ContactInline, InteractionInline, GoalInline, AlignmentInline, ValueMetricInline]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        qs = accounts_visible_to(request.user).select_related("owner")
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
