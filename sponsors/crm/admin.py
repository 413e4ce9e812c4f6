"""The admin of CRM connections: each with its last run and a live progress bar (HTMX polls the run while it
goes), "Sync now" and "Full sync now" actions, credentials entered once and stored encrypted; and the run log.
Connections are the install's settings: admins only.  Writes go through ``sponsors.crm.connections``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html

from .. import crypto
from ..models import CrmConnection, CrmSyncRun
from .connections import (
    EDITABLE,
    NAME,
    RESERVED_NAMES,
    connection_create,
    connection_sync_soon,
    connection_update,
)


class AdminsOnly:
    """Django's permissions, narrowed: only admins see rows or change anything (others see an empty list)."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_admin else qs.none()

    def has_add_permission(self, request):
        return request.user.is_admin and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_admin and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_admin and super().has_delete_permission(request, obj)


class CrmConnectionForm(forms.ModelForm):
    credentials = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="HubSpot: the private app's access token. Salesforce: an access token (with the instance URL "
                  "above), or JSON {\"username\", \"password\", \"security_token\", \"domain\"}. Stored encrypted; "
                  "leave empty to keep the current one, or name an environment variable below instead.")

    class Meta:
        model = CrmConnection
        fields = ["name", "kind", "base_url", "api_prefix", "credentials", "token_env", "options", "analytics_url",
                  "analytics_csv", "enabled"]

    def clean_credentials(self):
        secret = self.cleaned_data["credentials"]
        if secret and (problem := crypto.configuration_problem()):
            raise ValidationError(f"cannot be stored: {problem} (or name an environment variable below instead)")
        return secret

    def clean_name(self):
        name = self.cleaned_data["name"]
        if not self.instance.pk and (not NAME.match(name or "") or name in RESERVED_NAMES):
            raise ValidationError("1–32 lower-case letters, digits, '-' or '_' (not 'snapshot'): it becomes the "
                                  "source name of the connection's accounts")
        return name


def progress_html(run) -> str:
    return render_to_string("admin/sponsors/crm_progress.html", {"run": run})


@admin.register(CrmConnection)
class CrmConnectionAdmin(AdminsOnly, admin.ModelAdmin):
    form = CrmConnectionForm
    list_display = ["name", "kind", "enabled", "credential", "last_run", "progress"]
    readonly_fields = ["credential_hint", "created_at", "updated_at"]
    actions = ["sync_now", "full_sync_now"]

    class Media:
        js = ["vendor/htmx.min.js", "admin/crm-htmx-config.js"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "name"] if obj else self.readonly_fields

    @admin.display(description="Credentials")
    def credential(self, connection):
        return f"${connection.token_env}" if connection.token_env else connection.credential_hint or "— none —"

    def _last(self, connection):
        return connection.runs.order_by("-started_at").first()

    @admin.display(description="Last run")
    def last_run(self, connection):
        run = self._last(connection)
        if run is None:
            return "never synced"
        url = reverse("admin:sponsors_crmsyncrun_change", args=[run.pk])
        return format_html('<a href="{}">{} — {}</a>', url, run.started_at.strftime("%Y-%m-%d %H:%M"),
                           run.get_status_display())

    @admin.display(description="Progress")
    def progress(self, connection):
        run = self._last(connection)
        return format_html("{}", progress_html(run)) if run else "—"

    def get_urls(self):
        progress = self.admin_site.admin_view(self.progress_view)
        return [path("<int:pk>/progress/", progress, name="sponsors_crmconnection_progress"), *super().get_urls()]

    def progress_view(self, request, pk):
        if not request.user.is_admin:
            raise PermissionDenied
        connection = get_object_or_404(CrmConnection, pk=pk)
        return HttpResponse(progress_html(self._last(connection)))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                connection_update(obj, secret=data.get("credentials") or "", **{k: data[k] for k in EDITABLE})
            else:
                created = connection_create(
                    name=data["name"], kind=data["kind"], base_url=data["base_url"], api_prefix=data["api_prefix"],
                    token=data.get("credentials") or "", token_env=data["token_env"], options=data["options"],
                    analytics_url=data["analytics_url"], analytics_csv=data["analytics_csv"])
                obj.pk = created.pk
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    @admin.action(description="Sync now")
    def sync_now(self, request, queryset):
        try:
            for connection in queryset:
                connection_sync_soon(connection)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, f"Queued {queryset.count()} sync(s); the progress shows here.", messages.SUCCESS)

    @admin.action(description="Full sync now (re-read everything)")
    def full_sync_now(self, request, queryset):
        try:
            for connection in queryset:
                connection_sync_soon(connection, full=True)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, f"Queued {queryset.count()} full sync(s).", messages.SUCCESS)


@admin.register(CrmSyncRun)
class CrmSyncRunAdmin(AdminsOnly, admin.ModelAdmin):
    list_display = ["connection", "started_at", "finished_at", "status", "trigger", "full", "pages",
                    "accounts_changed", "problem_count"]
    list_filter = ["connection", "status"]
    readonly_fields = ["connection", "full", "trigger", "status", "started_at", "finished_at", "stage", "pages",
                       "done", "total", "counts", "watermarks", "accounts_changed", "problem_count", "problems",
                       "error"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_admin and super().has_delete_permission(request, obj)
