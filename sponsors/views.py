"""The job-change webhook endpoint (an org-change source).  The pages and the REST API live in
``reports/`` (the top floor)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .orgchanges import webhook

# --- the webhook --------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def job_change_webhook(request, provider):
    """``POST /webhooks/job-changes/<provider>/`` — see ``sponsors.orgchanges`` for the payload.

    Signed: ``X-Signature`` = hex HMAC-SHA256 of ``"<X-Timestamp>." + raw body`` with the provider's
    secret; ``X-Timestamp`` = unix seconds, at most 300 s away.  202 stored and queued; 200 with
    ``"duplicate": true`` for a delivery id already received (not processed again).
    """
    try:
        delivery, created = webhook.receive_webhook(
            provider=provider, body=request.body, timestamp=request.headers.get("X-Timestamp"),
            signature=request.headers.get("X-Signature"))
    except webhook.WebhookRefused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    body = {"delivery": delivery.delivery_id, "duplicate": not created}
    return JsonResponse(body, status=202 if created else 200)
