"""Input fields of ``/api/v1/``: dates through THE product date parser (``accounts.inputs``), and choices
that take their display label as well as their value where that is unambiguous (``type: "1:1"`` is
``one_on_one``, ``"Exec Dinner"`` is ``exec_dinner``; case and spacing do not matter)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.inputs import InputError, parse_date, parse_datetime


class ProductDateField(serializers.DateField):
    """``YYYY-MM-DD`` (ASCII digits) inside the product's date range (1900-01-01 … 2200-12-31)."""

    def to_internal_value(self, value):
        try:
            return parse_date(value, field="")
        except InputError as exc:
            raise serializers.ValidationError(exc.message, code="invalid") from None


class ProductDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time with a zone, inside the product's date range."""

    def to_internal_value(self, value):
        try:
            return parse_datetime(value, field="")
        except InputError as exc:
            raise serializers.ValidationError(exc.message, code="invalid") from None


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


class LabelledChoiceField(serializers.ChoiceField):
    """A choice given by its value or, where no two choices share it, by its label (case-insensitive)."""

    def __init__(self, choices, labels: dict | None = None, **kwargs):
        values = [c[0] if isinstance(c, tuple | list) else c for c in choices]
        labels = labels or {}
        shown = ", ".join(values)
        named = ", ".join(f"{labels[v]} ({v})" for v in values if _key(labels.get(v, v)) != _key(v))
        hint = "“{input}” is not one of: " + shown + (f"; labels are accepted too: {named}" if named else "") + "."
        kwargs.setdefault("error_messages", {"invalid_choice": hint})
        super().__init__(choices=values, **kwargs)
        by_label: dict[str, set] = {}
        for value in values:
            for word in {value, labels.get(value, value)}:
                by_label.setdefault(_key(word), set()).add(value)
        self.by_label = {word: next(iter(found)) for word, found in by_label.items() if len(found) == 1}
        self.labels = {v: labels[v] for v in values if _key(labels.get(v, v)) != _key(v)}
        self.inputs = (*values, *self.labels.values())      # what the schema lists for a request

    def to_internal_value(self, data):
        if isinstance(data, str) and data not in self.choices:
            data = self.by_label.get(_key(data), data)
        return super().to_internal_value(data)
