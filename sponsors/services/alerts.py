"""Alerts: guardrail findings turned into rows with a lifecycle (open → acknowledged → resolved).

``evaluate_accounts(account_ids=None, as_of=...)`` takes the portfolio (or some accounts)
``EVALUATION_BATCH_SIZE`` accounts at a time; for each batch, in one transaction, it loads the facts
in a fixed number of queries, scores each account (pure), runs the guardrails (pure) and
``sync_alerts`` writes the result with a fixed number of statements of at most ``WRITE_BATCH_SIZE``
rows each (so a sweep over 30,000 open alerts costs what the first one did):

* a finding with no unresolved alert for its (account, code, subject) opens one;
* a finding with one keeps it fresh (severity, message, details, subject ids, ``last_seen_on``), while
  ``due_on`` stays what it was when the alert opened: the finding is rendered again for that date
  (``guardrails.with_due_on``), so its message and succession steps never drift;
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

import orjson
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account

from ..audit import audited
from ..bulk import gc_paused
from ..config import rules_config
from ..models import Alert, Contact, OrgChange, OutboundEmail
from ..outbox.email import outbox_email, queue_outbox
from ..outbox.recipients import account_team_recipients
from ..rules import guardrails, scoring
from ..rules.config import RulesConfig
from ..selectors.facts import load_account_facts

ESCALATION_EMAIL = "sponsor_departed"
SYNC_LOCK_KEY = 0x45_53_47_52  # "ESGR": pg_advisory_xact_lock key for sync_alerts
EVALUATION_BATCH_SIZE = 500    # accounts per evaluation transaction (the sweep, check_guardrails)
WRITE_BATCH_SIZE = 1000        # alert rows per INSERT / UPDATE statement


@dataclass
class EvaluationResult:
    as_of: date
    accounts: int = 0
    findings: int = 0
    opened: list = field(default_factory=list)        # Alert rows opened
    kept: int = 0
    resolved: int = 0
    emails: list = field(default_factory=list)        # OutboundEmail rows written

    def add(self, other: EvaluationResult) -> None:
        """Count another batch's result into this one."""
        self.accounts += other.accounts
        self.findings += other.findings
        self.opened.extend(other.opened)
        self.kept += other.kept
        self.resolved += other.resolved
        self.emails.extend(other.emails)

    def summary(self) -> str:
        return (f"{self.accounts} account(s) evaluated as of {self.as_of.isoformat()}: "
                f"{len(self.opened)} alert(s) opened, {self.kept} kept, {self.resolved} resolved; "
                f"{len(self.emails)} e-mail(s) queued")


def escalation_key(alert) -> str:
    return f"alert:{alert.pk}:escalation"


def evaluate_accounts(*, account_ids=None, as_of: date, config: RulesConfig | None = None,
                      batch_size: int = EVALUATION_BATCH_SIZE) -> EvaluationResult:
    """Evaluate the guardrails for ``account_ids`` (every account when None) as of ``as_of``.

    The accounts are taken ``batch_size`` at a time, each batch in its own transaction
    (``evaluate_batch``): memory and every statement stay bounded by the batch, and the lock a
    batch holds is released before the next, so per-account evaluations get in between."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
    config = config or rules_config()
    if account_ids is None:
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted({int(pk) for pk in account_ids})
    total = EvaluationResult(as_of=as_of)
    for start in range(0, len(ids), batch_size):
        total.add(evaluate_batch(account_ids=ids[start:start + batch_size], as_of=as_of, config=config))
    return total


def evaluate_batch(*, account_ids, as_of: date, config: RulesConfig) -> EvaluationResult:
    """One batch: load its facts, run the rules (pure), ``sync_alerts``; one transaction, with the
    garbage collector paused (bulk work, ``sponsors/bulk.py``)."""
    with gc_paused(), transaction.atomic():
        no_jit()
        facts_by_account = load_account_facts(account_ids, as_of=as_of, config=config)
        findings = {}
        for account_id, facts in facts_by_account.items():
            engagement = scoring.score_account(facts, as_of=as_of, config=config.scoring)
            findings[account_id] = guardrails.evaluate_account(facts, engagement, as_of=as_of, config=config)
        return sync_alerts(findings=findings, as_of=as_of)


def no_jit() -> None:
    """No JIT for this transaction: compiling the batch's statements costs PostgreSQL far more than
    running them (3.7 s instead of 0.27 s a batch before it was turned off)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _key(account_id, code, subject):
    return (account_id, code, subject or "")


