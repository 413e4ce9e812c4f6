"""The digest's pages: one-click unsubscribe (RFC 8058) and each user's digest settings.

``/digest/unsubscribe/<token>/``: the token is signed (``django.core.signing``, the user's id, a salt of
its own), so the link in a digest works without logging in and cannot be forged for someone else.  A GET
only shows a confirmation button (mail scanners follow links); the POST — the button, or the mail
client's one-click ``List-Unsubscribe-Post`` — opts the user out.  ``/settings/digest/``: the signed-in
user's time zone and digest choice, and ``/settings/digest/preview/``: the user's latest digest (of the last
send day), shown as the e-mail reads, computed and never stored or sent.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.timezones import time_zone_error

from . import digest_render
from .digest_service import last_send_day, user_digest, user_from_token, user_zone

CHOICES = [("", "Default for my role (managers: on)"), ("on", "Send me the weekly digest"), ("off", "No digest")]


# The e-mail's own inline styles (mail clients need them) and nothing else: no script, no fetch, no form.
EMAIL_PREVIEW_CSP = {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE], "img-src": [CSP.SELF, "data:"],
                     "base-uri": [CSP.NONE], "form-action": [CSP.NONE], "frame-ancestors": [CSP.NONE]}


@cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA names the time zone field offers (read from the system's zone files once per process)."""
    return tuple(sorted(available_timezones()))


def latest_send_day(user):
    """The send day of the user's latest digest, in their own time zone (as the digests go out)."""
    return last_send_day(timezone.localdate(timezone=user_zone(user)))


class DigestPreferencesForm(forms.Form):
    time_zone = forms.CharField(required=False, max_length=64, label="Time zone",
                                help_text="An IANA name, e.g. America/Los_Angeles (type to pick from the list); "
                                          "empty: the site's.",
                                widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}))
    digest = forms.ChoiceField(choices=CHOICES, required=False, label="Weekly digest")

    def clean_time_zone(self):
        value = (self.cleaned_data.get("time_zone") or "").strip()
        error = time_zone_error(value)
        if error:
            raise forms.ValidationError(error)
        return value


@csrf_exempt          # a mail client's one-click POST carries no CSRF token; the signed token is the proof
def unsubscribe(request, token):
    user = user_from_token(token)
    if user is None:
        return render(request, "reports/digest_unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        User.objects.filter(pk=user.pk).update(wants_digest=False)
        return render(request, "reports/digest_unsubscribe.html", {"done": True, "who": user})
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    return render(request, "reports/digest_unsubscribe.html", {"who": user})


@login_required
def preferences(request):
    user = request.user
    initial = {"time_zone": user.time_zone, "digest": {None: "", True: "on", False: "off"}[user.wants_digest]}
    form = DigestPreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        user.time_zone = form.cleaned_data["time_zone"]
        user.wants_digest = {"": None, "on": True, "off": False}[form.cleaned_data["digest"] or ""]
        user.save(update_fields=["time_zone", "wants_digest"])
        messages.success(request, "Digest settings saved.")
        return redirect("reports:digest_preferences")
    return render(request, "reports/digest_preferences.html",
                  {"form": form, "gets": user.gets_digest, "time_zones": time_zone_names(),
                   "last_send_day": latest_send_day(user)},
                  status=400 if form.errors else 200)


@require_GET
@login_required
@csp_override(EMAIL_PREVIEW_CSP)
def preview(request):
    """The signed-in user's latest digest — the one of the last send day, whether or not they get it by e-mail
    — as the e-mail reads (its HTML part): its week ends on the day the weekly metrics are stored, so the
    trend is the one they receive.  Computed now; nothing is stored or sent."""
    digest = user_digest(request.user, latest_send_day(request.user), save=False)
    return HttpResponse(digest_render.email(digest).html)
