"""What ``/api/v1/`` returns: one serializer per resource, every field described (the schema shows it).

Scores are the stored ones (``reports.api.scores``: the latest snapshot on or before today, annotated on
the queryset); the 12-week trends are attached to a page in one query (``context["trends"]``)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.vocabulary import (
    CONTACT_ROLES,
    DIRECTIONS,
    ENGAGEMENT_LEVELS,
    INTERACTION_TYPES,
    ORG_CHANGE_KINDS,
    ORG_CHANGE_SOURCES,
    PURPOSES,
    RISK_LEVELS,
    SEVERITIES,
    TIER_LABELS,
    TIERS,
    factor_label,
)
from sponsors.rules.alert_codes import CODES

Text, Method, Int, Day, Bool = (serializers.CharField, serializers.SerializerMethodField, serializers.IntegerField,
                                serializers.DateField, serializers.BooleanField)


def ro(field_class, help_text, **kwargs):
    return field_class(read_only=True, help_text=help_text, **kwargs)


def choice(values, help_text, **kwargs):
    return serializers.ChoiceField(choices=list(values), read_only=True, help_text=help_text, **kwargs)


class PersonSerializer(serializers.Serializer):
    id = ro(Int, "The user's id.")
    email = ro(Text, "Their e-mail address.")
    name = ro(Text, "Their full name (the e-mail when they have none).", source="__str__")


class TeamMemberSerializer(serializers.Serializer):
    id = ro(Int, "The user's id.", source="user.id")
    email = ro(Text, "Their e-mail address.", source="user.email")
    name = ro(Text, "Their full name.", source="user.__str__")
    role = ro(Text, "Their role on the account team: csm, account_executive, manager, executive_sponsor_internal, "
                 "other.")


class TrendPointSerializer(serializers.Serializer):
    as_of = ro(Day, "The day of the stored score (the latest of its week).")
    score = ro(Int, "The score that day, 0–100.", min_value=0, max_value=100)
    level = choice(ENGAGEMENT_LEVELS, "The engagement level that day.")
    risk = choice(RISK_LEVELS, "The risk that day.")


class CadenceSerializer(serializers.Serializer):
    tier = ro(Text, "The account's tier.")
    cadence_days = ro(Int, "The most days allowed between executive touchpoints for the tier.")
    last_touch = ro(Day, "The last executive touchpoint.", allow_null=True)
    days_since = ro(Int, "Days since then.", allow_null=True)
    next_due = ro(Day, "When the next one is due.", allow_null=True)
    overdue = ro(Bool, "Whether the cadence is exceeded.")


def _trend(serializer, obj):
    return TrendPointSerializer(serializer.context.get("trends", {}).get(obj.pk, []), many=True).data


class AccountSerializer(serializers.Serializer):
    id = ro(Int, "The account's id in the tracker.")
    name = ro(Text, "The customer's name.")
    tier = choice(TIERS, "The account's tier (sets the meeting target and the touchpoint cadence).")
    tier_label = ro(Text, "The tier in words (Enterprise, Mid-Market, SMB).")
    industry = ro(Text, "The customer's industry, as the CRM has it.")
    source = ro(Text, "Where the account comes from: snapshot, hubspot, salesforce…")
    external_id = ro(Text, "The account's id in that source (read-only: the CRM owns it).")
    owner = PersonSerializer(read_only=True, allow_null=True, help_text="The account's owner on our side.")
    team = TeamMemberSerializer(source="team_members", many=True, read_only=True,
                                help_text="The account team (our side), CSM first.")
    arr = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True,
                                   coerce_to_string=True, help_text="Annual recurring revenue, as a decimal string.")
    currency = ro(Text, "The ARR's currency (ISO 4217), or empty.")
    renewal_date = ro(Day, "The contract's renewal date.", allow_null=True)
    score = ro(Int, "The overall executive engagement score (0–100), stored; null before the first scoring.",
               allow_null=True, min_value=0, max_value=100)
    level = choice(ENGAGEMENT_LEVELS, "The overall engagement level.", allow_null=True)
    risk = choice(RISK_LEVELS, "The risk that level means.", allow_null=True)
    scored_on = ro(Day, "The day of that stored score.", allow_null=True)
    method = Method(help_text="How the overall score was derived, in words.")
    cadence = Method(help_text="The tier cadence against the last executive touchpoint (null before the first "
                          "scoring).")
    trend = Method(help_text="The overall score over the last 12 weeks: the latest stored score of each week, "
                        "oldest first (weeks without one are left out).")
    updated_at = ro(serializers.DateTimeField, "When the account's own data last changed.")

    def get_method(self, obj) -> str:
        return (obj.breakdown or {}).get("method", "")

    def get_cadence(self, obj) -> CadenceSerializer(allow_null=True):
        cadence = (obj.breakdown or {}).get("cadence")
        return CadenceSerializer(cadence).data if cadence else None

    def get_trend(self, obj) -> TrendPointSerializer(many=True):
        return _trend(self, obj)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["tier_label"] = TIER_LABELS.get(instance.tier, instance.tier)
        return data


class FactorSerializer(serializers.Serializer):
    key = choice(("meeting_frequency", "responsiveness", "qbr_attendance", "strategic_alignment"), "The factor.")
    label = Method(help_text="The factor in words.")
    score = ro(Int, "Its points, 0–25.", min_value=0, max_value=25)
    note = ro(Text, "Why: e.g. “Target 12: Actual 9”, “3/4 QBRs”.")

    def get_label(self, factor) -> str:
        return factor_label(factor["key"])


class ContactScoreSerializer(serializers.Serializer):
    total = ro(Int, "The engagement score, 0–100: the sum of the four factors.", source="score",
               min_value=0, max_value=100)
    level = choice(ENGAGEMENT_LEVELS, "The engagement level.")
    risk = choice(RISK_LEVELS, "The risk that level means.")
    as_of = ro(Day, "The day of this stored score.", source="scored_on")
    factors = FactorSerializer(many=True, read_only=True, source="breakdown.factors",
                               help_text="The four factors with their notes.")
    reasons = serializers.ListField(child=Text(), read_only=True, source="breakdown.reasons",
                                    help_text="Why the level is what it is.")


class ContactSerializer(serializers.Serializer):
    id = ro(Int, "The contact's id in the tracker.")
    account = ro(Int, "The account's id.", source="account_id")
    account_name = ro(Text, "The account's name.", source="account.name")
    external_id = ro(Text, "The contact's id in the CRM (read-only).", allow_null=True)
    name = ro(Text, "Their name.")
    title = ro(Text, "Their title.")
    email = ro(Text, "Their e-mail address, or empty.")
    roles = serializers.ListField(child=serializers.ChoiceField(choices=list(CONTACT_ROLES)), read_only=True,
                                  help_text="Their roles: executive_sponsor, c_level, vp, director, other.")
    is_executive = ro(Bool, "An executive: executive sponsor, C-level or VP.")
    sponsor_role = choice(("primary", "backup"), "Primary or backup sponsor, or null (admins change it: "
                                                 "POST …/sponsor/).", allow_null=True, source="sponsor_or_none")
    status = choice(("active", "departed"), "Whether they are still at the customer.")
    departed_on = ro(Day, "When they left.", allow_null=True)
    in_role_since = ro(Day, "In their role since.", allow_null=True)
    communication_preference = ro(Text, "How they prefer to be reached, or empty.")
    linkedin_url = ro(Text, "Their LinkedIn profile, or empty.")
    score = Method(help_text="Their stored engagement score with its four factors (null: not scored yet, or not an "
                        "executive).")
    trend = Method(help_text="Their score over the last 12 weeks: the latest stored score of each week, oldest "
                        "first.")
    updated_at = ro(serializers.DateTimeField, "When the contact's own data last changed.")

    def get_score(self, obj) -> ContactScoreSerializer(allow_null=True):
        return ContactScoreSerializer(obj).data if obj.score is not None else None

    def get_trend(self, obj) -> TrendPointSerializer(many=True):
        return _trend(self, obj)

    def to_representation(self, instance):
        instance.sponsor_or_none = instance.sponsor or None
        instance.breakdown = instance.breakdown or {}
        return super().to_representation(instance)


class ChangeSerializer(serializers.Serializer):
    field = ro(Text, "What changed: sponsor, status, title or departed_on.")
    old = ro(Text, "The value before, in words (empty: none).")
    new = ro(Text, "The value after.")
    at = ro(serializers.DateTimeField, "When.")
    by = ro(Text, "Who or what changed it (a person, or the CRM, a webhook, the news, a rule).")
    reason = ro(Text, "Why, when known.")


class ContactHistorySerializer(serializers.Serializer):
    points = TrendPointSerializer(many=True, read_only=True, help_text="Every stored score in the period, "
                                                                        "oldest first.")
    changes = ChangeSerializer(many=True, read_only=True, help_text="The audited changes of role, status and "
                                                                     "title, newest first.")


class InteractionSerializer(serializers.Serializer):
    id = ro(Int, "The interaction's id.")
    account = ro(Int, "The account's id.", source="account_id")
    external_id = ro(Text, "Its id in the CRM (read-only), or null when logged in the tracker.", allow_null=True)
    type = choice(INTERACTION_TYPES, "What kind of touchpoint.")
    type_label = ro(Text, "The type in words (1:1, QBR, …).", source="get_type_display")
    occurred_at = ro(serializers.DateTimeField, "When it happened.")
    direction = choice(DIRECTIONS, "meeting, outbound (we wrote) or inbound (they wrote).")
    purpose = choice(PURPOSES, "strategic or operational.")
    topics = serializers.ListField(child=Text(), read_only=True, help_text="What was discussed.")
    outcome = ro(Text, "What came of it.")
    responded_at = ro(serializers.DateTimeField, "For outbound: when they replied.", allow_null=True)
    logged_by = ro(Text, "The e-mail of who logged it (read-only).")
    contacts = serializers.SerializerMethodField(help_text="The ids of the customer contacts who took part.")
    team_attendees = serializers.SerializerMethodField(help_text="The user ids of who of our side took part.")
    created_at = ro(serializers.DateTimeField, "When it was logged or imported.")

    def get_contacts(self, obj) -> list[int]:
        return sorted(link.contact_id for link in obj.participant_links.all())

    def get_team_attendees(self, obj) -> list[int]:
        return sorted(u.pk for u in obj.team_attendees.all())


class ConflictOtherSerializer(serializers.Serializer):
    touchpoint_id = ro(Int, "The other planned touchpoint.")
    planner = ro(Text, "Who planned it.")
    planned_on = ro(Text, "For when (YYYY-MM-DD).")


class ConflictSerializer(serializers.Serializer):
    contact_id = ro(Int, "The executive.")
    contact_name = ro(Text, "Their name.")
    message = ro(Text, "The warning, in words.")
    others = ConflictOtherSerializer(many=True, read_only=True, help_text="The other outreach planned.")


class TouchpointSerializer(serializers.Serializer):
    id = ro(Int, "The planned touchpoint's id.")
    account = ro(Int, "The account's id.", source="account_id")
    planned_on = ro(Day, "The day it is planned for.")
    type = choice(INTERACTION_TYPES, "What kind of touchpoint.")
    type_label = ro(Text, "The type in words.", source="get_type_display")
    direction = choice(DIRECTIONS, "meeting, outbound or inbound.")
    purpose = choice(PURPOSES, "strategic or operational.")
    objective = ro(Text, "What it is for.")
    status = choice(("planned", "done", "cancelled"), "Where it stands.")
    contacts = serializers.SerializerMethodField(help_text="The ids of the customer contacts.")
    team_attendees = serializers.SerializerMethodField(help_text="The user ids of who of our side will attend.")
    planned_by = PersonSerializer(read_only=True, allow_null=True, help_text="Who planned it.")
    created_at = ro(serializers.DateTimeField, "When it was planned.")

    def get_contacts(self, obj) -> list[int]:
        return sorted(c.pk for c in obj.contacts.all())

    def get_team_attendees(self, obj) -> list[int]:
        return sorted(u.pk for u in obj.team_attendees.all())


class TouchpointCreatedSerializer(TouchpointSerializer):
    conflicts = ConflictSerializer(many=True, read_only=True, help_text="Outreach to the same executives "
                                                                         "planned by someone else within 7 days.")
    warnings = serializers.ListField(child=Text(), read_only=True, help_text="The conflicts' messages.")


class OrgChangeSerializer(serializers.Serializer):
    id = ro(Int, "The org change's id.")
    account = ro(Int, "The account's id.", source="account_id")
    contact = ro(Int, "The contact it is about, or null (the whole account).", source="contact_id", allow_null=True)
    contact_name = ro(Text, "Their name.", source="contact.name", allow_null=True, default=None)
    kind = choice(ORG_CHANGE_KINDS, "What changed.")
    occurred_on = ro(Day, "When.")
    source = choice(ORG_CHANGE_SOURCES, "Where it was learnt.")
    headline = ro(Text, "The headline or summary.")
    url = ro(Text, "The evidence's address, or empty.")
    confidence = ro(serializers.FloatField, "How sure the source is, 0–1.", min_value=0, max_value=1)
    state = choice(("confirmed", "pending", "dismissed"), "pending: awaiting a CSM's confirmation.")
    old_value = ro(Text, "Before the change (title, company…).")
    new_value = ro(Text, "After the change.")
    reviewed_by = ro(Text, "The e-mail of who confirmed or dismissed it.", source="reviewed_by.email",
                     allow_null=True, default=None)
    reviewed_at = ro(serializers.DateTimeField, "When.", allow_null=True)
    created_at = ro(serializers.DateTimeField, "When it was recorded.")


class AlertSerializer(serializers.Serializer):
    id = ro(Int, "The alert's id.")
    account = ro(Int, "The account's id.", source="account_id")
    code = choice(CODES, "The guardrail (stable; show title to people).")
    title = ro(Text, "The guardrail in words.")
    subject = ro(Text, "What it is about, within the account (its dedupe key).")
    severity = choice(SEVERITIES, "low, medium, high or critical.")
    status = choice(("open", "acknowledged", "resolved"), "open → acknowledged → resolved.")
    message = ro(Text, "The finding, in words.")
    contact = ro(Int, "The contact it is about, or null.", source="contact_id", allow_null=True)
    contact_name = ro(Text, "Their name.", source="contact.name", allow_null=True, default=None)
    proposed_primary = ro(Int, "A departure's proposed new primary sponsor (POST …/accept-succession/), or null.",
                          source="proposed_primary_id", allow_null=True)
    due_on = ro(Day, "When it must be handled (escalations).", allow_null=True)
    opened_at = ro(serializers.DateTimeField, "When it opened.")
    last_seen_on = ro(Day, "The last day its condition was seen.", allow_null=True)
    acknowledged_at = ro(serializers.DateTimeField, "When someone took it on.", allow_null=True)
    resolved_at = ro(serializers.DateTimeField, "When its condition cleared.", allow_null=True)


class SuccessionSerializer(serializers.Serializer):
    primary_sponsor = ContactSerializer(read_only=True, help_text="The new primary sponsor.")
    alert = AlertSerializer(read_only=True, help_text="The departure alert, now acknowledged.")

