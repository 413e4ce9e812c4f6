"""``/api/v1/org-changes/`` (list, confirm, dismiss: ``sponsors.orgchanges.review``) and ``/api/v1/alerts/``
(list, acknowledge, resolve, accept a succession: ``sponsors.services``).

An alert resolves itself when its condition clears (README "Guardrails and alerts").  ``resolve`` asks for
that now: the account's guardrails are evaluated at once (``evaluate_accounts``); if the condition is gone
the alert comes back resolved, and if it still holds the answer is a 409 saying so — an alert is never
closed over a condition that is still true (it would only open again at the next sweep)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from sponsors.models import Alert, Contact, OrgChange
from sponsors.orgchanges.review import org_change_confirm, org_change_dismiss
from sponsors.services.alerts import alert_acknowledge, evaluate_accounts
from sponsors.services.sponsors import SponsorError, sponsor_accept_succession

from .base import VisibleViewSet
from .errors import Conflict
from .filters import AlertFilter, OrgChangeFilter
from .requests import Empty, OrgChangeConfirm
from .scores import with_scores
from .serializers import AlertSerializer, OrgChangeSerializer, SuccessionSerializer

ACTION = {"detail": True, "methods": ["post"], "filter_backends": [], "pagination_class": None}


def _body(serializer_class, request):
    body = serializer_class(data=request.data if request.data else {})
    body.is_valid(raise_exception=True)
    return body.validated_data


@extend_schema_view(
    list=extend_schema(summary="Org changes on your accounts",
                       description="Newest first; ?state=pending for those awaiting confirmation.  "
                                   "updated_since: recorded, confirmed or dismissed since then."),
    retrieve=extend_schema(summary="One org change"),
)
class OrgChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleViewSet):
    queryset = OrgChange.objects.all()
    serializer_class = OrgChangeSerializer
    filterset_class = OrgChangeFilter
    ordering_fields = ["occurred_on", "created_at"]
    ordering = ["-occurred_on"]

    def base_queryset(self):
        return OrgChange.objects.select_related("contact", "reviewed_by")

    @extend_schema(summary="Confirm an org change",
                   description="It may now alert; a departure marks the contact departed (and escalates), a "
                               "promotion or role change gives the contact the new title.",
                   request=OrgChangeConfirm, responses=OrgChangeSerializer)
    @action(**ACTION)
    def confirm(self, request, pk=None):
        title = _body(OrgChangeConfirm, request).get("title")
        change = org_change_confirm(change=self.get_object(), by=request.user, title=title)
        return Response(OrgChangeSerializer(self.base_queryset().get(pk=change.pk)).data)

    @extend_schema(summary="Dismiss an org change", description="The same change arriving again stays dismissed.",
                   request=Empty, responses=OrgChangeSerializer)
    @action(**ACTION)
    def dismiss(self, request, pk=None):
        _body(Empty, request)
        change = org_change_dismiss(change=self.get_object(), by=request.user)
        return Response(OrgChangeSerializer(self.base_queryset().get(pk=change.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="Alerts on your accounts",
                       description="Newest first; ?status=unresolved for the open and acknowledged ones.  "
                                   "updated_since: opened, acknowledged or resolved since then."),
    retrieve=extend_schema(summary="One alert"),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleViewSet):
    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["opened_at"]
    ordering = ["-opened_at"]

    def base_queryset(self):
        return Alert.objects.select_related("contact")

    def _fresh(self, alert):
        return self.base_queryset().get(pk=alert.pk)

    @extend_schema(summary="Acknowledge an alert", description="Someone is on it (a resolved alert stays resolved).",
                   request=Empty, responses=AlertSerializer)
    @action(**ACTION)
    def acknowledge(self, request, pk=None):
        _body(Empty, request)
        alert = alert_acknowledge(alert=self.get_object(), by=request.user)
        return Response(AlertSerializer(self._fresh(alert)).data)

    @extend_schema(summary="Resolve an alert whose condition has cleared",
                   description="Evaluates the account's guardrails now: 200 with the alert resolved, or 409 "
                               "when its condition still holds (it resolves itself once it clears).",
                   request=Empty, responses=AlertSerializer)
    @action(**ACTION)
    def resolve(self, request, pk=None):
        _body(Empty, request)
        alert = self.get_object()
        if alert.status != Alert.Status.RESOLVED:
            evaluate_accounts(account_ids=[alert.account_id], as_of=timezone.localdate())
            alert = self._fresh(alert)
        if alert.status != Alert.Status.RESOLVED:
            raise Conflict(f"The condition still holds: {alert.message} The alert resolves itself once it "
                           "clears; acknowledge it to show someone is on it.")
        return Response(AlertSerializer(alert).data)

    @extend_schema(summary="Accept a succession",
                   description="A sponsor_departed alert's proposed backup becomes the primary sponsor; 409 "
                               "when no backup is proposed (or it can no longer be).",
                   request=Empty, responses=SuccessionSerializer)
    @action(url_path="accept-succession", **ACTION)
    def accept_succession(self, request, pk=None):
        _body(Empty, request)
        alert = self.get_object()
        try:
            contact = sponsor_accept_succession(alert=alert, by=request.user, source="api")
        except SponsorError as exc:
            raise Conflict(str(exc)) from None
        primary = with_scores(Contact.objects.select_related("account"), contact=True,
                              today=timezone.localdate()).get(pk=contact.pk)
        return Response(SuccessionSerializer({"primary_sponsor": primary, "alert": self._fresh(alert)},
                                             context={"trends": {}}).data)
