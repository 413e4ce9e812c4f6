"""Pages and the REST API for reports: the portfolio, the account report and its downloads."""

urlpatterns = []
