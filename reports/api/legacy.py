"""The first REST API, kept as it was at ``/api/…`` (the versioned API is ``/api/v1/``, ``reports.api.urls``):
the visible accounts with their overall engagement, one account's report as JSON
(exactly ``render_json.to_json_dict``, the contract ``schemas/sponsor-report.schema.json``), and the
guardrail endpoints (alerts, org-change review, touchpoint planning).

Every listing and lookup goes through ``accounts_visible_to``; an object on an account the user
cannot see is a 404, as if it did not exist.  Writes go through the ``sponsors`` services.  Its responses
and errors keep their old shapes; personal tokens work here too, and so does HTTP Basic auth, which
existing scripts may use (the versioned API takes tokens and the session only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.decorators import api_view, authentication_classes
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.inputs import shown
from accounts.selectors import accounts_visible_to
from accounts.vocabulary import severity_rank
from reports.api.auth import ApiTokenAuthentication
from reports.builder import build_sponsor_report
from reports.params import BadParameter, parse_as_of
from reports.portfolio import load_portfolio
from reports.render_json import to_json_dict
from reports.serializers import AlertSerializer, OrgChangeSerializer, SponsorRoleRequest, TouchpointRequest
from sponsors.models import Alert, Contact, OrgChange
from sponsors.orgchanges.review import org_change_confirm, org_change_dismiss
from sponsors.services.alerts import alert_acknowledge
from sponsors.services.sponsors import SponsorError, set_sponsor_role, sponsor_accept_succession
from sponsors.services.touchpoints import touchpoint_plan

LEGACY_AUTHENTICATION = [ApiTokenAuthentication, SessionAuthentication, BasicAuthentication]


def _as_of(request):
    try:
        return parse_as_of(request.query_params.get("as_of"))
    except BadParameter as exc:
        raise ValidationError({exc.field: [exc.message]}) from None


class AccountListAPI(APIView):
    """``GET /api/accounts/?as_of=``: the accounts the user may see, with overall score and level."""

    authentication_classes = LEGACY_AUTHENTICATION

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

    authentication_classes = LEGACY_AUTHENTICATION

    def get(self, request, pk):
        account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
        as_of = _as_of(request)
        return Response(to_json_dict(build_sponsor_report(account=account, as_of=as_of)))


# --- guardrails: alerts, org-change review, touchpoints ----------------------------------------------


def _drf_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


def _visible_alerts(user):
    return Alert.objects.filter(account__in=accounts_visible_to(user)).select_related("account", "contact")


@api_view(["GET"])
@authentication_classes(LEGACY_AUTHENTICATION)
def alert_list(request):
    """``GET /api/alerts/?status=open|acknowledged|resolved|all`` (default: unresolved), most severe first."""
    wanted = request.query_params.get("status", "")
    if wanted not in (*Alert.Status.values, "all", ""):
        allowed = ", ".join((*Alert.Status.values, "all"))
        raise ValidationError({"status": [f"{shown(wanted)} is not one of: {allowed}"]})
    qs = _visible_alerts(request.user)
    if wanted in Alert.Status.values:
        qs = qs.filter(status=wanted)
    elif wanted != "all":
        qs = qs.exclude(status=Alert.Status.RESOLVED)
    alerts = sorted(qs[:1000], key=lambda a: (-severity_rank(a.severity), a.account.name, a.code, a.subject))
    return Response({"count": len(alerts), "results": AlertSerializer(alerts, many=True).data,
                     "empty": "No alerts: every guardrail holds on your accounts." if not alerts else ""})


@api_view(["POST"])
@authentication_classes(LEGACY_AUTHENTICATION)
def alert_acknowledge_view(request, pk):
    alert = get_object_or_404(_visible_alerts(request.user), pk=pk)
    return Response(AlertSerializer(alert_acknowledge(alert=alert, by=request.user)).data)


@api_view(["POST"])
@authentication_classes(LEGACY_AUTHENTICATION)
def alert_accept_succession(request, pk):
    """Make the backup proposed by a ``sponsor_departed`` alert the primary sponsor."""
    alert = get_object_or_404(_visible_alerts(request.user), pk=pk)
    try:
        contact = sponsor_accept_succession(alert=alert, by=request.user)
    except SponsorError as exc:
        raise ValidationError({"detail": str(exc)}) from exc
    return Response({"primary_sponsor": {"id": contact.pk, "name": contact.name}})


def _visible_changes(user):
    return OrgChange.objects.filter(account__in=accounts_visible_to(user)).select_related("account", "contact")


@api_view(["GET"])
@authentication_classes(LEGACY_AUTHENTICATION)
def org_change_pending(request):
    """``GET /api/org-changes/pending/``: low-confidence changes waiting for a CSM."""
    changes = list(_visible_changes(request.user).filter(state=OrgChange.State.PENDING).order_by("-occurred_on")[:500])
    return Response({"count": len(changes), "results": OrgChangeSerializer(changes, many=True).data,
                     "empty": "Nothing to review: no unconfirmed org changes." if not changes else ""})


@api_view(["POST"])
@authentication_classes(LEGACY_AUTHENTICATION)
def org_change_confirm_view(request, pk):
    change = get_object_or_404(_visible_changes(request.user), pk=pk)
    return Response(OrgChangeSerializer(org_change_confirm(change=change, by=request.user)).data)


@api_view(["POST"])
@authentication_classes(LEGACY_AUTHENTICATION)
def org_change_dismiss_view(request, pk):
    change = get_object_or_404(_visible_changes(request.user), pk=pk)
    return Response(OrgChangeSerializer(org_change_dismiss(change=change, by=request.user)).data)


@api_view(["POST"])
@authentication_classes(LEGACY_AUTHENTICATION)
def touchpoint_create(request):
    """``POST /api/touchpoints/`` → 201 with ``conflicts`` (warnings), or 400 naming the field."""
    data = TouchpointRequest(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    account = accounts_visible_to(request.user).filter(pk=v["account"]).first()
    if account is None:
        raise ValidationError({"account": "No such account among yours."})
    contacts = list(Contact.objects.filter(pk__in=v["contacts"], account=account))
    missing = sorted(set(v["contacts"]) - {c.pk for c in contacts})
    if missing:
        raise ValidationError({"contacts": f"Not contacts of {account.name}: {', '.join(map(str, missing))}."})
    try:
        touchpoint, conflicts = touchpoint_plan(
            account=account, contacts=contacts, planned_on=v["planned_on"], type=v["type"],
            direction=v["direction"], purpose=v["purpose"], objective=v["objective"], by=request.user)
    except DjangoValidationError as exc:
        raise _drf_error(exc) from exc
    return Response({
        "id": touchpoint.pk, "account": account.pk, "planned_on": touchpoint.planned_on.isoformat(),
        "type": touchpoint.type, "direction": touchpoint.direction, "purpose": touchpoint.purpose,
        "contacts": [c.pk for c in contacts], "conflicts": [c.as_dict() for c in conflicts],
        "warnings": [c.message for c in conflicts],
    }, status=status.HTTP_201_CREATED)


# --- sponsor roles (admins) -------------------------------------------------------------------------------

@api_view(["POST"])
@authentication_classes(LEGACY_AUTHENTICATION)
def contact_sponsor(request, pk):
    """``POST /api/contacts/<id>/sponsor/`` ``{"role": "primary"|"backup"|"none", "replace_current": false}``:
    admins only (403 otherwise); a refusal is 400 naming the field, and nothing changes."""
    contact = get_object_or_404(Contact.objects.filter(account__in=accounts_visible_to(request.user)), pk=pk)
    if not request.user.is_admin:
        raise PermissionDenied("Only admins change sponsor roles.")
    body = SponsorRoleRequest(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        contact = set_sponsor_role(contact=contact, role=body.validated_data["role"], by=request.user, source="api",
                                   replace_current=body.validated_data["replace_current"])
    except SponsorError as exc:
        raise ValidationError({exc.field: [str(exc)]}) from exc
    return Response({"id": contact.pk, "name": contact.name, "sponsor_role": contact.sponsor or None,
                     "status": contact.status})
