"""DRF serializers of the REST API (``reports/api.py``).  Every input field is bounded the way its
column is, enums are choices, and dates stay inside THE product range (``accounts.inputs``)."""

from rest_framework import serializers

from accounts.inputs import InputError, parse_date
from accounts.vocabulary import DIRECTIONS, INTERACTION_TYPES, PURPOSES
from sponsors.models import Alert, OrgChange, PlannedTouchpoint

MAX_ID = 2**63 - 1          # a bigint primary key
MAX_TOUCHPOINT_CONTACTS = 100


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


class ProductDateField(serializers.DateField):
    """An ISO date (YYYY-MM-DD, ASCII digits) inside the product's date range: THE date parser of
    ``accounts.inputs``."""

    def to_internal_value(self, value):
        try:
            return parse_date(value, field="")
        except InputError as exc:
            raise serializers.ValidationError(exc.message) from None


def _id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class TouchpointRequest(serializers.Serializer):
    account = _id_field()
    contacts = serializers.ListField(child=_id_field(), allow_empty=False, max_length=MAX_TOUCHPOINT_CONTACTS)
    planned_on = ProductDateField()
    type = serializers.ChoiceField(choices=INTERACTION_TYPES)
    direction = serializers.ChoiceField(choices=DIRECTIONS, default="meeting")
    purpose = serializers.ChoiceField(choices=PURPOSES, default="strategic")
    objective = serializers.CharField(default="", allow_blank=True,
                                      max_length=PlannedTouchpoint._meta.get_field("objective").max_length)


class SponsorRoleRequest(serializers.Serializer):
    role = serializers.ChoiceField(choices=["primary", "backup", "none"])
    replace_current = serializers.BooleanField(default=False)
