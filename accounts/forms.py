"""Django form fields that apply the product's input rules (``accounts.inputs``): the one date range,
safe JSON.  The pages' filter forms and every admin form use them."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput, JSONString

from .inputs import DATE_RANGE_TEXT, InputError, date_in_range, decode_json, parse_date

MAX_FORM_JSON_BYTES = 64 * 1024


def validate_product_date(value) -> None:
    """A form/serializer validator: dates and date-times inside THE product range."""
    if value is not None and not date_in_range(value):
        raise ValidationError(f"{value.isoformat()} is outside the dates this product handles ({DATE_RANGE_TEXT}).",
                              code="date_range")


class ProductDateField(forms.DateField):
    """``YYYY-MM-DD`` (ASCII digits) inside the product's date range: THE date parser of
    ``accounts.inputs`` behind a form field."""

    default_validators = [validate_product_date]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        try:
            return parse_date(str(value), field="")
        except InputError as exc:
            raise ValidationError(exc.message[:1].upper() + exc.message[1:] + ".", code="invalid") from None


class SafeJSONField(forms.JSONField):
    """``forms.JSONField`` that refuses what PostgreSQL or Python cannot hold (NaN, deep nesting, NUL
    characters, huge numbers) with a message instead of a server error.  ``empty`` (a callable) gives
    the value of an empty input (the model field's default: ``[]`` or ``{}``, not SQL NULL)."""

    def __init__(self, *, empty=None, **kwargs):
        self.empty = empty
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.empty() if value is None and self.empty is not None else value

    def _decode(self, value):
        return decode_json(value.encode("utf-8", "surrogatepass"), max_bytes=MAX_FORM_JSON_BYTES)

    def to_python(self, value):
        if self.disabled:
            return value
        if value in self.empty_values:
            return None
        if isinstance(value, list | dict | int | float | JSONString):
            return value
        try:
            converted = self._decode(value)
        except InputError as exc:
            raise ValidationError(f"Enter valid JSON: {exc}", code="invalid") from None
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return self._decode(data)
        except InputError:
            return InvalidJSONInput(data)


class TextListField(SafeJSONField):
    """A JSON list of texts (a contact's priorities, an interaction's topics), ``[]`` when empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("empty", list)
        kwargs.setdefault("help_text", 'A JSON list of texts, e.g. ["Operational efficiency"].')
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise ValidationError('Enter a JSON list of texts, e.g. ["Renewal scope"].', code="invalid")
