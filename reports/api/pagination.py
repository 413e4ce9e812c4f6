"""Cursor pagination for every list of ``/api/v1/`` and the ordering it follows.

A page is ``{"next": url | null, "previous": url | null, "results": […]}``; follow ``next`` until it is
null.  ``page_size`` (1…200, default 50) sets the page's length.  Cursors are opaque; one a client made
up, or one that points at a value the product cannot hold, is a 404 ("Invalid cursor"), never a 500.

``ordering`` (``?ordering=-score``) takes the names a view lists in ``ordering_fields`` (any other is a 400
naming it); a view may map a
public name to the column that sorts it (``ordering_aliases``: ``score`` sorts unscored accounts last
through a non-null annotation).  The primary key always breaks ties, so pages never skip or repeat."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter

from accounts.inputs import date_in_range

MAX_PAGE_SIZE = 200


class AliasOrderingFilter(OrderingFilter):
    """DRF's ordering with public names mapped to sort columns, and the primary key as the last tie-breaker."""

    ordering_description = "Sort by one of the listed fields; a leading - sorts descending."

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view) or ["pk"]
        aliases = getattr(view, "ordering_aliases", {})
        out = []
        for term in ordering:
            sign, name = ("-", term[1:]) if term.startswith("-") else ("", term)
            out.append(sign + aliases.get(name, name))
        if out[-1].lstrip("-") not in ("pk", "id"):
            out.append("-pk" if out[0].startswith("-") else "pk")
        return out

    def remove_invalid_fields(self, queryset, fields, view, request):
        """An ordering the view does not offer is a 400 naming it, not silently the default order."""
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        unknown = [term for term in fields if term not in valid]
        if unknown:
            offered = ", ".join(getattr(view, "ordering_fields", []))
            raise ValidationError({self.ordering_param: [
                f"Cannot sort by {', '.join(unknown)}: sort by one of {offered}, with a leading - to sort "
                f"descending."]})
        return valid

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", [])
        for param in params:
            param["schema"] = {"type": "string", "enum": [*fields, *(f"-{f}" for f in fields)]}
            param["description"] = (f"Sort by {', '.join(fields)}; a leading - sorts descending "
                                    f"(default: {', '.join(getattr(view, 'ordering', []))}).")
        return params


def _output_field(queryset, name):
    if name in queryset.query.annotations:
        return queryset.query.annotations[name].output_field
    try:
        return queryset.model._meta.get_field("id" if name == "pk" else name)
    except FieldDoesNotExist:
        return None


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "pk"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE):
            raise ValidationError({"page_size": [f"A whole number from 1 to {MAX_PAGE_SIZE}."]})
        return int(raw)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            _check_position(self._queryset, self.ordering[0].lstrip("-"), cursor.position,
                            self.invalid_cursor_message)
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        self._queryset = queryset
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema):
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page (null on the last one)."},
                "previous": {**link, "description": "The page before (null on the first one)."},
                "results": {**schema, "description": "This page's items."},
            },
        }

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
                param["description"] = f"Items per page, 1…{MAX_PAGE_SIZE} (default {self.page_size})."
            elif param["name"] == self.cursor_query_param:
                param["description"] = "The cursor of the page to fetch: copy it from next or previous."
        return params


def _check_position(queryset, name, position, message):
    """A cursor's position must be a value of the sorted column that the database can compare with."""
    field = _output_field(queryset, name)
    if field is None or not position.isprintable():
        raise NotFound(message)
    try:
        value = field.to_python(position)
    except (DjangoValidationError, ValueError, TypeError, OverflowError):
        raise NotFound(message) from None
    if isinstance(value, date) and not date_in_range(value):
        raise NotFound(message)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise NotFound(message)
