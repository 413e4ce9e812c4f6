# Long module: the sponsors app's models, in the one module Django looks for (they are mostly fields).
"""Customer-side people and what happens with them: contacts (executives among them),
interactions, org changes and planned touchpoints (the engagement calendar)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts import vocabulary as v
from accounts.inputs import safe_url
from accounts.models import Account, in_choices

from . import crypto
from .rules import alert_codes
from .rules.facts import ContactFact

CONTACT_ROLE_CHOICES = v.choices(v.CONTACT_ROLES, v.CONTACT_ROLE_LABELS)
INTERACTION_TYPE_CHOICES = v.choices(v.INTERACTION_TYPES, v.INTERACTION_LABELS)
DIRECTION_CHOICES = v.choices(v.DIRECTIONS)
PURPOSE_CHOICES = v.choices(v.PURPOSES)
ORG_CHANGE_KIND_CHOICES = v.choices(v.ORG_CHANGE_KINDS)
ORG_CHANGE_SOURCE_CHOICES = v.choices(v.ORG_CHANGE_SOURCES, {"linkedin": "LinkedIn", "crm": "CRM"})


class AuditedChange(models.Model):
    """What every audit-trail row adds to django-simple-history's (who, when, old → new, why): where the
    change came from when no user made it (``vocabulary.CHANGE_SOURCES``).  Set through
    ``sponsors.audit.audited``."""

    history_source = models.CharField(max_length=16, default="app", choices=v.choices(v.CHANGE_SOURCES))

    class Meta:
        abstract = True


def audit_trail(*, excluded=()):
    """The history of a model: every change with who, when, the source and the reason (kept after a delete)."""
    return HistoricalRecords(bases=[AuditedChange], excluded_fields=list(excluded))


class SponsorRole(models.TextChoices):
    NONE = "", "—"
    PRIMARY = "primary", "Primary sponsor"
    BACKUP = "backup", "Backup sponsor"


class ContactStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DEPARTED = "departed", "Departed"


class Contact(models.Model):
    """A person at the customer (``crm.get_contacts``).  Executives are contacts with the
    ``executive_sponsor``, ``c_level`` or ``vp`` role; sponsors are named primary or backup."""

    Sponsor = SponsorRole

    Status = ContactStatus

    # Indexed by the (account, external_id) unique constraint, which leads with account.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts", db_index=False,
                                db_constraint=False)  # checked set-wise: sponsors/set_wise_keys.py
    external_id = models.CharField(
        max_length=128, null=True, blank=True, help_text="The CRM id; unique within the account."
    )
    name = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    roles = models.JSONField(default=list, blank=True, help_text=f"Any of {', '.join(v.CONTACT_ROLES)}.")
    is_executive = models.BooleanField(
        default=False, editable=False, help_text="Derived from roles: executive_sponsor, c_level or vp."
    )
    sponsor = models.CharField(max_length=8, choices=Sponsor.choices, blank=True, default="")
    in_role_since = models.DateField(null=True, blank=True)
    priorities = models.JSONField(default=list, blank=True)
    communication_preference = models.CharField(max_length=64, blank=True)
    linkedin_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    departed_on = models.DateField(null=True, blank=True)
    # The values of the tracker-owned fields (sponsor, status, title) the CRM sent last: a sync keeps a
    # decision made in the tracker unless the CRM changes its own value (sponsors/crm/ownership.py).
    crm_values = models.JSONField(default=dict, db_default={}, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audit_trail(excluded=["updated_at"])

    class Meta:
        ordering = ["account", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="contact_external_id_unique_per_account"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(sponsor="primary"), name="one_primary_sponsor_per_account",
                violation_error_message="This account already has a primary sponsor: an account has one.",
            ),
            models.CheckConstraint(condition=in_choices("sponsor", SponsorRole.choices), name="contact_sponsor_valid"),
            models.CheckConstraint(condition=in_choices("status", ContactStatus.choices), name="contact_status_valid"),
        ]
        indexes = [models.Index(fields=["account", "is_executive"])]

    def __str__(self):
        return f"{self.name} ({self.title})" if self.title else self.name

    def save(self, *args, **kwargs):
        self.is_executive = v.is_executive(self.roles)
        if kwargs.get("update_fields") is not None and "roles" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_executive"}
        super().save(*args, **kwargs)

    def clean(self):
        unknown = [r for r in (self.roles or []) if r not in v.CONTACT_ROLES]
        if not isinstance(self.roles, list) or unknown:
            raise ValidationError({"roles": f"Unknown role(s) {unknown}; use {', '.join(v.CONTACT_ROLES)}."})

    def as_fact(self) -> ContactFact:
        return ContactFact(
            id=self.pk,
            name=self.name,
            title=self.title,
            roles=tuple(self.roles or ()),
            sponsor=self.sponsor or None,
            status=self.status,
            in_role_since=self.in_role_since,
            priorities=tuple(self.priorities or ()),
        )


class Interaction(models.Model):
    """A touchpoint that happened (``crm.get_interactions``)."""

    # Indexed by (account, external_id) and (account, occurred_at), which lead with account.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interactions", db_index=False,
                                db_constraint=False)  # checked set-wise: sponsors/set_wise_keys.py
    external_id = models.CharField(max_length=128, null=True, blank=True)
    type = models.CharField(max_length=24, choices=INTERACTION_TYPE_CHOICES)
    occurred_at = models.DateTimeField()
    direction = models.CharField(max_length=8, choices=DIRECTION_CHOICES)
    purpose = models.CharField(max_length=12, choices=PURPOSE_CHOICES, default="strategic")
    topics = models.JSONField(default=list, blank=True)
    outcome = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True, help_text="For outbound: when the contact replied.")
    logged_by = models.CharField(max_length=254, blank=True, help_text="E-mail of who logged it.")
    participants = models.ManyToManyField(Contact, through="InteractionParticipant", related_name="interactions")
    team_attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True,
                                            help_text="Who of the account team (our side) took part.")
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_trail()

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], name="interaction_external_id_unique_per_account"
            ),
            models.CheckConstraint(
                condition=in_choices("type", INTERACTION_TYPE_CHOICES), name="interaction_type_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("direction", DIRECTION_CHOICES), name="interaction_direction_valid"
            ),
            models.CheckConstraint(condition=in_choices("purpose", PURPOSE_CHOICES), name="interaction_purpose_valid"),
        ]
        indexes = [
            models.Index(fields=["account", "occurred_at"]),
            # The business reviews held in the scoring window (the recompute's QBR facts): about 17,000 of the
            # bench's million rows read through this instead of a scan (0.08 s instead of 0.22 s).
            models.Index(fields=["type", "occurred_at"], include=["account"], condition=Q(direction="meeting"),
                         name="interaction_meetings_by_type"),
        ]

    def __str__(self):
        return f"{self.get_type_display()} on {self.occurred_at:%Y-%m-%d}"


class InteractionParticipant(models.Model):
    """A customer contact who took part in an interaction (for a QBR: the customer attendees)."""

    # Both are indexed by the composites below: (interaction, contact) unique and (contact, interaction).
    # Both are checked set-wise (sponsors/set_wise_keys.py): an import writes them by the hundred thousand.
    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="participant_links", db_index=False, db_constraint=False
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="participant_links", db_index=False,
                                db_constraint=False)
    # Copies of the interaction's, kept by PostgreSQL's triggers whatever writes (sponsors/participant_copies.py):
    # the nightly activity aggregate reads them instead of joining a million interactions.  Never set them.
    interaction_occurred_at = models.DateTimeField(null=True, editable=False)
    interaction_direction = models.CharField(max_length=8, null=True, editable=False)
    interaction_type = models.CharField(max_length=24, null=True, editable=False)
    interaction_responded_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interaction", "contact"], name="interaction_participant_unique"),
        ]
        indexes = [models.Index(fields=["contact", "interaction"])]

    def __str__(self):
        return f"{self.contact} in {self.interaction}"


class OrgChangeState(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    PENDING = "pending", "Awaiting confirmation"
    DISMISSED = "dismissed", "Dismissed"


class OrgChange(models.Model):
    """An organisational change at the customer (LinkedIn, news, CRM, manual entry or webhook)."""

    State = OrgChangeState

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="org_changes")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="org_changes")
    external_id = models.CharField(max_length=128, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=ORG_CHANGE_KIND_CHOICES)
    occurred_on = models.DateField()
    source = models.CharField(max_length=16, choices=ORG_CHANGE_SOURCE_CHOICES)
    headline = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    confidence = models.FloatField(default=1.0)
    evidence = models.JSONField(default=dict, blank=True, help_text="The raw record it came from.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.CONFIRMED)
    old_value = models.CharField(max_length=500, blank=True, help_text="Before the change (title, company…).")
    new_value = models.CharField(max_length=500, blank=True, help_text="After the change.")
    fingerprint = models.CharField(max_length=255, blank=True, help_text="Normalised change, to ignore repeats.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on"]
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="org_change_external_id_unique"),
            models.CheckConstraint(condition=in_choices("kind", ORG_CHANGE_KIND_CHOICES), name="org_change_kind_valid"),
            models.CheckConstraint(
                condition=in_choices("source", ORG_CHANGE_SOURCE_CHOICES), name="org_change_source_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("state", OrgChangeState.choices), name="org_change_state_valid"
            ),
            models.CheckConstraint(condition=Q(confidence__gte=0, confidence__lte=1), name="org_change_confidence_0_1"),
        ]

    def __str__(self):
        return self.headline or f"{self.get_kind_display()} on {self.occurred_on}"


class TouchpointStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class PlannedTouchpoint(models.Model):
    """An executive touchpoint on the engagement calendar."""

    Status = TouchpointStatus

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="planned_touchpoints")
    planned_on = models.DateField()
    type = models.CharField(max_length=24, choices=INTERACTION_TYPE_CHOICES)
    direction = models.CharField(max_length=8, choices=DIRECTION_CHOICES, default="meeting")
    purpose = models.CharField(max_length=12, choices=PURPOSE_CHOICES, default="strategic")
    objective = models.CharField(max_length=500, blank=True)
    contacts = models.ManyToManyField(Contact, related_name="planned_touchpoints", blank=True)
    team_attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="planned_touchpoints"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["planned_on"]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("type", INTERACTION_TYPE_CHOICES), name="touchpoint_type_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("direction", DIRECTION_CHOICES), name="touchpoint_direction_valid"
            ),
            models.CheckConstraint(condition=in_choices("purpose", PURPOSE_CHOICES), name="touchpoint_purpose_valid"),
            models.CheckConstraint(
                condition=in_choices("status", TouchpointStatus.choices), name="touchpoint_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} on {self.planned_on}"


class ScoreSnapshot(models.Model):
    """A computed engagement score, per executive contact (or the account, contact empty) and day.

    The breakdown (four factors with notes, level reasons, cadence) is stored, not only the total,
    so "why" and "what changed since last week" can be answered from history."""

    # Both foreign keys are covered by composite indexes that lead with them: (account, as_of) and the
    # partial unique (contact, as_of); single-column indexes would only slow the nightly bulk write.
    # Both are checked set-wise (sponsors/set_wise_keys.py): the nightly recompute writes 30,000 rows.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="score_snapshots", db_index=False,
                                db_constraint=False)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="score_snapshots", db_index=False,
        db_constraint=False,
    )
    as_of = models.DateField()
    score = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=12, choices=[(level, level) for level in v.ENGAGEMENT_LEVELS])
    risk = models.CharField(max_length=10, choices=[(risk, risk) for risk in v.RISK_LEVELS])
    breakdown = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "as_of"], condition=Q(contact__isnull=False), name="score_snapshot_contact_day"
            ),
            models.UniqueConstraint(
                fields=["account", "as_of"], condition=Q(contact__isnull=True), name="score_snapshot_account_day"
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="score_snapshot_score_0_100"),
        ]
        indexes = [
            models.Index(fields=["account", "as_of"]),
            # A day's account rows (5,000 a night at 5,000 accounts) without walking every day of history:
            # the current scores are copied from them after each recompute.
            models.Index(fields=["as_of", "account"], condition=Q(contact__isnull=True),
                         name="snapshot_account_rows_by_day"),
            # A day's rows, all of them: the recompute deletes the day it replaces through it (without it the
            # DELETE walks the (account, as_of) index whole, a cost growing with every day of history kept).
            models.Index(fields=["as_of"], name="snapshot_rows_by_day"),
        ]

    def __str__(self):
        who = self.contact or self.account
        return f"{who}: {self.score}/100 {self.level} on {self.as_of}"


class CurrentScore(models.Model):
    """Each account's latest account-level score: a copy of its newest ``ScoreSnapshot`` on or before the
    day it was stored, kept by ``recompute_scores`` (``sponsors.services.current_scores``).

    The portfolio filters, counts, sums and sorts today's view of thousands of accounts on this one narrow
    table (one row per account) instead of looking up the latest snapshot of each account per request."""

    account = models.OneToOneField(Account, primary_key=True, on_delete=models.CASCADE, related_name="current_score")
    # The snapshot's id, not a foreign key: replacing a day's snapshots stays one DELETE statement (no
    # cascade collecting them); refresh_current_scores drops the rows whose snapshot went, in the same transaction.
    snapshot_id = models.BigIntegerField()
    as_of = models.DateField()
    score = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=12, choices=[(level, level) for level in v.ENGAGEMENT_LEVELS])
    risk = models.CharField(max_length=10, choices=[(risk, risk) for risk in v.RISK_LEVELS])
    days_since_exec_touch = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self):
        return f"{self.account_id}: {self.score}/100 {self.level} on {self.as_of}"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


SEVERITY_CHOICES = [(sev, sev.capitalize()) for sev in v.SEVERITIES]


class Alert(models.Model):
    """A guardrail finding with a lifecycle: open → acknowledged → resolved.

    At most one unresolved alert per (account, code, subject); it resolves itself when the
    condition clears, and a new one opens if it comes back (resolved ones are the history)."""

    Status = AlertStatus

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="alerts")
    code = models.CharField(max_length=32)
    subject = models.CharField(max_length=64, blank=True, default="")
    severity = models.CharField(max_length=8, choices=SEVERITY_CHOICES)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    # What the alert is about, as data (the subject above is their dedupe key, e.g. "org_change:12").
    org_change = models.ForeignKey("OrgChange", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="alerts")
    interaction = models.ForeignKey(Interaction, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="alerts")
    # sponsor_departed of a primary: the backup proposed as the new primary sponsor.
    proposed_primary = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="proposed_in_alerts")
    message = models.TextField(help_text="Rendered from the finding's data and the fixed due date.")
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    due_on = models.DateField(null=True, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    last_seen_on = models.DateField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    history = audit_trail()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "code", "subject"],
                condition=~Q(status="resolved"),
                name="one_unresolved_alert_per_subject",
            ),
            models.CheckConstraint(condition=in_choices("status", AlertStatus.choices), name="alert_status_valid"),
            models.CheckConstraint(condition=in_choices("severity", SEVERITY_CHOICES), name="alert_severity_valid"),
        ]
        indexes = [
            models.Index(fields=["account", "status"]),
            # The inbox counts and sorts every unresolved alert a user may see: an index-only scan of this
            # narrow index instead of reading the wide rows (messages, details) of the whole table.
            models.Index(fields=["severity", "due_on", "account", "opened_at", "id"],
                         condition=Q(status__in=["open", "acknowledged"]), name="alert_unresolved_inbox"),
        ]

    def __str__(self):
        return f"[{self.severity}] {self.title}: {self.message}"

    @property
    def title(self) -> str:
        """What users see instead of the code (the alert-code registry)."""
        return alert_codes.title(self.code)


class OutboundEmail(models.Model):
    """The outbox: each message — an e-mail, or a Slack post (``channel``) — is a row with a unique dedupe
    key, written in the same transaction as what caused it and delivered by a Celery task through its
    channel's transport (``sponsors/outbox/``: claim, lease, attempts, backoff, the same for every channel)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SLACK = "slack", "Slack"

    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    dedupe_key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=48, help_text="Template name, e.g. sponsor_departed.")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="emails")
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # E-mail: headers beyond Message-ID (List-Unsubscribe, List-Unsubscribe-Post).
    headers = models.JSONField(default=dict, blank=True)
    # Slack: the team channel and the Block Kit body posted to its webhook.
    slack_channel = models.ForeignKey("SlackChannel", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="messages")
    payload = models.JSONField(default=dict, blank=True)
    # Not claimed before this instant (a 429's Retry-After): the flush and the task both wait.
    not_before = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=["email", "slack"]), name="outbound_channel_valid"),
        ]

    def __str__(self):
        return f"{self.kind} → {', '.join(self.to)} ({self.status})"


