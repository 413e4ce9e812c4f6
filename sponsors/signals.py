"""Refresh an account (scores, then guardrails) whenever something they depend on changes.

Saving or deleting an interaction (or who took part in it), a contact, an org change, a goal, an
alignment row or the account itself queues ``refresh_account`` for that account once the
transaction commits — at most once per account per transaction, however many rows changed. This is
the one mechanism behind "scores are recomputed" and "guardrails are evaluated at once".

Bulk writes (``bulk_create``, ``COPY`` in the snapshot sync) send no signals: their callers queue
the refresh themselves (``refresh_on_commit`` or ``queue_account_refresh``; ``import_snapshot`` does).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.models import Account, Goal, StrategicAlignment

from . import queue
from .models import Contact, Interaction, InteractionParticipant, OrgChange

log = logging.getLogger(__name__)

# Above this many accounts, ``queue_account_refresh`` queues the two portfolio jobs instead.
PORTFOLIO_THRESHOLD = 500
# Up to this many accounts changed together, each is refreshed on its own (notify queue); above it,
# in batches of REFRESH_BATCH_SIZE accounts (default queue).
INTERACTIVE_LIMIT = 20
REFRESH_BATCH_SIZE = 100
_BATCH_ATTR = "_exec_sponsor_score_batch"
_paused: ContextVar[bool] = ContextVar("exec_sponsor_scores_paused", default=False)


@contextmanager
def paused():
    """Queue nothing inside this block (bulk maintenance that recomputes, or drops, by itself)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


class _Batch:
    """The accounts touched by the current transaction; queued once, on commit."""

    def __init__(self, using):
        self.using = using
        self.account_ids = set()
        self.interaction_accounts = {}     # interaction id -> account id, for participant rows

    def __call__(self):
        connection = transaction.get_connection(self.using)
        if getattr(connection, _BATCH_ATTR, None) is self:
            setattr(connection, _BATCH_ATTR, None)
        queue_account_refresh(self.account_ids)


def _registered(connection, batch) -> bool:
    # A batch whose savepoint or transaction rolled back is no longer among the on-commit callbacks.
    return any(entry[1] is batch for entry in connection.run_on_commit)


def _current_batch(connection):
    batch = getattr(connection, _BATCH_ATTR, None)
    if batch is not None and connection.in_atomic_block and _registered(connection, batch):
        return batch
    return None


def refresh_on_commit(account_id, *, using=DEFAULT_DB_ALIAS) -> None:
    """Queue ``refresh_account(account_id)`` when the current transaction commits (at once in
    autocommit), deduplicated per transaction."""
    if account_id is None or _paused.get():
        return
    connection = transaction.get_connection(using)
    batch = _current_batch(connection)
    if batch is not None:
        batch.account_ids.add(account_id)
        return
    batch = _Batch(using)
    batch.account_ids.add(account_id)
    setattr(connection, _BATCH_ATTR, batch)
    transaction.on_commit(batch, using=using, robust=True)


def queue_account_refresh(account_ids) -> None:
    """Queue the refresh of these accounts now.

    A few (a person's change, a webhook): ``refresh_account`` each, on the ``notify`` queue, so a
    departure is escalated at once.  More (an import): ``refresh_accounts`` per ``REFRESH_BATCH_SIZE``
    accounts on the ``default`` queue.  Very many: the portfolio recompute and the guardrail sweep."""
    account_ids = sorted({a for a in account_ids if a is not None})
    if len(account_ids) > PORTFOLIO_THRESHOLD:
        queue.send_now(queue.RECOMPUTE_PORTFOLIO)
        queue.send_now(queue.SWEEP_GUARDRAILS)
        return
    if len(account_ids) > INTERACTIVE_LIMIT:
        for start in range(0, len(account_ids), REFRESH_BATCH_SIZE):
            queue.send_now(queue.REFRESH_ACCOUNTS, account_ids[start:start + REFRESH_BATCH_SIZE])
        return
    for account_id in account_ids:
        queue.send_now(queue.REFRESH_ACCOUNT, account_id)


def _interaction_account(instance, using):
    if InteractionParticipant.interaction.is_cached(instance):
        refresh_on_commit(instance.interaction.account_id, using=using)
        return instance.interaction.account_id
    # One look-up per interaction and transaction (a cascade deletes its participants one by one).
    connection = transaction.get_connection(using)
    batch = _current_batch(connection)
    if batch is not None and instance.interaction_id in batch.interaction_accounts:
        return batch.interaction_accounts[instance.interaction_id]
    account_id = (Interaction.objects.using(using).filter(pk=instance.interaction_id)
                  .values_list("account_id", flat=True).first())
    refresh_on_commit(account_id, using=using)
    batch = _current_batch(connection)
    if batch is not None and account_id is not None:
        batch.interaction_accounts[instance.interaction_id] = account_id
    return account_id


@receiver([post_save, post_delete], sender=Interaction, dispatch_uid="scores:interaction")
@receiver([post_save, post_delete], sender=Contact, dispatch_uid="scores:contact")
@receiver([post_save, post_delete], sender=OrgChange, dispatch_uid="scores:org_change")
@receiver([post_save, post_delete], sender=Goal, dispatch_uid="scores:goal")
@receiver([post_save, post_delete], sender=StrategicAlignment, dispatch_uid="scores:alignment")
def _account_row_changed(sender, instance, raw=False, using=DEFAULT_DB_ALIAS, **kwargs):
    if not raw:
        refresh_on_commit(instance.account_id, using=using)


@receiver(post_save, sender=Account, dispatch_uid="scores:account")
def _account_changed(sender, instance, created=False, raw=False, using=DEFAULT_DB_ALIAS, **kwargs):
    if not raw and not created:      # a new account has nothing to score yet
        refresh_on_commit(instance.pk, using=using)


@receiver([post_save, post_delete], sender=InteractionParticipant, dispatch_uid="scores:participant")
def _participant_changed(sender, instance, raw=False, using=DEFAULT_DB_ALIAS, **kwargs):
    if not raw and not _paused.get():
        _interaction_account(instance, using)   # queues the recompute itself


@receiver(m2m_changed, sender=Interaction.participants.through, dispatch_uid="scores:participants_m2m")
def _participants_changed(sender, instance, action, reverse, using=DEFAULT_DB_ALIAS, **kwargs):
    # interaction.participants.add(...) / contact.interactions.add(...) go through bulk_create.
    if action in ("post_add", "post_remove", "post_clear"):
        refresh_on_commit(instance.account_id, using=using)
