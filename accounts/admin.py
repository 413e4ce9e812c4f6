"""Admin for the people on our side: users and CS teams.  The customer Account admin page is in
``sponsors/admin.py``, beside the contacts and interactions it shows inline."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Team, User


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
