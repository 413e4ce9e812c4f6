"""REST API (DRF): the visible accounts with their overall engagement, and one account's report as
JSON (exactly ``render_json.to_json_dict``, the contract ``schemas/sponsor-report.schema.json``)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import accounts_visible_to
from reports.builder import build_sponsor_report
from reports.params import BadParameter, parse_as_of
from reports.portfolio import load_portfolio
from reports.render_json import to_json_dict


def _as_of(request):
    try:
        return parse_as_of(request.query_params.get("as_of"))
    except BadParameter as exc:
        raise ValidationError({exc.field: [exc.message]}) from None


class AccountListAPI(APIView):
    """``GET /api/accounts/?as_of=``: the accounts the user may see, with overall score and level."""

    def get(self, request):
        as_of = _as_of(request)
        portfolio = load_portfolio(accounts_visible_to(request.user), as_of=as_of)
        return Response({
            "as_of": as_of.isoformat(),
            "accounts": [
                {
                    "id": r.account_id, "name": r.name, "tier": r.tier,
                    "overall": {"score": r.score, "status": r.level, "risk": r.risk},
                    "primary_sponsor": r.primary_sponsor, "has_backup": r.has_backup,
                    "days_since_exec_touch": r.days_since_exec_touch, "cadence_days": r.cadence_days,
                    "findings": r.findings,
                }
                for r in portfolio.rows
            ],
        })


class AccountReportAPI(APIView):
    """``GET /api/accounts/<pk>/report/?as_of=``: the report as JSON."""

    def get(self, request, pk):
        account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
        as_of = _as_of(request)
        return Response(to_json_dict(build_sponsor_report(account=account, as_of=as_of)))
