"""HTTP with the manners a CRM API expects: a 429 waits for ``Retry-After`` (or the rate-limit window
the headers announce), a 5xx or a dropped connection is retried with exponential backoff, a 401/403 is an
``AuthError`` that says what to do, any other refusal a ``ConnectorError`` naming the status and the API's
message.  ``sleep`` is passed in, so tests record the waits instead of waiting."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import requests

from .base import AuthError, ConnectorError

TIMEOUT_SECONDS = 30


def retry_after_seconds(response) -> float | None:
    """``Retry-After`` as seconds (a number or an HTTP date), else HubSpot's rate-limit window when the
    remaining count is 0; None when the response names no wait."""
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    if response.headers.get("X-HubSpot-RateLimit-Remaining") == "0":
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        if interval and interval.isdigit():
            return int(interval) / 1000
    return None


def api_message(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error_description") or body.get("error") or body)[:300]
    if isinstance(body, list) and body and isinstance(body[0], dict):      # Salesforce: [{"message", "errorCode"}]
        return str(body[0].get("message") or body[0])[:300]
    return str(body)[:300]


class Http:
    """A ``requests`` session with the retry policy of ``conf`` (``RulesConfig.crm``)."""

    def __init__(self, *, conf, headers=None, sleep=time.sleep, what="the CRM"):
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.conf, self.sleep, self.what = conf, sleep, what
        self.requests = 0

    def backoff(self, attempt: int) -> float:
        return self.conf.backoff_seconds * (2 ** attempt)

    def request(self, method, url, **kwargs):
        conf = self.conf
        for attempt in range(conf.max_retries + 1):
            last = attempt == conf.max_retries
            self.requests += 1
            try:
                response = self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if last:
                    raise ConnectorError(f"{self.what} did not answer after {attempt + 1} attempts ({exc})") from None
                self.sleep(self.backoff(attempt))
                continue
            status = response.status_code
            if status == 429:
                wait = retry_after_seconds(response)
                wait = self.backoff(attempt) if wait is None else wait
                if last or wait > conf.max_retry_after_seconds:
                    raise ConnectorError(f"{self.what} is rate-limiting us (429, wait {wait:g}s): "
                                         f"{api_message(response)}; the next run goes on from here")
                self.sleep(wait)
                continue
            if status >= 500:
                if last:
                    raise ConnectorError(f"{self.what} answered {status} {attempt + 1} times: {api_message(response)}")
                self.sleep(self.backoff(attempt))
                continue
            if status in (401, 403):
                raise AuthError(self.auth_message(status, response))
            if status >= 400:
                raise ConnectorError(f"{self.what} refused {method} {url.split('?')[0]}: {status} "
                                     f"{api_message(response)}")
            wait = retry_after_seconds(response)       # the window is used up: wait before the next request
            if wait:
                self.sleep(min(wait, conf.max_retry_after_seconds))
            return response
        raise AssertionError("unreachable")

    def auth_message(self, status, response) -> str:
        if status == 401:
            return (f"{self.what} refused the credentials (401: {api_message(response)}): the token has expired or "
                    "was revoked — store a new one (crm_connection add NAME --token-env VAR, or the admin)")
        return (f"{self.what} refused access (403: {api_message(response)}): the app lacks a scope this sync "
                "needs (README: CRM sync)")

    def json(self, method, url, **kwargs):
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(f"{self.what} sent a response that is not JSON ({url.split('?')[0]})") from None