class WebhookDelivery(models.Model):
    """A raw job-change webhook as received (kept even when it fails), processed by Celery."""

    provider = models.CharField(max_length=64)
    delivery_id = models.CharField(max_length=128, help_text="The provider's id, or a hash of the body.")
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField()
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["provider", "delivery_id"], name="webhook_delivery_unique"),
        ]

    def __str__(self):
        return f"{self.provider} {self.delivery_id}"


class NewsFeed(models.Model):
    """An RSS/Atom feed about a customer account, polled for news about its executives."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="news_feeds")
    url = models.URLField(max_length=1000)
    etag = models.CharField(max_length=255, blank=True)
    modified = models.CharField(max_length=255, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "url"], name="news_feed_unique_per_account")]

    def __str__(self):
        return self.url


class SlackChannel(models.Model):
    """A CS team's Slack incoming webhook (admin-managed).  The URL is a secret — whoever has it can post
    to the channel — so it is stored encrypted (``sponsors.crypto``) and shown only by its last characters.

    Disabled by the transport when Slack answers 404 or 410 (the webhook was revoked or the channel
    archived); the team's managers are told by e-mail.  Saving a new URL enables it again."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="slack_channel")
    webhook_url_encrypted = models.TextField(editable=False)
    webhook_hint = models.CharField(max_length=40, blank=True, editable=False,
                                    help_text="The URL's host and last characters, to recognise it.")
    enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        state = "" if self.enabled else " (disabled)"
        return f"Slack for {self.team}{state}"

    def set_webhook_url(self, url: str) -> None:
        """Encrypt and keep ``url`` (an absolute http(s) URL; anything else is a ValidationError on the
        field) and enable the channel."""
        clean = safe_url(url)
        if not clean:
            raise ValidationError({"webhook_url": "Enter the webhook's absolute https:// URL."})
        if problem := crypto.configuration_problem():
            raise ValidationError({"webhook_url": f"cannot be stored: {problem}"})
        self.webhook_url_encrypted = crypto.encrypt(clean)
        host = urlsplit(clean).hostname or ""
        self.webhook_hint = f"{host[:24]}/…{clean[-6:]}"
        self.enabled, self.disabled_at, self.disabled_reason = True, None, ""

    @property
    def webhook_url(self) -> str:
        return crypto.decrypt(self.webhook_url_encrypted)


