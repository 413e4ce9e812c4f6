"""Pages and the REST API for reports: the portfolio, the account report and its downloads."""

from django.urls import path

from reports import api, views

app_name = "reports"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("accounts/<int:pk>/report/", views.account_report, name="account_report"),
    path("accounts/<int:pk>/report.<str:fmt>", views.account_report_download, name="account_report_download"),
    path("api/accounts/", api.AccountListAPI.as_view(), name="api_accounts"),
    path("api/accounts/<int:pk>/report/", api.AccountReportAPI.as_view(), name="api_account_report"),
]
