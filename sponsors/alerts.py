"""Alerts: guardrail findings turned into rows with a lifecycle (open → acknowledged → resolved).

``evaluate_accounts(account_ids=None, as_of=...)`` loads the facts of the portfolio (or some
accounts) in a fixed number of queries, scores each account (pure), runs the guardrails (pure) and
``sync_alerts`` writes the result in one transaction:

* a finding with no unresolved alert for its (account, code, subject) opens one;
* a finding with one keeps it fresh (severity, message, details, contact, ``last_seen_on``), while
  ``due_on`` stays what it was when the alert opened (the rule recomputes it from ``as_of``);
* an unresolved alert whose finding is gone resolves itself; if the condition comes back, a new
  alert opens (resolved alerts are the history);
* an escalating finding (``sponsor_departed``) gets its e-mail written to the outbox in the same
  transaction, with dedupe key ``alert:<pk>:escalation``, and the send is queued on commit.

Concurrent evaluations are serialised by a transaction-level advisory lock on PostgreSQL, so a
sweep running twice cannot open the same alert (or write the same e-mail) twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account

from . import guardrails, scoring
from .models import Alert, Contact, OrgChange, OutboundEmail
from .notify import account_team_recipients, outbox_email
from .selectors import load_account_facts, scoring_config

ESCALATION_EMAIL = "sponsor_departed"
SYNC_LOCK_KEY = 0x45_53_47_52  # "ESGR": pg_advisory_xact_lock key for sync_alerts


def guardrail_config() -> guardrails.GuardrailConfig:
    return guardrails.GuardrailConfig.from_mapping(getattr(settings, "EXEC_SPONSOR_GUARDRAILS", {}) or {})


@dataclass
class EvaluationResult:
    as_of: date
    accounts: int = 0
    findings: int = 0
    opened: list = field(default_factory=list)        # Alert rows opened
    kept: int = 0
    resolved: int = 0
    emails: list = field(default_factory=list)        # OutboundEmail rows written

    def summary(self) -> str:
        return (f"{self.accounts} account(s) evaluated as of {self.as_of.isoformat()}: "
                f"{len(self.opened)} alert(s) opened, {self.kept} kept, {self.resolved} resolved; "
                f"{len(self.emails)} e-mail(s) queued")


def escalation_key(alert) -> str:
    return f"alert:{alert.pk}:escalation"


def evaluate_accounts(*, account_ids=None, as_of: date) -> EvaluationResult:
    """Evaluate the guardrails for ``account_ids`` (every account when None) as of ``as_of``."""
    score_config = scoring_config()
    config = guardrail_config()
    facts_by_account = load_account_facts(account_ids, as_of=as_of, config=score_config)
    findings = {}
    for account_id, facts in facts_by_account.items():
        engagement = scoring.score_account(facts, as_of=as_of, config=score_config)
        findings[account_id] = guardrails.evaluate_account(facts, engagement, as_of=as_of, config=config)
    return sync_alerts(findings=findings, facts=facts_by_account, as_of=as_of)


def _key(account_id, code, subject):
    return (account_id, code, subject or "")


def _replace_date(value, old: str, new: str):
    """``value`` with every occurrence of the ISO date ``old`` replaced by ``new`` (strings, lists, dicts)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace_date(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _replace_date(v, old, new) for k, v in value.items()}
    return value


def _finding_due(finding) -> date | None:
    due = finding.details.get("due_on")
    return date.fromisoformat(due) if due else None


def _succession_proposal(finding, facts) -> dict:
    """For a departed *primary* sponsor: the backup proposed as the new primary (if there is one)."""
    if finding.code != "sponsor_departed" or finding.details.get("sponsor_role") != "primary" or facts is None:
        return {}
    names = finding.details.get("backup_sponsors") or []
    backup = next((c for c in facts.contacts if c.sponsor == "backup" and c.is_active and c.name in names
                   and c.id != finding.contact_id), None)
    if backup is None:
        return {"proposed_primary_id": None, "proposed_primary_name": None}
    return {"proposed_primary_id": backup.id, "proposed_primary_name": backup.name}


