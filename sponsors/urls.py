"""Sponsor-side endpoints: the job-change webhook, alert and org-change actions, touchpoint planning."""

from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/job-changes/<slug:provider>/", views.job_change_webhook, name="job-change-webhook"),
    path("api/alerts/", views.alert_list, name="api-alerts"),
    path("api/alerts/<int:pk>/acknowledge/", views.alert_acknowledge_view, name="api-alert-acknowledge"),
    path("api/alerts/<int:pk>/accept-succession/", views.alert_accept_succession, name="api-alert-succession"),
    path("api/org-changes/pending/", views.org_change_pending, name="api-org-changes-pending"),
    path("api/org-changes/<int:pk>/confirm/", views.org_change_confirm, name="api-org-change-confirm"),
    path("api/org-changes/<int:pk>/dismiss/", views.org_change_dismiss, name="api-org-change-dismiss"),
    path("api/touchpoints/", views.touchpoint_create, name="api-touchpoints"),
]
