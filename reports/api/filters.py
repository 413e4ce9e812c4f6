"""The filters of ``/api/v1/``'s lists (django-filter), each parsed by the product's rules: dates and
date-times through ``accounts.inputs`` (a date outside 1900…2200 is a 400 naming the parameter), ids
bounded like their column, choices listed in the schema.

``updated_since`` (an ISO 8601 date-time with a zone) is on every list, for incremental polling: ask again
with the time of your previous poll, and you get what changed since (see each list's description).  In a
query string, write the zone as ``Z`` or ``%2B01:00`` (a bare ``+`` reads as a space; it is put back)."""

from __future__ import annotations

import re

import django_filters as df
from django import forms
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field

from accounts.inputs import DATE_PATTERN, DATETIME_PATTERN, InputError, parse_date, parse_datetime
from accounts.models import Account, User
from accounts.vocabulary import (
    DIRECTIONS,
    ENGAGEMENT_LEVELS,
    INTERACTION_TYPES,
    ORG_CHANGE_KINDS,
    ORG_CHANGE_SOURCES,
    PURPOSES,
    RISK_LEVELS,
    SEVERITIES,
    TIERS,
)
from sponsors.models import Alert, Contact, Interaction, OrgChange, PlannedTouchpoint
from sponsors.rules.alert_codes import CODES

from .scores import changed_since

MAX_ID = 2**63 - 1
_SPACED_ZONE = re.compile(r" ([0-9]{2}:?[0-9]{2})$")


class _ParsedField(forms.Field):
    parse = None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return type(self).parse(_SPACED_ZONE.sub(r"+\1", value.strip()), field="")
        except InputError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None


class DateTimeFormField(_ParsedField):
    parse = staticmethod(parse_datetime)


class DateFormField(_ParsedField):
    parse = staticmethod(parse_date)


class DateTimeParamFilter(df.Filter):
    field_class = DateTimeFormField


class DateParamFilter(df.Filter):
    field_class = DateFormField


DATETIME_SCHEMA = {"type": "string", "pattern": DATETIME_PATTERN}
DATE_SCHEMA = {"type": "string", "pattern": DATE_PATTERN}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def described(schema, help_text, filter_):
    """``filter_`` with its parameter's schema (and description) in the API schema."""
    return extend_schema_field({**schema, "description": help_text})(filter_)


def since(help_text):
    return described(DATETIME_SCHEMA, help_text, DateTimeParamFilter(method="filter_since", label=help_text))


def day(field_name, lookup, help_text):
    return described(DATE_SCHEMA, help_text, DateParamFilter(field_name=field_name, lookup_expr=lookup,
                                                             label=help_text))


def ident(field_name, help_text):
    return described(ID_SCHEMA, help_text, df.NumberFilter(field_name=field_name, min_value=1, max_value=MAX_ID,
                                                            decimal_places=0, label=help_text))


def one_of(values, field_name, help_text):
    return df.ChoiceFilter(field_name=field_name, choices=[(v, v) for v in values], label=help_text)


@extend_schema_field({"type": "string", "maxLength": 254,
                      "description": "Only accounts this user owns: me, a user id or an e-mail."})
