"""Immediate guardrail evaluation: saving an org change, an interaction (or who took part in it) or
a contact's sponsor/status queues ``evaluate_guardrails`` for its account once the transaction
commits — one task per account per transaction, however many rows were saved.

Bulk writes (the CRM sync) send no signals; the sync queues its changed accounts itself through
``queue_guardrail_evaluation``.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Contact, Interaction, InteractionParticipant, OrgChange

CONTACT_FIELDS = frozenset({"sponsor", "status", "roles", "is_executive", "departed_on"})


class _PendingEvaluations:
    """The accounts to evaluate when the current transaction commits (one on_commit callback)."""

    def __init__(self):
        self.account_ids = set()

    def __call__(self):
        from .alert_tasks import evaluate_guardrails

        ids, self.account_ids = sorted(self.account_ids), set()
        for account_id in ids:
            evaluate_guardrails.delay(account_id=account_id)


def queue_guardrail_evaluation(account_ids) -> None:
    """Evaluate these accounts after the current transaction commits (at once outside one)."""
    account_ids = {a for a in account_ids if a is not None}
    if not account_ids:
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        batch = _PendingEvaluations()
        batch.account_ids |= account_ids
        batch()
        return
    batch = next((cb for _sids, cb, *_rest in conn.run_on_commit if isinstance(cb, _PendingEvaluations)), None)
    if batch is None:
        batch = _PendingEvaluations()
        transaction.on_commit(batch)
    batch.account_ids |= account_ids


@receiver(post_save, sender=OrgChange, dispatch_uid="guardrails_org_change_saved")
def org_change_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        queue_guardrail_evaluation([instance.account_id])


@receiver(post_save, sender=Interaction, dispatch_uid="guardrails_interaction_saved")
def interaction_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        queue_guardrail_evaluation([instance.account_id])


@receiver(post_save, sender=InteractionParticipant, dispatch_uid="guardrails_participant_saved")
def participant_saved(sender, instance, raw=False, created=False, **kwargs):
    if not raw and created:
        account_id = Interaction.objects.filter(pk=instance.interaction_id).values_list("account_id", flat=True).first()
        queue_guardrail_evaluation([account_id])


@receiver(post_save, sender=Contact, dispatch_uid="guardrails_contact_saved")
def contact_saved(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    if raw:
        return
    if created or update_fields is None or CONTACT_FIELDS.intersection(update_fields):
        queue_guardrail_evaluation([instance.account_id])
