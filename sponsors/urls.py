"""The sponsors app's own endpoint: the job-change webhook (the API is in ``reports/urls.py``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/job-changes/<slug:provider>/", views.job_change_webhook, name="job-change-webhook"),
]
