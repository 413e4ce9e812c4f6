"""DRF serializers of the REST API (``reports/api.py``)."""

from rest_framework import serializers

from sponsors.models import Alert, OrgChange


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


class TouchpointRequest(serializers.Serializer):
    account = serializers.IntegerField()
    contacts = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    planned_on = serializers.DateField()
    type = serializers.CharField()
    direction = serializers.CharField(default="meeting")
    purpose = serializers.CharField(default="strategic")
    objective = serializers.CharField(default="", allow_blank=True, max_length=500)



class SponsorRoleRequest(serializers.Serializer):
    role = serializers.ChoiceField(choices=["primary", "backup", "none"])
    replace_current = serializers.BooleanField(default=False)