def sync_alerts(*, findings: dict, as_of: date, facts: dict | None = None) -> EvaluationResult:
    """Make the unresolved alerts of the accounts in ``findings`` ({account_id: [Finding]}) match them.

    Accounts not in ``findings`` are left alone.  A fixed number of queries whatever the count.
    """
    facts = facts or {}
    result = EvaluationResult(as_of=as_of, accounts=len(findings),
                              findings=sum(len(v) for v in findings.values()))
    if not findings:
        return result
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SYNC_LOCK_KEY])
        existing = {
            _key(a.account_id, a.code, a.subject): a
            for a in Alert.objects.filter(account_id__in=list(findings)).exclude(status=Alert.Status.RESOLVED)
        }
        wanted = {}
        for account_id, account_findings in findings.items():
            for finding in account_findings:
                wanted.setdefault(_key(account_id, finding.code, finding.subject), finding)

        new, kept = [], []
        for key, finding in wanted.items():
            account_id = key[0]
            alert = existing.get(key)
            due = _finding_due(finding)
            message, details = finding.message, dict(finding.details)
            details.update(_succession_proposal(finding, facts.get(account_id)))
            if alert is None:
                new.append(Alert(
                    account_id=account_id, code=finding.code, subject=finding.subject or "",
                    severity=finding.severity, contact_id=finding.contact_id, message=message, details=details,
                    due_on=due, last_seen_on=as_of,
                ))
                continue
            if alert.due_on is not None and due is not None and due != alert.due_on:
                # The due date is fixed when the alert opens; keep what the message and details say in line.
                message = _replace_date(message, due.isoformat(), alert.due_on.isoformat())
                details = _replace_date(details, due.isoformat(), alert.due_on.isoformat())
            elif alert.due_on is None:
                alert.due_on = due
            alert.severity, alert.message, alert.details = finding.severity, message, details
            alert.contact_id, alert.last_seen_on = finding.contact_id, as_of
            kept.append(alert)

        cleared = [a.pk for key, a in existing.items() if key not in wanted]
        if new:
            Alert.objects.bulk_create(new)
        if kept:
            Alert.objects.bulk_update(kept, ["severity", "message", "details", "contact", "last_seen_on", "due_on"])
        if cleared:
            Alert.objects.filter(pk__in=cleared).update(status=Alert.Status.RESOLVED, resolved_at=now)
        result.opened, result.kept, result.resolved = new, len(kept), len(cleared)

        escalating = [a for a in (*new, *kept) if wanted[_key(a.account_id, a.code, a.subject)].escalate]
        result.emails = _write_escalations(escalating, facts=facts)
    return result


def _write_escalations(alerts, *, facts) -> list:
    """Outbox rows for escalating alerts that have none yet (a fixed number of queries)."""
    if not alerts:
        return []
    keys = {escalation_key(a): a for a in alerts}
    known = set(OutboundEmail.objects.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True))
    todo = [a for key, a in keys.items() if key not in known]
    if not todo:
        return []
    account_ids = sorted({a.account_id for a in todo})
    recipients = account_team_recipients(account_ids)
    accounts = Account.objects.in_bulk(account_ids)
    contacts = Contact.objects.in_bulk([a.contact_id for a in todo if a.contact_id])
    changes = OrgChange.objects.in_bulk([a.details["org_change_id"] for a in todo if a.details.get("org_change_id")])
    rows = []
    for alert in todo:
        people = recipients.get(alert.account_id, [])
        if not people:
            continue  # nobody to tell: the alert itself (and its listing) carries the escalation
        account = accounts[alert.account_id]
        ctx = {
            "alert": alert, "account": account, "contact": contacts.get(alert.contact_id),
            "details": alert.details, "recipients": people,
            "org_change": changes.get(alert.details.get("org_change_id")),
        }
        rows.append(outbox_email(name=ESCALATION_EMAIL, dedupe_key=escalation_key(alert),
                                 to=[p.formatted for p in people], ctx=ctx, alert=alert, account=account))
    OutboundEmail.objects.bulk_create(rows)
    queue_outbox(rows)
    return rows


def queue_outbox(rows) -> None:
    """Send the rows once the transaction that wrote them has committed."""
    ids = [r.pk for r in rows]
    if not ids:
        return

    def send():
        from .alert_tasks import send_outbox_email

        for pk in ids:
            send_outbox_email.delay(pk)

    transaction.on_commit(send)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by) -> Alert:
    """Someone on the account team has seen the alert and is on it (a resolved alert stays resolved)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == Alert.Status.OPEN:
        alert.status = Alert.Status.ACKNOWLEDGED
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = by
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    return alert
