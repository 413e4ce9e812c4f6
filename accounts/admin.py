"""Admin for the people on our side: users and CS teams, and what every admin page of the product
shares (``ScopedAdminMixin``): the customer Account admin page is in ``sponsors/admin.py``, beside the
contacts and interactions it shows inline.

The admin respects ``accounts_visible_to`` everywhere, not only in the changelists: every
foreign-key and many-to-many select, every autocomplete (through the related model's scoped
``get_queryset``) and every list filter offers only what the user may see, and every write is
re-checked on save.  Form fields apply the product's input rules (date range, safe JSON).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from .forms import SafeJSONField, validate_product_date
from .models import Account, Team, User
from .selectors import accounts_visible_to


def is_admin(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.role == User.Role.ADMIN))


def users_visible_to(user):
    """The users a staff member may see and pick: everyone for an admin; otherwise themselves, the
    members and managers of their teams (and of the teams they manage), and the owners and account
    teams of the accounts they may see."""
    if is_admin(user):
        return User.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return User.objects.none()
    teams = Team.objects.filter(Q(members=user) | Q(managers=user)).values("pk")
    visible = accounts_visible_to(user).values("pk")
    ids = User.objects.filter(
        Q(pk=user.pk) | Q(teams__in=teams) | Q(managed_teams__in=teams)
        | Q(account_roles__account__in=visible) | Q(owned_accounts__in=visible)).values("pk")
    return User.objects.filter(pk__in=ids)


def teams_visible_to(user):
    if is_admin(user):
        return Team.objects.all()
    ids = Team.objects.filter(Q(members=user) | Q(managers=user)).values("pk")
    return Team.objects.filter(pk__in=ids)


def visible_queryset(model, user):
    """What ``user`` may see of ``model``, or None when the model is not scoped (e.g. permissions)."""
    if model is Account:
        return accounts_visible_to(user)
    if model is User:
        return users_visible_to(user)
    if model is Team:
        return teams_visible_to(user)
    names = {f.name for f in model._meta.get_fields()}
    if "account" in names:
        return model._default_manager.filter(account__in=accounts_visible_to(user))
    if "interaction" in names:
        return model._default_manager.filter(interaction__account__in=accounts_visible_to(user))
    return None


def check_visible_relations(obj, user) -> None:
    """Raise PermissionDenied when ``obj`` points (by a foreign key) at anything ``user`` may not see:
    the save-time re-check behind the scoped selects."""
    for field in obj._meta.concrete_fields:
        if not field.is_relation or not field.many_to_one:
            continue
        value = getattr(obj, field.attname)
        scoped = visible_queryset(field.related_model, user) if value is not None else None
        if scoped is not None and not scoped.filter(pk=value).exists():
            raise PermissionDenied(f"{field.verbose_name}: not among what you may see")


class ScopedAdminMixin:
    """For every ModelAdmin and inline: scoped selects and autocompletes, re-checked writes, the
    product's date range on date fields, safe JSON."""

    formfield_overrides = {models.JSONField: {"form_class": SafeJSONField}}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scoped = visible_queryset(db_field.related_model, request.user)
        if scoped is not None and "queryset" not in kwargs:
            kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        scoped = visible_queryset(db_field.related_model, request.user)
        if scoped is not None and "queryset" not in kwargs:
            kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(db_field, models.DateField):   # DateTimeField too
            field.validators.append(validate_product_date)
        if isinstance(field, SafeJSONField) and field.empty is None and not db_field.null:
            field.empty = db_field.get_default    # an emptied JSON box is the default ([] or {}), not NULL
        return field

    def save_model(self, request, obj, form, change):
        check_visible_relations(obj, request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.has_changed() and inline_form.instance is not None:
                check_visible_relations(inline_form.instance, request.user)
        super().save_formset(request, form, formset, change)


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    list_display = ["email", "first_name", "last_name", "role", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name", "username"]
    fieldsets = DjangoUserAdmin.fieldsets + (("Tracker", {"fields": ["role"]}),)
    # Who may do what is an admin's decision, whatever model permissions a staff member holds.
    ADMIN_ONLY_FIELDS = ["is_superuser", "is_staff", "groups", "user_permissions", "role"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=users_visible_to(request.user).values("pk"))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if is_admin(request.user) else readonly + self.ADMIN_ONLY_FIELDS


@admin.register(Team)
class TeamAdmin(ScopedAdminMixin, admin.ModelAdmin):
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
        return teams_visible_to(request.user).prefetch_related("managers", "members")

    def save_related(self, request, form, formsets, change):
        """A team's members and managers are picked from the scoped selects; a non-admin cannot
        drop people they cannot see either (they stay on the team)."""
        hidden = {}
        if change and not is_admin(request.user):
            visible = users_visible_to(request.user)
            for name in ("managers", "members"):
                hidden[name] = list(getattr(form.instance, name).exclude(pk__in=visible.values("pk")))
        super().save_related(request, form, formsets, change)
        for name, people in hidden.items():
            getattr(form.instance, name).add(*people)
