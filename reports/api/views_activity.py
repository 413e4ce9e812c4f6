"""``/api/v1/interactions/`` (touchpoints that happened) and ``/api/v1/touchpoints/`` (planned ones).

Both are created through the ``sponsors.services.touchpoints`` door — ``interaction_log`` and
``touchpoint_plan`` — so the API refuses what the pages refuse (an operational touchpoint with an
executive, a logged time in the future, a plan in the past, a reply before its message), with the same
message on the same field.  Logging an interaction queues the account's refresh: its scores are
recomputed and stored a moment later (read them on the contact or the account)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.models import User
from accounts.selectors import accounts_visible_to
from sponsors.models import Contact, Interaction, PlannedTouchpoint
from sponsors.services.touchpoints import interaction_log, planned_touchpoint_of, touchpoint_cancel, touchpoint_plan

from .base import VisibleViewSet
from .errors import Conflict
from .filters import InteractionFilter, TouchpointFilter
from .requests import Empty, InteractionCreate, TouchpointCreate
from .serializers import InteractionSerializer, TouchpointCreatedSerializer, TouchpointSerializer


def account_and_contacts(user, data):
    """The body's account (one the user may see) and its contacts, or a 400 naming the field."""
    account = accounts_visible_to(user).filter(pk=data["account"]).first()
    if account is None:
        raise ValidationError({"account": ["No such account among yours."]})
    wanted = list(dict.fromkeys(data["contacts"]))
    contacts = list(Contact.objects.filter(pk__in=wanted, account=account))
    found = {c.pk for c in contacts}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({"contacts": [f"Not contacts of {account.name}: {', '.join(map(str, missing))}."]})
    return account, sorted(contacts, key=lambda c: wanted.index(c.pk))


def team_attendees(account, data) -> list:
    """The body's ``team_attendees`` as users, or a 400 naming the ids that are nobody on the account's side
    (whether each is on the account team, the service checks)."""
    wanted = list(dict.fromkeys(data["team_attendees"]))
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in users]
    if missing:
        raise ValidationError({"team_attendees": [f"Not on the account team of {account.name}: "
                                                  f"{', '.join(map(str, missing))}."]})
    return [users[pk] for pk in wanted]


@extend_schema_view(
    list=extend_schema(summary="Interactions on your accounts",
                       description="Newest first.  updated_since: logged or imported since then."),
    retrieve=extend_schema(summary="One interaction"),
    create=extend_schema(summary="Log an interaction",
                         description="Through the same door and refusals as the pages; the account's scores "
                                     "are recomputed a moment later.", request=InteractionCreate,
                         responses={201: InteractionSerializer}),
)
class InteractionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         VisibleViewSet):
    queryset = Interaction.objects.all()
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    ordering_fields = ["occurred_at", "created_at"]
    ordering = ["-occurred_at"]

    def base_queryset(self):
        return Interaction.objects.prefetch_related("participant_links", "team_attendees")

    def create(self, request, *args, **kwargs):
        body = InteractionCreate(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        account, contacts = account_and_contacts(request.user, data)
        plan = planned_touchpoint_of(account, data["touchpoint"]) if data["touchpoint"] is not None else None
        interaction = interaction_log(
            account=account, contacts=contacts, occurred_at=data["occurred_at"], type=data["type"],
            direction=data["direction"], purpose=data["purpose"], outcome=data["outcome"], topics=data["topics"],
            responded_at=data["responded_at"], team_attendees=team_attendees(account, data), by=request.user,
            source="api", fulfils=plan)
        interaction = self.base_queryset().get(pk=interaction.pk)
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Planned touchpoints on your accounts",
                       description="Soonest first.  updated_since: planned since then."),
    retrieve=extend_schema(summary="One planned touchpoint"),
    create=extend_schema(summary="Plan a touchpoint",
                         description="The account team is told of planned executive outreach; outreach to the "
                                     "same executive planned by someone else within 7 days comes back as a "
                                     "conflict warning.", request=TouchpointCreate,
                         responses={201: TouchpointCreatedSerializer}),
)
class TouchpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        VisibleViewSet):
    queryset = PlannedTouchpoint.objects.all()
    serializer_class = TouchpointSerializer
    filterset_class = TouchpointFilter
    ordering_fields = ["planned_on", "created_at"]
    ordering = ["planned_on"]

    def base_queryset(self):
        return PlannedTouchpoint.objects.select_related("planned_by").prefetch_related("contacts", "team_attendees")

    def create(self, request, *args, **kwargs):
        body = TouchpointCreate(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        account, contacts = account_and_contacts(request.user, data)
        touchpoint, conflicts = touchpoint_plan(
            account=account, contacts=contacts, planned_on=data["planned_on"], type=data["type"],
            direction=data["direction"], purpose=data["purpose"], objective=data["objective"],
            team_attendees=team_attendees(account, data), by=request.user)
        touchpoint = self.base_queryset().get(pk=touchpoint.pk)
        touchpoint.conflicts = [c.as_dict() for c in conflicts]
        touchpoint.warnings = [c.message for c in conflicts]
        return Response(TouchpointCreatedSerializer(touchpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Cancel a planned touchpoint",
                   description="Its planner or an admin: it stays on record, cancelled, and leaves the calendars; "
                               "403 for anyone else, 409 when it is no longer planned.",
                   request=Empty, responses=TouchpointSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request, pk=None):
        Empty(data=request.data or {}).is_valid(raise_exception=True)
        try:
            touchpoint = touchpoint_cancel(touchpoint=self.get_object(), by=request.user)
        except DjangoValidationError as exc:
            codes = {e.code for errors in exc.error_dict.values() for e in errors}
            raise (PermissionDenied if "not_the_planner" in codes else Conflict)(" ".join(exc.messages)) from None
        return Response(TouchpointSerializer(self.base_queryset().get(pk=touchpoint.pk)).data)