def _fields(alert: Alert, finding, as_of: date) -> Alert:
    """Copy a finding's data onto the alert (the due date only when the alert has none yet)."""
    alert.severity, alert.message, alert.details = finding.severity, finding.message, finding.details
    alert.contact_id, alert.last_seen_on = finding.contact_id, as_of
    alert.org_change_id, alert.interaction_id = finding.org_change_id, finding.interaction_id
    alert.proposed_primary_id = finding.details.get("proposed_primary_id")
    if alert.due_on is None:
        alert.due_on = finding.due_on
    return alert


KEPT_FIELDS = ["severity", "message", "details", "contact", "last_seen_on", "due_on", "org_change", "interaction",
               "proposed_primary"]
# What a kept alert's finding may change (last_seen_on is written for every kept alert anyway).
_COMPARED = ["severity", "message", "details", "contact_id", "due_on", "org_change_id", "interaction_id",
             "proposed_primary_id"]


def _state(alert: Alert) -> tuple:
    """The compared fields, normalised (ids as text, details through JSON as the database keeps them)."""
    out = []
    for name in _COMPARED:
        value = getattr(alert, name)
        if name == "details":
            value = orjson.loads(orjson.dumps(value or {}, option=orjson.OPT_NON_STR_KEYS))
        elif name.endswith("_id") and value is not None:
            value = str(value)
        out.append(value)
    return tuple(out)


def sync_alerts(*, findings: dict, as_of: date) -> EvaluationResult:
    """Make the unresolved alerts of the accounts in ``findings`` ({account_id: [Finding]}) match them.

    Accounts not in ``findings`` are left alone.  A fixed number of statements for a batch (each of
    at most ``WRITE_BATCH_SIZE`` rows), whatever the number of alerts already open: a kept alert
    whose finding did not change only has its ``last_seen_on`` moved, in one UPDATE for them all."""
    result = EvaluationResult(as_of=as_of, accounts=len(findings),
                              findings=sum(len(v) for v in findings.values()))
    if not findings:
        return result
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
        new, changed, seen = _plan(existing, wanted, as_of)
        cleared = [a.pk for key, a in existing.items() if key not in wanted]
        _write(new=new, changed=changed, seen=seen, cleared=cleared, as_of=as_of)
        result.opened, result.kept, result.resolved = new, len(changed) + len(seen), len(cleared)
        escalating = [a for a in (*new, *changed, *seen) if wanted[_key(a.account_id, a.code, a.subject)].escalate]
        result.emails = _write_escalations(escalating)
    return result


def _plan(existing: dict, wanted: dict, as_of: date) -> tuple[list, list, list]:
    """(new alerts, kept alerts whose data changed, kept alerts only seen again)."""
    new, changed, seen = [], [], []
    for key, finding in wanted.items():
        alert = existing.get(key)
        if alert is None:
            new.append(_fields(Alert(account_id=key[0], code=finding.code, subject=finding.subject or ""),
                               finding, as_of))
            continue
        if alert.due_on is not None and finding.due_on is not None and finding.due_on != alert.due_on:
            # The due date is fixed when the alert opens: render the finding for that date.
            finding = guardrails.with_due_on(finding, alert.due_on)
        before = _state(alert)
        _fields(alert, finding, as_of)
        (seen if _state(alert) == before else changed).append(alert)
    return new, changed, seen


