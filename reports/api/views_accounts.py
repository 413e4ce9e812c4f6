"""``/api/v1/accounts/`` (with each account's report JSON), ``/api/v1/me/`` and ``/api/v1/portfolio/metrics/``."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Account, AccountTeamMember
from accounts.selectors import accounts_visible_to
from accounts.vocabulary import TEAM_ROLE_ORDER
from reports.builder import build_sponsor_report
from reports.metric_history import scope_user, series, week_end
from reports.render_json import to_json_dict
from sponsors.config import rules_config

from .base import V1APIView, VisibleViewSet, as_of_param
from .filters import AccountFilter
from .scores import trends, with_scores
from .serializers import AccountSerializer, PersonSerializer, ro

AS_OF = OpenApiParameter("as_of", {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                         description="The day, YYYY-MM-DD (1900-01-01 … 2200-12-31; default: today).")


class TrendsMixin:
    """Attach the 12-week trends of a page (or of one object) in one query."""

    trend_of_contacts = False

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._trends = trends([o.pk for o in page or ()], contact=self.trend_of_contacts, today=self.today())
        return page

    def get_object(self):
        obj = super().get_object()
        self._trends = trends([obj.pk], contact=self.trend_of_contacts, today=self.today())
        return obj

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "trends": getattr(self, "_trends", {})}


@extend_schema_view(
    list=extend_schema(summary="The accounts you may see",
                       description="With their stored overall score, level, risk and 12-week trend.  "
                                   "updated_since: the account's data changed, or a score was stored for it."),
    retrieve=extend_schema(summary="One account"),
)
class AccountViewSet(TrendsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleViewSet):
    account_path = "pk"
    queryset = Account.objects.all()          # the model, for the schema; requests use get_queryset
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["name", "score", "updated_at"]
    ordering_aliases = {"score": "sort_score"}
    ordering = ["name"]

    def base_queryset(self):
        role_order = Case(*(When(role=role, then=Value(rank)) for role, rank in TEAM_ROLE_ORDER.items()),
                          default=Value(9), output_field=IntegerField())
        team = AccountTeamMember.objects.select_related("user").order_by(role_order, "user__email")
        accounts = Account.objects.select_related("owner").prefetch_related(Prefetch("team_members", team))
        return with_scores(accounts, contact=False, today=self.today())

    @extend_schema(summary="The Executive Sponsor Report of an account, as JSON",
                   description="Exactly the report's JSON (schema: SponsorReport), for any day.",
                   parameters=[AS_OF], responses={200: {"$ref": "#/components/schemas/SponsorReport"}})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def report(self, request, pk=None):
        account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
        as_of = as_of_param(request)
        return Response(to_json_dict(build_sponsor_report(account=account, as_of=as_of)))


class TeamRef(serializers.Serializer):
    id = ro(serializers.IntegerField, "The team's id.")
    name = ro(serializers.CharField, "The team's name.")


class MeSerializer(PersonSerializer):
    role = serializers.ChoiceField(choices=["csm", "manager", "admin"], read_only=True, help_text="Your role.")
    is_admin = ro(serializers.BooleanField, "Admins see every account and change sponsor roles.")
    time_zone = ro(serializers.CharField, "Your time zone (empty: the site's).")
    teams = TeamRef(many=True, read_only=True, source="teams.all", help_text="The teams you are on.")
    managed_teams = TeamRef(many=True, read_only=True, source="managed_teams.all",
                            help_text="The teams you manage.")
    visible_accounts = ro(serializers.IntegerField, "How many accounts you may see.")


class MeView(V1APIView):
    @extend_schema(summary="You", responses=MeSerializer)
    def get(self, request):
        user = request.user
        user.visible_accounts = accounts_visible_to(user).count()
        return Response(MeSerializer(user).data)


class MetricPointSerializer(serializers.Serializer):
    as_of = ro(serializers.DateField, "The day (weeks end on Sundays).")
    value = ro(serializers.FloatField, "The value that day (null: no data).", allow_null=True)


class MetricSerializer(serializers.Serializer):
    key = ro(serializers.CharField, "The metric.")
    label = ro(serializers.CharField, "The metric in words.")
    description = ro(serializers.CharField, "How it is measured.")
    unit = ro(serializers.CharField, "%, days or execs.")
    target = ro(serializers.FloatField, "The target.")
    above = ro(serializers.BooleanField, "true: met above the target; false: met below it.")
    value = ro(serializers.FloatField, "The value as of the last week (null: no data).", allow_null=True)
    met = ro(serializers.BooleanField, "Whether the target is met (null: no data).", allow_null=True)
    trend = MetricPointSerializer(many=True, read_only=True, help_text="One value a week, oldest first "
                                                                        "(null where no data).")


class PortfolioMetricsSerializer(serializers.Serializer):
    scope = ro(serializers.CharField, "Whose accounts: yours (a CSM's book, a manager's teams; all for an admin).")
    as_of = ro(serializers.DateField, "The last week's day.")
    accounts = ro(serializers.IntegerField, "How many accounts the metrics are over, as of that day.")
    metrics = MetricSerializer(many=True, read_only=True, help_text="The spec's five portfolio metrics.")


WEEKS = OpenApiParameter("weeks", {"type": "integer", "minimum": 1, "maximum": 52},
                         description="How many weeks of trend (1…52, default 12).")


class PortfolioMetricsView(V1APIView):
    @extend_schema(summary="The portfolio metrics of your accounts, with their trend",
                   description="The weekly stored metrics of your scope (as the weekly job stores them); the "
                               "last week is computed when it is not stored yet.  as_of defaults to last Sunday.",
                   parameters=[AS_OF, WEEKS], responses=PortfolioMetricsSerializer)
    def get(self, request):
        as_of = as_of_param(request) if request.query_params.get("as_of") else week_end(timezone.localdate())
        weeks = _weeks(request.query_params.get("weeks", ""))
        scope = scope_user(request.user)
        points = series(scope, as_of=as_of, weeks=weeks, compute_missing="latest", save=False)
        config = rules_config()
        latest = points[-1][1]
        metrics = []
        for metric in latest.metrics(config):
            trend = [{"as_of": day, "value": p.values.get(metric.key) if p else None} for day, p in points]
            metrics.append({"key": metric.key, "label": metric.label, "description": metric.description,
                            "unit": metric.unit, "target": metric.target, "above": metric.above,
                            "value": metric.value, "met": metric.met, "trend": trend})
        return Response(PortfolioMetricsSerializer({"scope": scope.label, "as_of": as_of,
                                                    "accounts": latest.accounts, "metrics": metrics}).data)


def _weeks(raw: str) -> int:
    if raw == "":
        return 12
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 52):
        raise serializers.ValidationError({"weeks": ["A whole number from 1 to 52."]})
    return int(raw)
