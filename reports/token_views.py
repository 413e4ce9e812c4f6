"""``/settings/api-tokens/``: a user makes, names and revokes their personal API tokens and sees when each
was last used.  A new token is shown once, on the page that made it (only its digest is stored:
``accounts.tokens``); revoking one takes effect at once."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import ApiToken
from accounts.tokens import MAX_ACTIVE_TOKENS, NAME_MAX_LENGTH, token_create, token_revoke, tokens_of


class TokenForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, label="Name",
                           help_text="What will use it, e.g. “Slack bot” or “BI dashboard”.")


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            for message in exc.message_dict.get("name", exc.messages):
                form.add_error("name", message)
        else:
            created = {"token": token, "raw": raw}
            form = TokenForm()
    context = {"form": form, "created": created, "tokens": tokens_of(request.user),
               "max_tokens": MAX_ACTIVE_TOKENS}
    return render(request, "reports/api_tokens.html", context, status=201 if created else 200)


@login_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    token_revoke(token=token, by=request.user)
    messages.success(request, f"Revoked “{token.name}” ({token.prefix}…): it no longer works.")
    return redirect("reports:api_tokens")