def _write(*, new: list, changed: list, seen: list, cleared: list, as_of: date) -> None:
    """The batch's writes, each statement at most ``WRITE_BATCH_SIZE`` rows."""
    for chunk in _chunks(new):
        Alert.objects.bulk_create(chunk)
    for chunk in _chunks(changed):
        _update_rows(chunk)
    for chunk in _chunks([a.pk for a in seen]):
        Alert.objects.filter(pk__in=chunk).update(last_seen_on=as_of)
    now = timezone.now()
    for chunk in _chunks(cleared):
        Alert.objects.filter(pk__in=chunk).update(status=Alert.Status.RESOLVED, resolved_at=now)


def _chunks(items: list):
    for start in range(0, len(items), WRITE_BATCH_SIZE):
        yield items[start:start + WRITE_BATCH_SIZE]


def _update_rows(alerts: list) -> None:
    """Write ``KEPT_FIELDS`` of these alerts in one statement.  On PostgreSQL an ``UPDATE … FROM
    unnest(…)`` joined on the id, one array parameter per column: linear in the rows (``bulk_update``'s
    CASE per field and row grows with their square), and a short statement whatever the number of rows
    (a VALUES list of ten placeholders a row cost more to build and parse than the update itself).
    Elsewhere (the demo's SQLite) ``bulk_update``."""
    if connection.vendor != "postgresql":
        Alert.objects.bulk_update(alerts, KEPT_FIELDS)
        return
    fields = [Alert._meta.pk, *(Alert._meta.get_field(name) for name in KEPT_FIELDS)]
    qn = connection.ops.quote_name
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    params = [[f.get_db_prep_save(getattr(a, f.attname), connection) for a in alerts] for f in fields]
    columns = [qn(f.column) for f in fields]
    sets = ", ".join(f"{c} = v.{c}" for c in columns[1:])
    sql = (f"UPDATE {qn(Alert._meta.db_table)} AS a SET {sets} FROM unnest({arrays}) AS v ({', '.join(columns)}) "
           f"WHERE a.{columns[0]} = v.{columns[0]}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _write_escalations(alerts) -> list:
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
    changes = OrgChange.objects.in_bulk([a.org_change_id for a in todo if a.org_change_id])
    rows = []
    for alert in todo:
        people = recipients.get(alert.account_id, [])
        if not people:
            continue  # nobody to tell: the alert itself (and its listing) carries the escalation
        account = accounts[alert.account_id]
        ctx = {
            "alert": alert, "account": account, "contact": contacts.get(alert.contact_id),
            "details": alert.details, "recipients": people,
            "org_change": changes.get(alert.org_change_id),
        }
        rows.append(outbox_email(name=ESCALATION_EMAIL, dedupe_key=escalation_key(alert),
                                 to=[p.formatted for p in people], ctx=ctx, alert=alert, account=account))
    OutboundEmail.objects.bulk_create(rows)
    queue_outbox(rows)
    return rows


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by) -> Alert:
    """Someone on the account team has seen the alert and is on it (a resolved alert stays resolved)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == Alert.Status.OPEN:
        _mark_acknowledged(alert, by=by)
    return alert


@transaction.atomic
def alert_acknowledge_many(*, alerts, by) -> int:
    """Acknowledge those of ``alerts`` still open, as ``alert_acknowledge`` does, in one transaction (locked
    together, oldest first); how many that was."""
    still_open = list(Alert.objects.select_for_update().filter(pk__in=[a.pk for a in alerts],
                                                               status=Alert.Status.OPEN).order_by("pk"))
    for alert in still_open:
        _mark_acknowledged(alert, by=by)
    return len(still_open)


def _mark_acknowledged(alert: Alert, *, by) -> None:
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = by
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])


@transaction.atomic
def alert_resolve(*, alert: Alert, by, reason: str = "resolved by hand") -> Alert:
    """Someone closed the alert by hand (audited).  If its condition still holds, the next evaluation
    opens a new one: resolving says "dealt with", it does not silence a guardrail."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.RESOLVED:
        alert.status, alert.resolved_at = Alert.Status.RESOLVED, timezone.now()
        alert.details = {**(alert.details or {}), "resolved_by": getattr(by, "email", "")}
        audited(alert, by=by, source="app", reason=reason)
        alert.save(update_fields=["status", "resolved_at", "details"])
    return alert
