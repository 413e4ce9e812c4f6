"""Org-change ingestion and review: every source lands in the same ``OrgChange`` rows.

Sources:

* the snapshot's ``org_changes`` (``sponsors.crm.sync``) and what the CRM sync sees change on a
  stored contact (``record_crm_contact_changes``): status → departed is a ``departure`` (source
  ``crm``, confidence 1, confirmed); a reworded title ("VP Sales" → "Vice President, Sales") is kept
  as a *dismissed* ``role_change`` (history, never an alert); any other title change is a
  ``promotion`` (the title ranks higher) or a ``role_change``;
* job-change webhooks (``receive_webhook`` → ``WebhookDelivery`` → ``process_webhook_delivery``);
* per-account news feeds, RSS or Atom (``poll_news_feeds``), matched to the account's executives
  by full name; news is unconfirmed by default (``EXEC_SPONSOR_NEWS_CONFIDENCE``, 0.5).

A change below ``low_confidence_threshold`` (``EXEC_SPONSOR_GUARDRAILS``, default 0.7) waits in
state ``pending`` for a CSM (``org_change_confirm`` / ``org_change_dismiss``) and never alerts by
itself.  A dismissed change leaves its fingerprint (``guardrails.change_fingerprint``): the same
change arriving again from any source is stored dismissed.  Confirming a departure marks the
contact departed; the escalation alert then proposes the backup sponsor as the new primary
(``sponsor_accept_succession`` makes it so).

The webhook payload (provider-neutral JSON, signed — see ``verify_signature``)::

    {"id": "evt_123", "event": "job_change",
     "person": {"name": "Priya Natarajan", "email": "priya@northwind.example",
                "linkedin_url": "https://www.linkedin.com/in/priya"},
     "previous": {"company": "Northwind Health", "title": "COO"},
     "current": {"company": "Globex", "title": "CEO"},
     "occurred_on": "2026-11-18", "confidence": 0.95}

The person is matched to contacts by e-mail or LinkedIn URL, else by name within the account
whose name matches ``previous.company``.  A current company that is not a mere rename of the
account's name ("Acme" → "Acme Inc." is a rename) is a departure; otherwise a changed title is a
promotion or role change.
"""
