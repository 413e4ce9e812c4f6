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

Templates (healthchecks style): ``templates/emails/<name>-subject.txt``, ``<name>-body.txt`` and
``<name>-body.html``.  Names coming from CRM data are stripped of CR/LF before they reach a header
and addresses are formatted with ``email.utils.formataddr``.

Recipients of a sponsor departure: the account's CSM(s) (account team members with role ``csm``,
and the account owner), the rest of the account team, and their manager(s) (team members with role
``manager`` plus the managers of every Team a CSM of the account belongs to).  Users who are
inactive because they were imported from the CRM and not yet invited *do* get the e-mail: they are
real colleagues named by the CRM, and an escalation must not wait for an invitation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account, AccountTeamMember, Team

from .models import OutboundEmail

# Defaults; settings EXEC_SPONSOR_EMAIL = {"lease_seconds": ..., "max_attempts": ..., "domain": ...}.
SEND_LEASE_SECONDS = 600        # a claim older than this belongs to a dead worker
MAX_ATTEMPTS = 5                # claims before a row is given up as failed
ROLE_ORDER = {"csm": 0, "manager": 1, "account_executive": 2, "executive_sponsor_internal": 3, "other": 4}


def email_settings() -> dict:
    d = dict(getattr(settings, "EXEC_SPONSOR_EMAIL", {}) or {})
    return {
        "lease_seconds": int(d.get("lease_seconds", SEND_LEASE_SECONDS)),
        "max_attempts": int(d.get("max_attempts", MAX_ATTEMPTS)),
        "domain": d.get("domain") or _from_domain(),
    }


def _from_domain() -> str:
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


def _message(to, subject, text, html, message_id) -> EmailMultiAlternatives:
    msg = EmailMultiAlternatives(subject=header_safe(subject), body=text, to=list(to),
                                 headers={"Message-ID": message_id})
    if html:
        msg.attach_alternative(html, "text/html")
    return msg


def new_message_id() -> str:
    return make_msgid(idstring="exec-sponsor", domain=email_settings()["domain"])


def outbox_email(*, name: str, dedupe_key: str, to: list[str], ctx: dict, alert=None, account=None) -> OutboundEmail:
    """An unsaved outbox row (the caller saves it in its own transaction, usually in bulk)."""
    rendered = render_email(name, ctx)
    return OutboundEmail(
        dedupe_key=dedupe_key, kind=name, alert=alert, account=account, to=list(to), subject=rendered.subject,
        body_text=rendered.text, body_html=rendered.html, message_id=new_message_id(),
    )


# --- recipients --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    role: str                # "csm" | "manager" | "account_executive" | ... (on this account)

    @property
    def formatted(self) -> str:
        return address(self.name, self.email)


def _person_name(user) -> str:
    return (f"{user.first_name} {user.last_name}".strip() or user.email)


def account_team_recipients(account_ids) -> dict:
    """``{account_id: [Recipient]}``: account team (+ owner as CSM) and the managers of the CSMs'
    Teams; CSMs first, then managers, then the rest; each address once.  Three queries in all."""
    account_ids = list(account_ids)
    found = defaultdict(list)
    if not account_ids:
        return {}
    members = (AccountTeamMember.objects.filter(account_id__in=account_ids)
               .select_related("user").order_by("account_id", "pk"))
    for m in members:
        found[m.account_id].append((m.role, m.user))
    for account_id, owner in ((a.pk, a.owner) for a in Account.objects.filter(pk__in=account_ids,
                                                                              owner__isnull=False)
                              .select_related("owner")):
        found[account_id].append(("csm", owner))
    csm_ids = {u.pk for people in found.values() for role, u in people if role == "csm"}
    managers_of = defaultdict(list)  # csm user id -> [manager users]
    if csm_ids:
        through = Team.members.through.objects.filter(user_id__in=csm_ids).values_list("user_id", "team_id")
        team_of = defaultdict(set)
        for user_id, team_id in through:
            team_of[team_id].add(user_id)
        for team in Team.objects.filter(pk__in=list(team_of)).prefetch_related("managers"):
            for user_id in team_of[team.pk]:
                managers_of[user_id].extend(team.managers.all())
    out = {}
    for account_id in account_ids:
        people = list(found.get(account_id, ()))
        for role, user in list(people):
            if role == "csm":
                people.extend(("manager", mgr) for mgr in managers_of.get(user.pk, ()))
        seen, recipients = set(), []
        for role, user in sorted(people, key=lambda p: ROLE_ORDER.get(p[0], 9)):
            key = (user.email or "").strip().casefold()
            if not key or key in seen:
                continue
            seen.add(key)
            recipients.append(Recipient(name=_person_name(user), email=user.email.strip(), role=role))
        out[account_id] = recipients
    return out


# --- sending -------------------------------------------------------------------------------


class OutboxSendError(Exception):
    """Sending failed; the row is pending again (or failed for good) and the task may retry."""


def send_outbox_email(email_id: int) -> str:
    """Send one outbox row at most once at a time.  Returns ``"sent"``, ``"skipped"`` (sent already,
    failed for good, missing, or claimed by a live worker) — or raises ``OutboxSendError``."""
    conf = email_settings()
    now = timezone.now()
    stale = now - timedelta(seconds=conf["lease_seconds"])
    claimable = Q(status=OutboundEmail.Status.PENDING) | Q(status=OutboundEmail.Status.SENDING, claimed_at__lt=stale)
    claimed = (OutboundEmail.objects.filter(claimable, pk=email_id)
               .update(status=OutboundEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1))
    if not claimed:
        return "skipped"
    row = OutboundEmail.objects.get(pk=email_id)
    try:
        _message(row.to, row.subject, row.body_text, row.body_html, row.message_id).send()
    except Exception as exc:  # noqa: BLE001 - any transport error: record it, retry later
        final = row.attempts >= conf["max_attempts"]
        OutboundEmail.objects.filter(pk=row.pk, status=OutboundEmail.Status.SENDING, claimed_at=now).update(
            status=OutboundEmail.Status.FAILED if final else OutboundEmail.Status.PENDING,
            last_error=f"attempt {row.attempts}: {type(exc).__name__}: {exc}"[:2000], claimed_at=None,
        )
        if final:
            return "failed"
        raise OutboxSendError(f"e-mail {row.pk} attempt {row.attempts} failed: {exc}") from exc
    OutboundEmail.objects.filter(pk=row.pk, status=OutboundEmail.Status.SENDING, claimed_at=now).update(
        status=OutboundEmail.Status.SENT, sent_at=timezone.now(), last_error="")
    return "sent"


def resendable_email_ids(*, older_than_seconds: int = 60, limit: int = 500) -> list[int]:
    """Rows a sweep should queue again: pending for a while, or claimed by a worker that died."""
    now = timezone.now()
    conf = email_settings()
    qs = OutboundEmail.objects.filter(
        Q(status=OutboundEmail.Status.PENDING, created_at__lt=now - timedelta(seconds=older_than_seconds))
        | Q(status=OutboundEmail.Status.SENDING, claimed_at__lt=now - timedelta(seconds=conf["lease_seconds"]))
    )
    return list(qs.order_by("created_at").values_list("pk", flat=True)[:limit])