class PortfolioMetricSnapshot(models.Model):
    """The spec's five portfolio metrics of one scope as of one day, stored weekly (the week's last day),
    so a 12-week trend is one query on (scope, as_of).

    Scopes: ``all`` (every account), ``team:<id>`` (the accounts a team works, ``accounts_of_team``) and
    ``user:<id>`` (what the user may see, ``accounts_visible_to``: a manager's teams, a CSM's book).
    A metric without data (no accounts, no QBRs held, no sponsors a year ago) is NULL."""

    scope = models.CharField(max_length=32)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    as_of = models.DateField()
    accounts = models.PositiveIntegerField()
    exec_engagement_rate = models.FloatField(null=True, blank=True)
    exec_touchpoint_cadence = models.FloatField(null=True, blank=True)
    qbr_exec_attendance = models.FloatField(null=True, blank=True)
    sponsor_retention = models.FloatField(null=True, blank=True)
    multi_thread_score = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scope", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "as_of"], name="metric_snapshot_scope_day"),
        ]

    def __str__(self):
        return f"metrics of {self.scope} as of {self.as_of}"
class Heartbeat(models.Model):
    """The last sign of life of the processes behind the product (``sponsors/heartbeat.py`` writes them):
    ``queue:<name>`` when a task taken from that queue last finished, ``worker:<node>`` when a worker last
    checked in (with the queues it consumes), ``beat`` when beat last sent a periodic task."""

    key = models.CharField(max_length=200, unique=True)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return f"{self.key} at {self.at:%Y-%m-%d %H:%M:%S}"



