"""Customer accounts (tier, owner, team, contract, goals, alignment, value metrics) and our users.

"Account" here always means a *customer* account.  The people who use the tracker are ``User``
rows with a role (CSM, manager, admin); ``Team`` groups CSMs under their managers.
"""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from .timezones import time_zone_error
from .vocabulary import TIER_LABELS, TIERS, choices


def in_choices(field, choices):
    """A check constraint that keeps ``field`` inside its choices (the database enforces enums)."""
    return Q(**{f"{field}__in": [c[0] for c in choices]})


class UserRole(models.TextChoices):
    CSM = "csm", "CSM"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


def validate_time_zone(value):
    error = time_zone_error(value)
    if error:
        raise ValidationError(error)


class User(AbstractUser):
    """Someone on our side: a CSM, a manager or an admin."""

    Role = UserRole

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CSM)
    time_zone = models.CharField(
        max_length=64, blank=True, default="", validators=[validate_time_zone],
        help_text="IANA name, e.g. America/Los_Angeles; empty: the site's TIME_ZONE. The weekly digest "
                  "arrives on Monday at 08:00 here.")
    wants_digest = models.BooleanField(
        null=True, blank=True, default=None,
        help_text="The weekly digest: empty follows the role (managers get it, CSMs do not); yes opts in, "
                  "no opts out.")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=in_choices("role", UserRole.choices), name="user_role_valid"),
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="user_email_unique_ci"),
        ]

    def __str__(self):
        return self.get_full_name() or self.email or self.username

    @property
    def is_admin(self):
        return self.is_superuser or self.role == self.Role.ADMIN

    @property
    def gets_digest(self) -> bool:
        """The weekly digest: an explicit choice wins; otherwise managers get it and others do not."""
        if self.wants_digest is not None:
            return self.wants_digest
        return self.role == self.Role.MANAGER


class Team(models.Model):
    """A CS team: its managers see every account any of its members works."""

    name = models.CharField(max_length=120, unique=True)
    managers = models.ManyToManyField(User, related_name="managed_teams", blank=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    def __str__(self):
        return self.name


TIER_CHOICES = choices(TIERS, TIER_LABELS)


class Account(models.Model):
    """A customer account, as the CRM knows it (``crm.get_account``)."""

    source = models.CharField(
        max_length=32, default="snapshot", help_text="Where the account comes from (snapshot, hubspot, salesforce…)."
    )
    external_id = models.CharField(max_length=128, help_text="The id in the source; unique per source.")
    name = models.CharField(max_length=255)
    tier = models.CharField(max_length=16, choices=TIER_CHOICES)
    industry = models.CharField(max_length=120, blank=True)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_accounts")
    # The contract (one per account in the CRM export).
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    contract_start = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    team = models.ManyToManyField(User, through="AccountTeamMember", related_name="team_accounts", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="account_external_id_unique_per_source"),
            models.CheckConstraint(condition=in_choices("tier", TIER_CHOICES), name="account_tier_valid"),
            models.CheckConstraint(condition=Q(arr__isnull=True) | Q(arr__gte=0), name="account_arr_non_negative"),
        ]

    def __str__(self):
        return self.name


class TeamRole(models.TextChoices):
    CSM = "csm", "CSM"
    ACCOUNT_EXECUTIVE = "account_executive", "Account executive"
    MANAGER = "manager", "Manager"
    EXECUTIVE_SPONSOR_INTERNAL = "executive_sponsor_internal", "Internal executive sponsor"
    OTHER = "other", "Other"


class AccountTeamMember(models.Model):
    """Someone of ours on the account team, with their role on it."""

    Role = TeamRole

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_roles")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.CSM)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="account_team_member_unique"),
            models.CheckConstraint(condition=in_choices("role", TeamRole.choices), name="account_team_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) on {self.account}"


class GoalStatus(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    DONE = "done", "Done"


class Goal(models.Model):
    Status = GoalStatus

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="goals")
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ON_TRACK)
    progress = models.FloatField(null=True, blank=True, help_text="0..1")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="goal_unique_per_account"),
            models.CheckConstraint(condition=in_choices("status", GoalStatus.choices), name="goal_status_valid"),
            models.CheckConstraint(
                condition=Q(progress__isnull=True) | Q(progress__gte=0, progress__lte=1), name="goal_progress_0_1"
            ),
        ]

    def __str__(self):
        return self.name


class AlignmentLevel(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class StrategicAlignment(models.Model):
    """One of our initiatives against one of the customer's priorities."""

    Level = AlignmentLevel

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="alignment")
    our_initiative = models.CharField(max_length=255)
    their_priority = models.CharField(max_length=255)
    alignment = models.CharField(max_length=8, choices=Level.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "our_initiative", "their_priority"], name="alignment_unique_per_account"
            ),
            models.CheckConstraint(
                condition=in_choices("alignment", AlignmentLevel.choices), name="alignment_level_valid"
            ),
        ]

    def __str__(self):
        return f"{self.our_initiative} ↔ {self.their_priority}"


class ValueMetric(models.Model):
    """The spec's executive-relevant metrics (``analytics.get_metrics``), one row per date."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="metrics")
    as_of = models.DateField()
    roi = models.FloatField(null=True, blank=True)
    strategic_goals_progress = models.FloatField(null=True, blank=True)
    executive_dashboard_views = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["account", "as_of"], name="value_metric_unique_per_day"),
            models.CheckConstraint(
                condition=Q(strategic_goals_progress__isnull=True)
                | Q(strategic_goals_progress__gte=0, strategic_goals_progress__lte=1),
                name="value_metric_goals_progress_0_1",
            ),
        ]

    def __str__(self):
        return f"{self.account} metrics as of {self.as_of}"


class ApiToken(models.Model):
    """A personal API token: a user's key for the REST API (``Authorization: Bearer <token>``).

    Only the SHA-256 digest of the token is stored (a token is 256 random bits, so a fast hash is as good
    as a slow one); the token itself is shown once, when it is made.  ``prefix`` (its first characters)
    lets its owner recognise it.  Writes go through ``accounts.tokens``."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “Slack bot”.")
    prefix = models.CharField(max_length=16, help_text="The token's first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the token, hex.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
