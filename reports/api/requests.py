"""What ``/api/v1/`` accepts: the bodies of its writes.  Every field bounded like its column, enums by
value or label (``fields.LabelledChoiceField``), dates through THE product parser.  A field the API shows
but nobody writes here (``id``, ``external_id``, ``logged_by``, scores, owner…) or a field it does not know
is a 400 naming it: nothing is silently ignored, and nothing is written."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from accounts.vocabulary import DIRECTIONS, INTERACTION_LABELS, INTERACTION_TYPES, PURPOSES
from sponsors.models import PlannedTouchpoint

from .fields import LabelledChoiceField, ProductDateField, ProductDateTimeField

MAX_ID = 2**63 - 1
MAX_CONTACTS = 100
MAX_TOPICS = 20
TOPIC_MAX_LENGTH = 200
OUTCOME_MAX_LENGTH = 10_000
DIRECTION_LABELS = {"meeting": "Meeting", "outbound": "Outbound", "inbound": "Inbound"}
PURPOSE_LABELS = {"strategic": "Strategic", "operational": "Operational"}
SPONSOR_ROLE_LABELS = {"primary": "Primary sponsor", "backup": "Backup sponsor", "none": "No role"}


class StrictInput(serializers.Serializer):
    """Refuses keys it does not take: the resource's read-only fields by name, anything else as unknown."""

    read_only_names: tuple = ()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = ", ".join(self.fields)
            errors = {}
            for key in data:
                if key in self.fields:
                    continue
                if key in self.read_only_names:
                    errors[key] = [f"{key} is read-only here."]
                else:
                    errors[key] = [f"Unknown field; the fields are: {writable}."]
            if errors:
                raise serializers.ValidationError(errors, code="unknown_field")
        return super().to_internal_value(data)


def account_field():
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The account's id (one of yours).")


def contacts_field(help_text):
    return serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False,
                                 max_length=MAX_CONTACTS, help_text=help_text)


def team_attendees_field():
    return serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), default=list,
                                 max_length=MAX_CONTACTS,
                                 help_text="Who of our side took part: user ids from the account's `team` (or its "
                                           "owner). Optional.")


def type_field(**kwargs):
    return LabelledChoiceField(INTERACTION_TYPES, INTERACTION_LABELS,
                               help_text="one_on_one, qbr, … or its label (1:1, QBR, Exec Dinner, …).", **kwargs)


class InteractionCreate(StrictInput):
    read_only_names = ("id", "external_id", "logged_by", "created_at", "type_label")

    account = account_field()
    contacts = contacts_field("The ids of the account's contacts who took part.")
    team_attendees = team_attendees_field()
    occurred_at = ProductDateTimeField(help_text="When it happened: an ISO 8601 date-time with a zone, not in "
                                                 "the future.")
    type = type_field()
    direction = LabelledChoiceField(DIRECTIONS, DIRECTION_LABELS, help_text="meeting, outbound (we wrote) or "
                                                                            "inbound (they wrote).")
    purpose = LabelledChoiceField(PURPOSES, PURPOSE_LABELS, default="strategic",
                                  help_text="strategic (default) or operational; an outbound or meeting "
                                            "operational touchpoint with an executive is refused.")
    outcome = serializers.CharField(default="", allow_blank=True, max_length=OUTCOME_MAX_LENGTH,
                                    help_text="What came of it.")
    topics = serializers.ListField(child=serializers.CharField(max_length=TOPIC_MAX_LENGTH), default=list,
                                   max_length=MAX_TOPICS, help_text="What was discussed.")
    responded_at = ProductDateTimeField(required=False, allow_null=True, default=None,
                                        help_text="For outbound: when they replied (not before occurred_at).")
    touchpoint = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                          help_text="The planned touchpoint of the account this one is: marked "
                                                    "done with it (refused if it is done or cancelled already).")


class TouchpointCreate(StrictInput):
    read_only_names = ("id", "planned_by", "status", "created_at", "conflicts", "warnings", "type_label")

    account = account_field()
    contacts = contacts_field("The ids of the account's contacts to meet or write to.")
    team_attendees = team_attendees_field()
    planned_on = ProductDateField(help_text="The day, YYYY-MM-DD: today or later.")
    type = type_field()
    direction = LabelledChoiceField(DIRECTIONS, DIRECTION_LABELS, default="meeting",
                                    help_text="meeting (default), outbound or inbound.")
    purpose = LabelledChoiceField(PURPOSES, PURPOSE_LABELS, default="strategic",
                                  help_text="strategic (default) or operational (refused with an executive).")
    objective = serializers.CharField(default="", allow_blank=True,
                                      max_length=PlannedTouchpoint._meta.get_field("objective").max_length,
                                      help_text="What it is for.")


class OrgChangeConfirm(StrictInput):
    read_only_names = ("id", "state", "reviewed_by", "reviewed_at")

    title = serializers.CharField(required=False, allow_blank=False, max_length=255,
                                  help_text="A promotion or role change: the contact's new title (default: the "
                                            "one the source sent, or the one its headline names).")


class Empty(StrictInput):
    """No body (or ``{}``)."""


class SponsorRole(StrictInput):
    read_only_names = ("id", "name", "status", "sponsor_role")

    role = LabelledChoiceField(("primary", "backup", "none"), SPONSOR_ROLE_LABELS,
                               help_text="primary, backup or none (or Primary sponsor, Backup sponsor, No role).")
    replace_current = serializers.BooleanField(default=False, help_text="primary: replace the current primary "
                                                                        "sponsor (they become a backup).")



# The enums of request bodies, labels included (named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
INTERACTION_TYPE_INPUTS = type_field().inputs
SPONSOR_ROLE_INPUTS = SponsorRole().fields["role"].inputs
