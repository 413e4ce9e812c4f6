from django.contrib import admin
from django.urls import include, path

from config.status import status_page

urlpatterns = [
    path("admin/status/", admin.site.admin_view(status_page), name="operations-status"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("sponsors.urls")),
    path("", include("reports.urls")),
]
