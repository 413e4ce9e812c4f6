"""Admin of the notification channels: each team's Slack incoming webhook.

(It sits here, beside the digest it carries, because ``sponsors/admin.py`` is kept for the tracker's
records.)  The webhook URL is write-only: the form takes a new one and stores it encrypted
(``SlackChannel.set_webhook_url``); the list shows only its host and last characters.  Admins see every
team's channel, a manager their own teams', nobody else any.
"""

from django import forms
from django.contrib import admin
from django.db.models import Q

from accounts.models import Team
from sponsors.models import PortfolioMetricSnapshot, SlackChannel


class SlackChannelForm(forms.ModelForm):
    webhook_url = forms.CharField(
        required=False, max_length=500, widget=forms.PasswordInput(render_value=False),
        help_text="Slack → Apps → Incoming Webhooks → the channel's webhook URL. Stored encrypted; leave empty "
                  "to keep the current one. Saving a new URL enables the channel again.")

    class Meta:
        model = SlackChannel
        fields = ["team", "webhook_url", "enabled"]

    def clean(self):
        cleaned = super().clean()
        url = (cleaned.get("webhook_url") or "").strip()
        if not url and not self.instance.webhook_url_encrypted:
            self.add_error("webhook_url", "A new channel needs its webhook URL.")
        elif url:
            self.instance.set_webhook_url(url)         # a ValidationError names the field
            cleaned["enabled"] = True
        return cleaned


@admin.register(SlackChannel)
class SlackChannelAdmin(admin.ModelAdmin):
    form = SlackChannelForm
    list_display = ["team", "webhook_hint", "enabled", "disabled_at", "disabled_reason"]
    list_filter = ["enabled"]
    readonly_fields = ["webhook_hint", "disabled_at", "disabled_reason", "created_at", "updated_at"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("team")
        if request.user.is_admin:
            return qs
        return qs.filter(team__managers=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "team" and not request.user.is_admin:
            field.queryset = field.queryset.filter(managers=request.user)
        return field


@admin.register(PortfolioMetricSnapshot)
class PortfolioMetricSnapshotAdmin(admin.ModelAdmin):
    list_display = ["scope", "as_of", "accounts", "exec_engagement_rate", "exec_touchpoint_cadence",
                    "qbr_exec_attendance", "sponsor_retention", "multi_thread_score"]
    list_filter = ["as_of"]
    search_fields = ["scope"]

    def get_queryset(self, request):
        """Admins see every scope; others their own book's and their teams' (never another team's)."""
        qs = super().get_queryset(request)
        user = request.user
        if user.is_admin:
            return qs
        teams = [t.pk for t in Team.objects.filter(Q(managers=user) | Q(members=user)).distinct()]
        return qs.filter(Q(scope=f"user:{user.pk}") | Q(team_id__in=teams))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
