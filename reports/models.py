"""The reports app's one model: a user's personal calendar-feed secret."""

from django.conf import settings
from django.db import models


class CalendarFeedToken(models.Model):
    """The secret in a user's iCalendar subscription URL (``/calendar/feed/<secret>.ics``), which Google or
    Outlook calendars fetch without logging in.  Only its SHA-256 is stored: the address is shown once, when
    it is made; making a new one or revoking it ends the old one at once (``reports.calendar_feed``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret, hex.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"calendar feed of {self.user}"
