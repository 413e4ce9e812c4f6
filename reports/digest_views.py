"""The digest's pages: one-click unsubscribe (RFC 8058) and each user's digest settings.

``/digest/unsubscribe/<token>/``: the token is signed (``django.core.signing``, the user's id, a salt of
its own), so the link in a digest works without logging in and cannot be forged for someone else.  A GET
only shows a confirmation button (mail scanners follow links); the POST — the button, or the mail
client's one-click ``List-Unsubscribe-Post`` — opts the user out.  ``/settings/digest/``: the signed-in
user's time zone and digest choice.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from accounts.models import User
from accounts.timezones import time_zone_error

from .digest_service import user_from_token

CHOICES = [("", "Default for my role (managers: on)"), ("on", "Send me the weekly digest"), ("off", "No digest")]


class DigestPreferencesForm(forms.Form):
    time_zone = forms.CharField(required=False, max_length=64, label="Time zone",
                                help_text="IANA name, e.g. America/Los_Angeles; empty: the site's.")
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
    return render(request, "reports/digest_preferences.html", {"form": form, "gets": user.gets_digest})
