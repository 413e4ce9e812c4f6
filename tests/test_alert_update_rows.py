"""Kept alerts whose finding changed are rewritten in one ``UPDATE … FROM unnest(…)`` statement (one
array per column, whatever the number of rows): awkward text, nested details, cleared links and dates
come back exactly as written, rows not in the batch are left alone."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from sponsors.models import Alert, Contact
from sponsors.services.alerts import _update_rows

pytestmark = pytest.mark.django_db
AWKWARD = 'Zoë "Z" O\'Brien \\ back\\\\slash\ttab\nnewline {braces}, commas; NULL \\N «ü» \u2028'


def test_changed_alerts_are_rewritten_in_one_short_statement():
    account = Account.objects.create(source="t", external_id="a", name="A", tier="smb")
    contact = Contact.objects.create(account=account, name="C", roles=["c_level"])
    alerts = [Alert.objects.create(account=account, code=f"code_{i}", severity="low", message="old",
                                   contact=contact, details={"old": i}) for i in range(30)]
    untouched = Alert.objects.create(account=account, code="other", severity="low", message="keep")
    for i, alert in enumerate(alerts):
        alert.severity, alert.message = "high", f"{AWKWARD} {i}"
        alert.details = {"text": AWKWARD, "nested": {"list": [1, None, AWKWARD]}, "i": i}
        alert.contact_id = None if i % 2 else contact.pk
        alert.due_on, alert.last_seen_on = date(2026, 12, i % 28 + 1), date(2026, 11, 20)
    with CaptureQueriesContext(connection) as queries:
        _update_rows(alerts)
    assert len(queries) == 1 and "unnest(" in queries[0]["sql"]
    stored = {a.pk: a for a in Alert.objects.all()}
    for i, alert in enumerate(alerts):
        got = stored[alert.pk]
        assert (got.severity, got.message, got.details, got.contact_id, got.due_on, got.last_seen_on) == (
            "high", f"{AWKWARD} {i}", alert.details, None if i % 2 else contact.pk, alert.due_on, date(2026, 11, 20))
    assert (stored[untouched.pk].message, stored[untouched.pk].severity) == ("keep", "low")
