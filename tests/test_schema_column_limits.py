"""The shipped JSON Schemas and the database columns are one source of truth: every text that lands in
a column has exactly that column's maxLength, every bounded number the column's bound, and every
other text of the schemas is listed here as deliberately unbounded (JSON lists, a TextField)."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from accounts.models import Account, Goal, StrategicAlignment, User, ValueMetric
from sponsors.crm.snapshot_schema import schema
from sponsors.models import Contact, Interaction, OrgChange, WebhookDelivery
from sponsors.orgchanges.webhook import SCHEMA_PATH as WEBHOOK_SCHEMA_PATH


def max_length(model, name):
    return model._meta.get_field(name).max_length


SNAPSHOT_TEXT_COLUMNS = {
    "$defs/id": [(Account, "external_id"), (Contact, "external_id"), (Interaction, "external_id"),
                 (OrgChange, "external_id")],
    # a colleague becomes a user: the e-mail is also the username
    "$defs/person/properties/email": [(User, "username")],
    "$defs/person/properties/name": [(User, "first_name")],
    "$defs/account/properties/name": [(Account, "name")],
    "$defs/account/properties/industry": [(Account, "industry")],
    "$defs/account/properties/contract/anyOf/0/properties/currency": [(Account, "currency")],
    "$defs/account/properties/goals/items/properties/name": [(Goal, "name")],
    "$defs/account/properties/alignment/items/properties/our_initiative": [(StrategicAlignment, "our_initiative")],
    "$defs/account/properties/alignment/items/properties/their_priority": [(StrategicAlignment, "their_priority")],
    "$defs/contact/properties/name": [(Contact, "name")],
    "$defs/contact/properties/title": [(Contact, "title")],
    "$defs/contact/properties/email": [(Contact, "email")],
    "$defs/contact/properties/communication_preference": [(Contact, "communication_preference")],
    "$defs/contact/properties/linkedin_url": [(Contact, "linkedin_url")],
    "$defs/interaction/properties/logged_by": [(Interaction, "logged_by")],
    "$defs/orgChange/properties/headline": [(OrgChange, "headline")],
    "$defs/orgChange/properties/url": [(OrgChange, "url")],
}
SNAPSHOT_UNBOUNDED_TEXTS = {   # JSON lists and a TextField: no column size to respect
    "$defs/contact/properties/priorities/items", "$defs/interaction/properties/topics/items",
    "$defs/interaction/properties/outcome",
}
WEBHOOK_TEXT_COLUMNS = {
    "properties/id": [(WebhookDelivery, "delivery_id")],
    "properties/person/properties/name": [(Contact, "name")],
    "properties/person/properties/email": [(Contact, "email")],
    "properties/person/properties/linkedin_url": [(Contact, "linkedin_url")],
    "$defs/position/properties/company": [(Account, "name")],
    "$defs/position/properties/title": [(Contact, "title")],
}


def node(document, pointer):
    for part in pointer.split("/"):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def texts(document, pointer=""):
    """Pointers of every schema node that accepts a string and carries its own constraints."""
    if isinstance(document, dict):
        kinds = document.get("type")
        if kinds == "string" or (isinstance(kinds, list) and "string" in kinds):
            yield pointer
        for key, child in document.items():
            yield from texts(child, f"{pointer}/{key}" if pointer else key)
    elif isinstance(document, list):
        for i, child in enumerate(document):
            yield from texts(child, f"{pointer}/{i}")


WEBHOOK = json.loads(WEBHOOK_SCHEMA_PATH.read_text())


@pytest.mark.parametrize("document,columns", [(schema(), SNAPSHOT_TEXT_COLUMNS), (WEBHOOK, WEBHOOK_TEXT_COLUMNS)],
                         ids=["snapshot", "webhook"])
def test_every_column_backed_text_has_its_columns_max_length(document, columns):
    for pointer, targets in columns.items():
        limit = node(document, pointer).get("maxLength")
        assert limit is not None, pointer
        assert limit == min(max_length(model, name) for model, name in targets), pointer


@pytest.mark.parametrize("document,columns,unbounded", [
    (schema(), SNAPSHOT_TEXT_COLUMNS, SNAPSHOT_UNBOUNDED_TEXTS), (WEBHOOK, WEBHOOK_TEXT_COLUMNS, set()),
], ids=["snapshot", "webhook"])
def test_every_text_of_the_schemas_is_accounted_for_and_refuses_nul(document, columns, unbounded):
    found = set(texts(document)) - {"$defs/date", "$defs/datetime"} - {
        p for p in texts(document) if "occurred_on" in p}   # dates: the date pattern bounds them
    assert found == set(columns) | unbounded
    for pointer in found:
        pattern = node(document, pointer)["pattern"]
        assert "\\u0000" in pattern or pattern == "^[A-Za-z]{3}$", pointer


def test_numbers_have_their_columns_bounds():
    arr = Account._meta.get_field("arr")
    contract = node(schema(), "$defs/account/properties/contract/anyOf/0/properties/arr")
    assert contract["maximum"] == float(10 ** (arr.max_digits - arr.decimal_places)) - 10 ** -arr.decimal_places
    views = node(schema(), "$defs/metrics/properties/executive_dashboard_views")
    low, high = connection.ops.integer_field_range(ValueMetric._meta.get_field(
        "executive_dashboard_views").get_internal_type())
    assert (views["minimum"], views["maximum"]) == (low, high)
    for pointer in ("$defs/orgChange/properties/confidence", "$defs/metrics/properties/strategic_goals_progress",
                    "$defs/account/properties/goals/items/properties/progress"):
        assert (node(schema(), pointer)["minimum"], node(schema(), pointer)["maximum"]) == (0, 1), pointer
    assert (node(WEBHOOK, "properties/confidence")["minimum"], node(WEBHOOK, "properties/confidence")["maximum"]) == (
        0, 1)
