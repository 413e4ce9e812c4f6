"""What every ``/api/v1/`` view shares: the one error shape, and querysets scoped by THE visibility rule.

``VisibleViewSet.get_queryset`` filters ``base_queryset()`` by ``accounts_visible_to(request.user)``
through ``account_path`` (the way the model reaches its account): a list never holds another team's
objects, and ``get_object`` on one is a 404 — the same as an id that does not exist."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.selectors import accounts_visible_to
from reports.params import BadParameter, parse_as_of

from .errors import exception_handler


class V1:
    """Mixin: JSON only (the documentation page replaces DRF's browsable pages) and the standardized error
    handler (one shape, field paths)."""

    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return exception_handler


class V1APIView(V1, APIView):
    pass


class VisibleViewSet(V1, viewsets.GenericViewSet):
    account_path = "account"            # how the model reaches Account ("pk" for accounts themselves)
    lookup_value_regex = "[0-9]{1,18}"

    def base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        visible = accounts_visible_to(self.request.user)
        return self.base_queryset().filter(**{f"{self.account_path}__in": visible.values("pk")})

    def today(self):
        return timezone.localdate()

    def filter_queryset(self, queryset):
        if self.action == "list":
            self._refuse_unknown_parameters()
        return super().filter_queryset(queryset)

    def _refuse_unknown_parameters(self):
        """A list's query parameter it does not know is a 400 naming it (a typo such as ``?teir=smb`` would
        otherwise answer the whole list), as an unknown field of a body is."""
        known = {"cursor", "page_size", "format"}
        if getattr(self, "filterset_class", None) is not None:
            known |= set(self.filterset_class.base_filters)
        if getattr(self, "ordering_fields", None):
            known.add(api_settings.ORDERING_PARAM)
        unknown = sorted(set(self.request.query_params) - known)
        if unknown:
            raise ValidationError({name: [f"Unknown parameter; this list takes: {', '.join(sorted(known))}."]
                                   for name in unknown})


def as_of_param(request):
    """``?as_of=YYYY-MM-DD`` (default today), a 400 naming ``as_of`` when it is not a date in range."""
    try:
        return parse_as_of(request.query_params.get("as_of"))
    except BadParameter as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