class OwnerFilter(df.CharFilter):
    """``me``, a user's id or their e-mail address; the owner is ``field_name`` (an account's ``owner``, or
    ``account__owner`` from a row of the account)."""

    def __init__(self, *args, field_name="owner", **kwargs):
        super().__init__(*args, field_name=field_name, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        value, owner = value.strip(), self.field_name
        if value.casefold() == "me":
            return qs.filter(**{owner: self.parent.request.user})
        if value.isascii() and value.isdigit():
            return qs.filter(**{f"{owner}_id": int(value)}) if int(value) <= MAX_ID else qs.none()
        return qs.filter(**{f"{owner}__in": User.objects.filter(email__iexact=value)})


class _Since(df.FilterSet):
    contact_scores = False

    def filter_since(self, queryset, name, value):
        return queryset.filter(self.changed(value)) if value else queryset


class AccountFilter(_Since):
    tier = one_of(TIERS, "tier", "Only this tier.")
    level = one_of(ENGAGEMENT_LEVELS, "level", "Only this overall engagement level (stored score).")
    risk = one_of(RISK_LEVELS, "risk", "Only this risk (stored score).")
    owner = OwnerFilter(max_length=254, label="Only accounts this user owns: me, a user id or an e-mail.")
    q = df.CharFilter(field_name="name", lookup_expr="icontains", max_length=255, label="Name contains.")
    updated_since = since("Changed since then: the account's data, or a score stored for it.")

    class Meta:
        model = Account
        fields = []

    def changed(self, value):
        return changed_since(value, contact=False)


class ContactFilter(_Since):
    account = ident("account_id", "Only this account's contacts.")
    level = one_of(ENGAGEMENT_LEVELS, "level", "Only this engagement level (stored score).")
    risk = one_of(RISK_LEVELS, "risk", "Only this risk (stored score).")
    sponsor_role = one_of(("primary", "backup"), "sponsor", "Only primary or only backup sponsors.")
    status = one_of(("active", "departed"), "status", "Only active or only departed contacts.")
    is_executive = df.BooleanFilter(field_name="is_executive", label="Only executives (true) or the others.")
    updated_since = since("Changed since then: the contact's data, or a score stored for them.")

    class Meta:
        model = Contact
        fields = []

    def changed(self, value):
        return changed_since(value, contact=True)


class InteractionFilter(_Since):
    account = ident("account_id", "Only this account's interactions.")
    contact = ident("participant_links__contact_id", "Only interactions this contact took part in.")
    type = one_of(INTERACTION_TYPES, "type", "Only this type.")
    direction = one_of(DIRECTIONS, "direction", "Only this direction.")
    purpose = one_of(PURPOSES, "purpose", "Only this purpose.")
    occurred_after = day("occurred_at__date", "gte", "Happened on or after this day.")
    occurred_before = day("occurred_at__date", "lte", "Happened on or before this day.")
    updated_since = since("Logged or imported since then.")

    class Meta:
        model = Interaction
        fields = []

    def changed(self, value):
        return Q(created_at__gte=value)


class TouchpointFilter(_Since):
    account = ident("account_id", "Only this account's touchpoints.")
    status = one_of(("planned", "done", "cancelled"), "status", "Only this status.")
    planned_after = day("planned_on", "gte", "Planned for this day or later.")
    planned_before = day("planned_on", "lte", "Planned for this day or earlier.")
    updated_since = since("Planned since then.")

    class Meta:
        model = PlannedTouchpoint
        fields = []

    def changed(self, value):
        return Q(created_at__gte=value)


class OrgChangeFilter(_Since):
    account = ident("account_id", "Only this account's org changes.")
    state = one_of(("confirmed", "pending", "dismissed"), "state", "pending: awaiting confirmation.")
    kind = one_of(ORG_CHANGE_KINDS, "kind", "Only this kind.")
    source = one_of(ORG_CHANGE_SOURCES, "source", "Only from this source.")
    updated_since = since("Recorded, confirmed or dismissed since then.")

    class Meta:
        model = OrgChange
        fields = []

    def changed(self, value):
        return Q(created_at__gte=value) | Q(reviewed_at__gte=value)


class AlertFilter(_Since):
    account = ident("account_id", "Only this account's alerts.")
    status = df.ChoiceFilter(choices=[(s, s) for s in ("open", "acknowledged", "resolved", "unresolved")],
                             method="filter_status", label="open, acknowledged, resolved, or unresolved (open "
                                                           "and acknowledged).")
    severity = one_of(SEVERITIES, "severity", "Only this severity.")
    code = one_of(CODES, "code", "Only this guardrail.")
    owner = OwnerFilter(field_name="account__owner", max_length=254,
                        label="Only the alerts of accounts this user owns: me, a user id or an e-mail.")
    updated_since = since("Opened, acknowledged or resolved since then.")

    class Meta:
        model = Alert
        fields = []

    def filter_status(self, queryset, name, value):
        if value == "unresolved":
            return queryset.exclude(status=Alert.Status.RESOLVED)
        return queryset.filter(status=value) if value else queryset

    def changed(self, value):
        return Q(opened_at__gte=value) | Q(acknowledged_at__gte=value) | Q(resolved_at__gte=value)
