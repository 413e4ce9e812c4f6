"""The admin's status page (``/admin/status/``): what ``manage.py status`` prints — each worker queue's
last task and live workers, beat's last tick, the outbox backlog and the oldest unsent escalation —
with what is stalled on top.  Staff only (the admin site's own login)."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse

from sponsors.selectors.operations import operations_status


def status_page(request):
    status = operations_status()
    context = {**admin.site.each_context(request), "title": "Status of the tracker's processes", "status": status}
    return TemplateResponse(request, "admin/operations_status.html", context, status=200)
