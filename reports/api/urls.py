"""The routes of ``/api/v1/`` (included by ``reports.urls``), its schema and its documentation pages."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from .views_accounts import AccountViewSet, MeView, PortfolioMetricsView
from .views_activity import InteractionViewSet, TouchpointViewSet
from .views_guardrails import AlertViewSet, OrgChangeViewSet
from .views_people import ContactViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="v1-account")
router.register("contacts", ContactViewSet, basename="v1-contact")
router.register("interactions", InteractionViewSet, basename="v1-interaction")
router.register("touchpoints", TouchpointViewSet, basename="v1-touchpoint")
router.register("org-changes", OrgChangeViewSet, basename="v1-org-change")
router.register("alerts", AlertViewSet, basename="v1-alert")

urlpatterns = [
    path("me/", MeView.as_view(), name="v1-me"),
    path("portfolio/metrics/", PortfolioMetricsView.as_view(), name="v1-portfolio-metrics"),
    path("schema/", SpectacularAPIView.as_view(), name="v1-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="reports:v1-schema"), name="v1-docs"),
    *router.urls,
]
