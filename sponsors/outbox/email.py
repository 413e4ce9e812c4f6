"""E-mail: built from templates, written to the outbox, sent exactly once by a Celery task.

Each e-mail is an ``OutboundEmail`` row with a unique ``dedupe_key`` (``alert:<pk>:escalation``,
``touchpoint:<pk>:planned``), written in the same transaction as the alert or touchpoint that
caused it.  ``send_outbox_email`` sends one row:

1. it *claims* the row with one conditional UPDATE (``pending``, or ``sending`` whose claim is older
   than the lease, i.e. a worker that died mid-send) — two workers never both hold a claim;
2. it sends through Django's default mailer with the ``Message-ID`` fixed when the row was written,
   so a resend after a crash is recognisably the same message;
3. it marks the row ``sent``; a failure puts it back to ``pending`` with ``last_error`` (the claim
   counted the attempt), and after ``max_attempts`` claims the row is ``failed``.

The one window left is a worker dying *after* the SMTP server accepted the message and *before*
the row is marked sent: after the lease the message is sent again with the same Message-ID, which
mail clients fold into one.

The claim, lease, attempts and backoff are the outbox's, whatever the channel (``core.py``); this
module is the e-mail channel: templates, headers and ``EmailTransport``.

Templates (healthchecks style): ``templates/emails/<name>-subject.txt``, ``<name>-body.txt`` and
``<name>-body.html``.  Names coming from CRM data are stripped of CR/LF before they reach a header
and addresses are formatted with ``email.utils.formataddr``.

Who receives what: ``sponsors/outbox/recipients.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from ..config import rules_config
from ..models import OutboundEmail
from ..queue import SEND_OUTBOX_EMAIL, queue_on_commit
from . import core
from .core import OutboxSendError, retry_countdown

__all__ = ["OutboxSendError", "retry_countdown"]   # kept here for the callers that know them from here


def message_id_domain() -> str:
    """``OutboxConfig.domain``, else the domain of ``DEFAULT_FROM_EMAIL``."""
    domain = rules_config().outbox.domain
    if domain:
        return domain
    addr = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    return addr.rpartition("@")[2] or "localhost"


# --- headers ----------------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def header_safe(text: str) -> str:
    """One line: CR/LF (and other line breaks) become spaces, runs of spaces collapse."""
    return " ".join(_LINE_BREAKS.sub(" ", text or "").split())


def address(name: str, email: str) -> str:
    """``"Dana Reyes" <dana@vendor.example>`` with the name made header-safe."""
    return formataddr((header_safe(name), header_safe(email)))


# --- templates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, ctx: dict) -> RenderedEmail:
    """Render ``emails/<name>-subject.txt``, ``-body.txt`` and ``-body.html``."""
    subject = header_safe(render_to_string(f"emails/{name}-subject.txt", ctx))
    text = render_to_string(f"emails/{name}-body.txt", ctx).strip() + "\n"
    html = render_to_string(f"emails/{name}-body.html", ctx)
    return RenderedEmail(subject=subject[:255], text=text, html=html)


def make_message(name: str, to: list[str], ctx: dict, *, message_id: str | None = None) -> EmailMultiAlternatives:
    """A ready-to-send message from the ``name`` templates (for direct use; the outbox stores the parts)."""
    rendered = render_email(name, ctx)
    return _message(to, rendered.subject, rendered.text, rendered.html, message_id or new_message_id())


def _message(to, subject, text, html, message_id, headers=None) -> EmailMultiAlternatives:
    extra = {header_safe(k): header_safe(v) for k, v in (headers or {}).items()}
    msg = EmailMultiAlternatives(subject=header_safe(subject), body=text, to=list(to),
                                 headers={**extra, "Message-ID": message_id})
    if html:
        msg.attach_alternative(html, "text/html")
    return msg


def new_message_id() -> str:
    return make_msgid(idstring="exec-sponsor", domain=message_id_domain())


def outbox_email(*, name: str, dedupe_key: str, to: list[str], ctx: dict, alert=None, account=None,
                 headers: dict | None = None) -> OutboundEmail:
    """An unsaved outbox row (the caller saves it in its own transaction, usually in bulk)."""
    rendered = render_email(name, ctx)
    return OutboundEmail(
        dedupe_key=dedupe_key, kind=name, alert=alert, account=account, to=list(to), subject=rendered.subject,
        body_text=rendered.text, body_html=rendered.html, message_id=new_message_id(), headers=dict(headers or {}),
    )


def queue_outbox(rows) -> None:
    """Send the rows once the transaction that wrote them has committed."""
    for row in rows:
        queue_on_commit(SEND_OUTBOX_EMAIL, row.pk)


# --- sending -------------------------------------------------------------------------------


class EmailTransport:
    """The e-mail channel: Django's default mailer, with the Message-ID fixed when the row was written."""

    channel = OutboundEmail.Channel.EMAIL

    def notify(self, row: OutboundEmail) -> None:
        _message(row.to, row.subject, row.body_text, row.body_html, row.message_id, row.headers).send()


def send_outbox_email(email_id: int) -> str:
    """Send one e-mail row at most once at a time (``core.deliver``).  Returns ``"sent"``, ``"failed"``
    (for good) or ``"skipped"`` (sent already, failed, missing, another channel's, or claimed by a live
    worker) — or raises ``OutboxSendError``."""
    return core.deliver(email_id, {EmailTransport.channel: EmailTransport()})


def resendable_email_ids(*, older_than_seconds: int = 60, limit: int = 500) -> list[int]:
    """Rows a sweep should queue again (every channel's): see ``core.resendable_ids``."""
    return core.resendable_ids(older_than_seconds=older_than_seconds, limit=limit)
