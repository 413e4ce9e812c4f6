"""Sponsor-side endpoints: the job-change webhook, alert and org-change actions, touchpoint planning."""

urlpatterns = []
