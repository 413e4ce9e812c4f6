from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from config.status import status_page

# How long a password-reset link works, said on the page and in the e-mail (whole days: the setting's default is 3).
RESET_DAYS = {"timeout_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's, the API docs, an e-mail preview)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/status/", admin.site.admin_view(status_page), name="operations-status"),
    path("admin/", admin.site.urls),
    path("accounts/password_reset/", auth_views.PasswordResetView.as_view(extra_email_context=RESET_DAYS),
         name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(extra_context=RESET_DAYS),
         name="password_reset_done"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("sponsors.urls")),
    path("", include("reports.urls")),
]