# --- CRM connections and their syncs (sponsors/crm/connectors/, sponsors/crm/runs.py) ----------------------

class CrmConnection(models.Model):
    """A CRM the tracker keeps itself in sync with (HubSpot or Salesforce), with its analytics source.

    ``name`` is also the ``source`` of the accounts it brings (``Account.source``): upserts are keyed on
    (connection, external id).  The credentials (a HubSpot private-app token; a Salesforce access token, or a
    connected app's username/password flow) are stored encrypted (``sponsors.crypto``), or read at run time from
    the environment variable ``token_env`` names.  ``options`` override the documented property mappings."""

    class Kind(models.TextChoices):
        HUBSPOT = "hubspot", "HubSpot"
        SALESFORCE = "salesforce", "Salesforce"

    name = models.SlugField(max_length=32, unique=True, help_text="Also the source name of its accounts.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    base_url = models.URLField(max_length=500, blank=True,
                               help_text="HubSpot: default https://api.hubapi.com. Salesforce: the instance URL.")
    api_prefix = models.CharField(max_length=64, blank=True,
                                  help_text="HubSpot: default /crm/v3. Salesforce: the API version, default 59.0.")
    credentials_encrypted = models.TextField(blank=True, editable=False)
    credential_hint = models.CharField(max_length=40, blank=True, editable=False)
    token_env = models.CharField(max_length=128, blank=True,
                                 help_text="Read the token from this environment variable instead of storing it.")
    options = models.JSONField(default=dict, blank=True, help_text="Property mappings (README: CRM sync).")
    analytics_url = models.URLField(max_length=1000, blank=True, help_text="analytics.get_metrics: a JSON endpoint.")
    analytics_csv = models.CharField(max_length=1000, blank=True, help_text="... or a CSV file on the server.")
    enabled = models.BooleanField(default=True, help_text="Synced by the schedule.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CRM connection"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["hubspot", "salesforce"]), name="crm_connection_kind_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"


