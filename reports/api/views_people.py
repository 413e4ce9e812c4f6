"""``/api/v1/contacts/``: the customer's people — executives with their stored score, its four factors and
notes, their 12-week trend, their history and sponsor role.  Sponsor roles change through
``sponsors.services.sponsors.set_sponsor_role``, for admins only (403 for others)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_serializers import ErrorResponse403Serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from sponsors.audit import contact_changes
from sponsors.models import Contact
from sponsors.selectors.history import score_history
from sponsors.services.sponsors import set_sponsor_role

from .base import VisibleViewSet
from .filters import ContactFilter
from .requests import SponsorRole
from .scores import with_scores
from .serializers import ContactHistorySerializer, ContactSerializer
from .views_accounts import TrendsMixin

HISTORY_CHANGES = 20
DAYS = OpenApiParameter("days", {"type": "integer", "minimum": 1, "maximum": 366},
                        description="How many days of stored scores, ending today (1…366, default 90).")


@extend_schema_view(
    list=extend_schema(summary="The contacts of your accounts",
                       description="Executives and the others, with their stored score (null when not scored).  "
                                   "updated_since: the contact's data changed, or a score was stored for them."),
    retrieve=extend_schema(summary="One contact"),
)
class ContactViewSet(TrendsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleViewSet):
    trend_of_contacts = True
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["name", "score", "updated_at"]
    ordering_aliases = {"score": "sort_score"}
    ordering = ["name"]

    def base_queryset(self):
        return with_scores(Contact.objects.select_related("account"), contact=True, today=self.today())

    @extend_schema(summary="A contact's score history and audited changes", parameters=[DAYS],
                   responses=ContactHistorySerializer)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        contact = self.get_object()
        days = _days(request.query_params.get("days", ""))
        points = score_history(account=contact.account_id, days=days, as_of=self.today()).points(contact.pk)
        changes = contact_changes([contact.pk], limit_per_contact=HISTORY_CHANGES).get(contact.pk, [])
        return Response(ContactHistorySerializer({"points": [_point(p) for p in points], "changes": changes}).data)

    @extend_schema(summary="Make a contact primary or backup sponsor, or remove their role (admins)",
                   description="Only an active executive can be a sponsor; an account has one primary "
                               "(replace_current: the current one becomes a backup).  403 for non-admins.",
                   request=SponsorRole, responses={200: ContactSerializer, 403: ErrorResponse403Serializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def sponsor(self, request, pk=None):
        contact = self.get_object()
        if not request.user.is_admin:
            raise PermissionDenied("Only admins change sponsor roles.")
        body = SponsorRole(data=request.data)
        body.is_valid(raise_exception=True)
        set_sponsor_role(contact=contact, role=body.validated_data["role"], by=request.user, source="api",
                         replace_current=body.validated_data["replace_current"])
        return Response(ContactSerializer(self.get_object(), context=self.get_serializer_context()).data)


def _point(p) -> dict:
    return {"as_of": p.as_of, "score": p.score, "level": p.level, "risk": p.risk}


def _days(raw: str) -> int:
    if raw == "":
        return 90
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 366):
        raise serializers.ValidationError({"days": ["A whole number from 1 to 366."]})
    return int(raw)
