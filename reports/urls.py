"""Pages and the REST API for reports: the portfolio, the account report, its downloads and panel actions."""

from django.urls import include, path

from reports import calendar_views, digest_views, inbox, token_views, views, workspace_views
from reports.api import legacy as api
from reports.api import urls as api_v1

app_name = "reports"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("portfolio.csv", views.portfolio_csv, name="portfolio_csv"),
    path("ping/", views.ping, name="ping"),
    path("accounts/<int:pk>/", workspace_views.account, name="account"),
    path("accounts/<int:pk>/interactions/", workspace_views.interaction_log_action, name="interaction_log"),
    path("accounts/<int:pk>/interactions/<int:interaction_id>/edit/", workspace_views.interaction_edit_action,
         name="interaction_edit"),
    path("accounts/<int:pk>/interactions/<int:interaction_id>/delete/", workspace_views.interaction_delete_action,
         name="interaction_delete"),
    path("accounts/<int:pk>/touchpoints/", workspace_views.touchpoint_plan_action, name="touchpoint_plan"),
    path("accounts/<int:pk>/touchpoints/check/", workspace_views.touchpoint_check, name="touchpoint_check"),
    path("accounts/<int:pk>/touchpoints/<int:touchpoint_id>/cancel/", workspace_views.touchpoint_cancel_action,
         name="touchpoint_cancel"),
    path("accounts/<int:pk>/contacts/", workspace_views.contact_add_action, name="contact_add"),
    path("accounts/<int:pk>/contacts/<int:contact_id>/edit/", workspace_views.contact_edit_action,
         name="contact_edit"),
    path("alerts/", inbox.inbox, name="inbox"),
    path("alerts/acknowledge-shown/", inbox.acknowledge_shown, name="inbox_acknowledge_shown"),
    path("alerts/<int:alert_id>/<str:action>/", inbox.alert_action, name="inbox_alert"),
    path("alerts/org-changes/<int:change_id>/<str:action>/", inbox.org_change_action, name="inbox_org_change"),
    path("calendar/", calendar_views.calendar, name="calendar"),
    path("calendar/subscription/", calendar_views.subscription, name="calendar_subscription"),
    path("calendar/feed/<str:token>.ics", calendar_views.feed, name="calendar_feed"),
    path("accounts/<int:pk>/report/", views.account_report, name="account_report"),
    path("accounts/<int:pk>/report.<str:fmt>", views.account_report_download, name="account_report_download"),
    path("accounts/<int:pk>/alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge_action,
         name="alert_acknowledge"),
    path("accounts/<int:pk>/alerts/<int:alert_id>/accept-succession/", views.alert_accept_succession_action,
         name="alert_accept_succession"),
    path("accounts/<int:pk>/org-changes/<int:change_id>/confirm/", views.org_change_confirm_action,
         name="org_change_confirm"),
    path("accounts/<int:pk>/org-changes/<int:change_id>/dismiss/", views.org_change_dismiss_action,
         name="org_change_dismiss"),
    path("accounts/<int:pk>/contacts/<int:contact_id>/sponsor/", views.contact_sponsor_action, name="contact_sponsor"),
    path("accounts/<int:pk>/contacts/<int:contact_id>/departed/", views.contact_departed_action,
         name="contact_departed"),
    path("api/v1/", include(api_v1.urlpatterns)),
    # The first API, kept as it was (reports/api/legacy.py); /api/v1/ supersedes it.
    path("api/accounts/", api.AccountListAPI.as_view(), name="api_accounts"),
    path("api/accounts/<int:pk>/report/", api.AccountReportAPI.as_view(), name="api_account_report"),
    path("api/alerts/", api.alert_list, name="api-alerts"),
    path("api/alerts/<int:pk>/acknowledge/", api.alert_acknowledge_view, name="api-alert-acknowledge"),
    path("api/alerts/<int:pk>/accept-succession/", api.alert_accept_succession, name="api-alert-succession"),
    path("api/org-changes/pending/", api.org_change_pending, name="api-org-changes-pending"),
    path("api/org-changes/<int:pk>/confirm/", api.org_change_confirm_view, name="api-org-change-confirm"),
    path("api/org-changes/<int:pk>/dismiss/", api.org_change_dismiss_view, name="api-org-change-dismiss"),
    path("api/touchpoints/", api.touchpoint_create, name="api-touchpoints"),
    path("api/contacts/<int:pk>/sponsor/", api.contact_sponsor, name="api-contact-sponsor"),
    path("digest/unsubscribe/<str:token>/", digest_views.unsubscribe, name="digest_unsubscribe"),
    path("settings/digest/", digest_views.preferences, name="digest_preferences"),
    path("settings/digest/preview/", digest_views.preview, name="digest_preview"),
    path("settings/api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("settings/api-tokens/<int:pk>/revoke/", token_views.api_token_revoke, name="api_token_revoke"),
]
