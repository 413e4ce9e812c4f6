"""My calendar (``/calendar/``): planned and cadence-due executive touchpoints across the user's accounts,
and the personal iCalendar subscription URL (a revocable secret) for Google or Outlook."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from reports.calendar_feed import FEED_DAYS_AHEAD, FEED_DAYS_BACK, entries, feed_issue, feed_revoke, feed_user, to_ics
from reports.models import CalendarFeedToken

PAGE = "reports/calendar.html"
PAGE_DAYS = 60
PAGE_LIMIT = 200


def _context(request, *, feed_url: str = "", notice: str = "") -> dict:
    today = timezone.localdate()
    rows = entries(request.user, today=today, days_ahead=PAGE_DAYS)
    token = CalendarFeedToken.objects.filter(user=request.user).first()
    return {"today": today, "entries": rows[:PAGE_LIMIT], "more": max(0, len(rows) - PAGE_LIMIT),
            "days": PAGE_DAYS, "token": token, "feed_url": feed_url, "feed_notice": notice}


@require_GET
@login_required
def calendar(request):
    return render(request, PAGE, _context(request))


@require_POST
@login_required
def subscription(request):
    """``action`` = new (a new secret URL, shown once; the old one ends) | revoke."""
    action = request.POST.get("action")
    if action == "new":
        secret = feed_issue(user=request.user)
        url = request.build_absolute_uri(reverse("reports:calendar_feed", args=[secret]))
        notice = ("Your new subscription address is below; copy it now, it is shown only once. Any earlier "
                  "address has stopped working.")
        context = _context(request, feed_url=url, notice=notice)
    elif action == "revoke":
        notice = ("Subscription address revoked: calendars using it get nothing from now on."
                  if feed_revoke(user=request.user) else "There was no subscription address to revoke.")
        if not request.htmx:
            messages.success(request, notice)
            return redirect("reports:calendar")
        context = _context(request, notice=notice)
    else:
        return render(request, f"{PAGE}#subscription", {**_context(request), "feed_error": "Choose new or revoke."},
                      status=400)
    return render(request, f"{PAGE}#subscription" if request.htmx else PAGE, context)


@require_GET
def feed(request, token):
    """The iCalendar feed: no login (calendar apps cannot), the secret in the URL is the key."""
    user = feed_user(token)
    if user is None:
        raise Http404("No such calendar")
    today = timezone.localdate()
    rows = entries(user, today=today, days_back=FEED_DAYS_BACK, days_ahead=FEED_DAYS_AHEAD)
    body = to_ics(rows, user=user, site_url=getattr(settings, "SITE_URL", "") or request.build_absolute_uri("/"),
                  now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="executive-touchpoints.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response
