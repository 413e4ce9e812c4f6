"""Thin views: the job-change webhook and the guardrail API (alerts, org-change review, touchpoints).

Every listing and lookup goes through ``accounts_visible_to``; an object on an account the user
cannot see is a 404, as if it did not exist.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.selectors import accounts_visible_to

from . import orgchanges
from .alerts import alert_acknowledge
from .models import Alert, Contact, OrgChange
from .services import SponsorError
from .touchpoints import touchpoint_plan

# --- the webhook --------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def job_change_webhook(request, provider):
    """``POST /webhooks/job-changes/<provider>/`` — see ``sponsors.orgchanges`` for the payload.

    Signed: ``X-Signature`` = hex HMAC-SHA256 of ``"<X-Timestamp>." + raw body`` with the provider's
    secret; ``X-Timestamp`` = unix seconds, at most 300 s away.  202 stored and queued; 200 with
    ``"duplicate": true`` for a delivery id already received (not processed again).
    """
    try:
        delivery, created = orgchanges.receive_webhook(
            provider=provider, body=request.body, timestamp=request.headers.get("X-Timestamp"),
            signature=request.headers.get("X-Signature"))
    except orgchanges.WebhookRefused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    body = {"delivery": delivery.delivery_id, "duplicate": not created}
    return JsonResponse(body, status=202 if created else 200)


# --- API ------------------------------------------------------------------------------------


def _drf_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class AlertSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    contact_name = serializers.CharField(source="contact.name", read_only=True, default=None)

    class Meta:
        model = Alert
        fields = ["id", "account", "account_name", "code", "subject", "severity", "status", "message", "details",
                  "contact", "contact_name", "due_on", "opened_at", "last_seen_on", "acknowledged_at",
                  "resolved_at"]


class OrgChangeSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    contact_name = serializers.CharField(source="contact.name", read_only=True, default=None)

    class Meta:
        model = OrgChange
        fields = ["id", "account", "account_name", "contact", "contact_name", "kind", "occurred_on", "source",
                  "headline", "url", "confidence", "state", "old_value", "new_value", "evidence"]


class TouchpointRequest(serializers.Serializer):
    account = serializers.IntegerField()
    contacts = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    planned_on = serializers.DateField()
    type = serializers.CharField()
    direction = serializers.CharField(default="meeting")
    purpose = serializers.CharField(default="strategic")
    objective = serializers.CharField(default="", allow_blank=True, max_length=500)


def _visible_alerts(user):
    return Alert.objects.filter(account__in=accounts_visible_to(user)).select_related("account", "contact")


@api_view(["GET"])
def alert_list(request):
    """``GET /api/alerts/?status=open|acknowledged|resolved|all`` (default: unresolved), most severe first."""
    wanted = request.query_params.get("status", "")
    qs = _visible_alerts(request.user)
    if wanted in Alert.Status.values:
        qs = qs.filter(status=wanted)
    elif wanted != "all":
        qs = qs.exclude(status=Alert.Status.RESOLVED)
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    alerts = sorted(qs[:1000], key=lambda a: (rank.get(a.severity, 9), a.account.name, a.code, a.subject))
    return Response({"count": len(alerts), "results": AlertSerializer(alerts, many=True).data,
                     "empty": "No alerts: every guardrail holds on your accounts." if not alerts else ""})


@api_view(["POST"])
def alert_acknowledge_view(request, pk):
    alert = get_object_or_404(_visible_alerts(request.user), pk=pk)
    return Response(AlertSerializer(alert_acknowledge(alert=alert, by=request.user)).data)


@api_view(["POST"])
def alert_accept_succession(request, pk):
    """Make the backup proposed by a ``sponsor_departed`` alert the primary sponsor."""
    alert = get_object_or_404(_visible_alerts(request.user), pk=pk)
    try:
        contact = orgchanges.sponsor_accept_succession(alert=alert, by=request.user)
    except SponsorError as exc:
        raise ValidationError({"detail": str(exc)}) from exc
    return Response({"primary_sponsor": {"id": contact.pk, "name": contact.name}})


def _visible_changes(user):
    return OrgChange.objects.filter(account__in=accounts_visible_to(user)).select_related("account", "contact")


@api_view(["GET"])
def org_change_pending(request):
    """``GET /api/org-changes/pending/``: low-confidence changes waiting for a CSM."""
    changes = list(_visible_changes(request.user).filter(state=OrgChange.State.PENDING).order_by("-occurred_on")[:500])
    return Response({"count": len(changes), "results": OrgChangeSerializer(changes, many=True).data,
                     "empty": "Nothing to review: no unconfirmed org changes." if not changes else ""})


@api_view(["POST"])
def org_change_confirm(request, pk):
    change = get_object_or_404(_visible_changes(request.user), pk=pk)
    return Response(OrgChangeSerializer(orgchanges.org_change_confirm(change=change, by=request.user)).data)


@api_view(["POST"])
def org_change_dismiss(request, pk):
    change = get_object_or_404(_visible_changes(request.user), pk=pk)
    return Response(OrgChangeSerializer(orgchanges.org_change_dismiss(change=change, by=request.user)).data)


@api_view(["POST"])
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
