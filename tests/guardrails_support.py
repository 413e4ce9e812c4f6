"""Helpers for the guardrail tests: import snapshot documents, build portfolios, evaluate by hand."""

from __future__ import annotations

import copy
from datetime import date

from accounts.models import Account
from sponsors.config import rules_config
from sponsors.crm.snapshot import parse_snapshot
from sponsors.crm.sync import sync_accounts
from sponsors.rules import guardrails, scoring
from sponsors.selectors.facts import load_account_facts

AS_OF = date(2026, 11, 20)


def import_document(doc, *, as_of=None):
    return sync_accounts(parse_snapshot(copy.deepcopy(doc)), as_of=as_of)


def account(external_id="acc_123") -> Account:
    return Account.objects.get(external_id=external_id)


def contacts_of(doc, index=0) -> dict:
    return {c["id"]: c for c in doc["accounts"][index]["contacts"]}


def portfolio(doc, n, *, mutate=None) -> dict:
    """A document with ``n`` copies of the first account (ids acc_0 …), each passed through ``mutate``."""
    base = doc["accounts"][0]
    out = copy.deepcopy(doc)
    out["accounts"] = []
    for i in range(n):
        rec = copy.deepcopy(base)
        rec["account"]["id"] = f"acc_{i}"
        rec["account"]["name"] = f"{base['account']['name']} {i}"
        if mutate:
            mutate(rec, i)
        out["accounts"].append(rec)
    return out


def expected_findings(account_ids=None, *, as_of) -> dict:
    """What the pure rules say, from the same facts: {account_id: {(code, subject): Finding}}."""
    facts = load_account_facts(account_ids, as_of=as_of)
    out = {}
    for pk, f in facts.items():
        engagement = scoring.score_account(f, as_of=as_of, config=rules_config().scoring)
        out[pk] = {(x.code, x.subject): x for x in guardrails.evaluate_account(f, engagement, as_of=as_of,
                                                                               config=rules_config())}
    return out


def fast_password_hashing(settings):
    """The cast's passwords hashed cheaply (the default hasher costs about a second a user)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