class CrmCursor(models.Model):
    """Where the incremental sync of one stream (accounts, contacts, interactions…) stands: the last-modified
    time of the newest record whose page has committed.  Written in that page's transaction."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="cursors", db_index=False)
    stream = models.CharField(max_length=32)
    watermark = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "stream"], name="crm_cursor_unique")]

    def __str__(self):
        return f"{self.connection.name}/{self.stream} at {self.watermark}"


class CrmRecord(models.Model):
    """The connection's mirror of the CRM: each record as last fetched, mapped to the snapshot format
    (``docs/snapshot-format.md``), so an account is always rebuilt whole from here and handed to the one upsert
    path.  A record deleted in the CRM is kept, ``archived_at`` set.  The accounts whose records changed since they
    were last applied are ``CrmPendingAccount`` rows."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="records", db_index=False,
                                   db_constraint=False)  # checked set-wise: sponsors/set_wise_keys.py
    kind = models.CharField(max_length=16)             # account, person, contact, interaction, metric
    external_id = models.CharField(max_length=128)
    account_key = models.CharField(max_length=128, null=True, blank=True)
    data = models.JSONField(default=dict)
    modified_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    problem = models.TextField(blank=True, help_text="Why the last sync skipped it (a malformed record).")

    class Meta:
        verbose_name = "CRM record"
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind", "external_id"], name="crm_record_unique"),
        ]
        indexes = [
            models.Index(fields=["connection", "account_key"], name="crm_record_account"),
        ]

    def __str__(self):
        return f"{self.kind} {self.external_id}"


