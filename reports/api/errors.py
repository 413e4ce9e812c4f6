"""Errors of ``/api/v1/``, in one shape (drf-standardized-errors), documented in the schema::

    {"type": "validation_error" | "client_error",
     "errors": [{"code": "invalid", "detail": "…in words…", "attr": "contacts.0" | null}]}

``attr`` is the field path (nested fields and list items joined by dots) or null when the error is about
the request as a whole.  Status codes: 400 bad input (nothing was written), 401 no or a bad token, 403
allowed to see but not to do (sponsor roles: admins), 404 no such object among yours, 405 wrong method,
409 the state of the object refuses the action, 429 too many requests (``Retry-After``).

The services refuse with Django's ``ValidationError`` naming the field (``SponsorError`` among them); the
handler turns it into a 400 with that field as ``attr``, as the pages show it next to the field."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler as BaseExceptionHandler
from drf_standardized_errors.handler import exception_handler
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ValidationErrorEnum
from rest_framework import exceptions, serializers, status

from accounts.inputs import InputError

__all__ = ["Conflict", "ExceptionHandler", "exception_handler", "from_django"]


class Conflict(exceptions.APIException):
    """409: the object's state refuses the action (e.g. resolving an alert whose condition still holds)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object's current state does not allow this."
    default_code = "conflict"


def from_django(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's refusal as a DRF validation error, keeping the field it names."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({field: [str(m) for m in messages]
                                           for field, messages in exc.message_dict.items()})
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class ExceptionHandler(BaseExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            return from_django(exc)
        if isinstance(exc, InputError):
            return exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]})
        return super().convert_known_exceptions(exc)


# --- the shapes, for the schema ----------------------------------------------------------------------

class ErrorItem(serializers.Serializer):
    code = serializers.CharField(help_text="A short machine-readable code: required, invalid, not_found, …")
    detail = serializers.CharField(help_text="What is wrong, in words.")
    attr = serializers.CharField(allow_null=True, help_text="The field path (e.g. `contacts.0`), or null when "
                                                           "the error is about the request as a whole.")


class BadRequestResponse(serializers.Serializer):
    type = serializers.ChoiceField(choices=[*ValidationErrorEnum.choices, *ClientErrorEnum.choices],
                                   help_text="validation_error: a field is wrong (see attr); client_error: "
                                             "the body could not be parsed.")
    errors = ErrorItem(many=True, help_text="One entry per problem.")


class ConflictItem(serializers.Serializer):
    code = serializers.ChoiceField(choices=["conflict"], help_text="Always conflict.")
    detail = serializers.CharField(help_text="Why the action is refused, in words.")
    attr = serializers.CharField(allow_null=True, help_text="Always null.")


class ConflictResponse(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices, help_text="Always client_error.")
    errors = ConflictItem(many=True, help_text="Why the action is refused.")