class CrmPendingAccount(models.Model):
    """An account of the connection whose mirror records changed and that is not upserted yet (written with the
    page that changed them, removed in the transaction that upserts the account)."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="pending", db_index=False,
                                   db_constraint=False)  # checked set-wise: sponsors/set_wise_keys.py
    account_key = models.CharField(max_length=128)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "account_key"], name="crm_pending_unique")]

    def __str__(self):
        return f"{self.connection_id}/{self.account_key}"


class CrmSyncRun(models.Model):
    """One sync of a connection: when, what it fetched and changed per object, pages, problems, watermarks."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        WITH_PROBLEMS = "problems", "Succeeded with skipped records"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted (worker stopped)"
        BUSY = "busy", "Skipped: another sync was running"

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="runs")
    full = models.BooleanField(default=False)
    trigger = models.CharField(max_length=16, default="manual")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stage = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0, help_text="Records fetched and accounts applied so far.")
    total = models.PositiveIntegerField(default=0, help_text="Records the CRM announced, for the progress bar.")
    counts = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    watermarks = models.JSONField(default=dict, blank=True)
    accounts_changed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "CRM sync run"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["connection", "-started_at"], name="crm_run_latest")]

    def __str__(self):
        return f"{self.connection.name} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else (100 if self.finished_at else 0)
