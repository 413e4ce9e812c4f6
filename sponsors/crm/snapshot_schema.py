"""The snapshot's JSON Schema (``schemas/snapshot-v1.schema.json``, the one source of truth) and the fast
check of the interactions that a hand-written equivalent runs for speed (a test proves it equal)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import fastjsonschema
import jsonschema

from accounts.json_problems import Problem, schema_problems
from accounts.vocabulary import DIRECTIONS, INTERACTION_TYPES, PURPOSES

SCHEMA_PATH = Path(__file__).with_name("schemas") / "snapshot-v1.schema.json"


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


@cache
def _fast_validator():
    """The happy path's validator: the shipped schema compiled by fastjsonschema (about 20x
    faster than jsonschema), except that interactions — nearly all of a large file — are checked
    by ``interaction_is_valid``, a hand-written equivalent of ``$defs/interaction`` that runs
    about 5x faster again (tests prove the two agree).  On any failure we re-validate the whole
    document with jsonschema, which reports every problem with its path."""
    fast = json.loads(json.dumps(schema()))
    fast["$defs"]["accountEntry"]["properties"]["interactions"] = {"type": "array"}  # items: the hand check
    return fastjsonschema.compile(fast)


_datetime_match = re.compile(schema()["$defs"]["datetime"]["pattern"]).match
_INTERACTION_TYPES = frozenset(INTERACTION_TYPES)
_DIRECTIONS = frozenset(DIRECTIONS)
_PURPOSES = frozenset((*PURPOSES, None))
_REQUIRED = frozenset(schema()["$defs"]["interaction"]["required"])
# The hand check's limits, read from the shipped schema (one source of truth).
_ID = schema()["$defs"]["id"]
_ID_MAX_LENGTH, _ID_MIN, _ID_MAX = _ID["maxLength"], _ID["minimum"], _ID["maximum"]
LOGGED_BY_MAX_LENGTH = schema()["$defs"]["interaction"]["properties"]["logged_by"]["maxLength"]
PERSON_EMAIL_MAX_LENGTH = schema()["$defs"]["person"]["properties"]["email"]["maxLength"]
_NUL = "\x00"


def _is_id(value) -> bool:
    # JSON Schema's "integer" includes 3.0 but not true/false.
    if type(value) is str:
        return 0 < len(value) <= _ID_MAX_LENGTH and _NUL not in value
    return (type(value) is int or (type(value) is float and value.is_integer())) and _ID_MIN <= value <= _ID_MAX


def interaction_is_valid(it) -> bool:
    """True exactly when ``it`` matches ``$defs/interaction`` of the shipped schema.  The common case — string
    ids, texts — is checked inline (no call per field: this runs once per interaction of a large file)."""
    if type(it) is not dict or not _REQUIRED <= it.keys():
        return False
    iid = it["id"]
    if type(iid) is str:
        if not 0 < len(iid) <= _ID_MAX_LENGTH or _NUL in iid:
            return False
    elif not _is_id(iid):
        return False
    kind, direction = it["type"], it["direction"]   # enums: only strings can be members (a list is unhashable)
    if type(kind) is not str or kind not in _INTERACTION_TYPES or (
            type(direction) is not str or direction not in _DIRECTIONS):
        return False
    occurred = it["occurred_at"]
    if type(occurred) is not str or not _datetime_match(occurred):
        return False
    contact_ids = it["contact_ids"]
    if type(contact_ids) is not list:
        return False
    for ref in contact_ids:
        if type(ref) is str:
            if not 0 < len(ref) <= _ID_MAX_LENGTH or _NUL in ref:
                return False
        elif not _is_id(ref):
            return False
    get = it.get    # an optional key that is absent passes as null does
    purpose = get("purpose")
    if purpose is not None and (type(purpose) is not str or purpose not in _PURPOSES):
        return False
    topics = get("topics")
    if topics is not None:
        if type(topics) is not list:
            return False
        for topic in topics:
            if type(topic) is not str or _NUL in topic:
                return False
    outcome = get("outcome")
    if outcome is not None and (type(outcome) is not str or _NUL in outcome):
        return False
    logged_by = get("logged_by")
    if logged_by is not None and (type(logged_by) is not str or _NUL in logged_by
                                  or len(logged_by) > LOGGED_BY_MAX_LENGTH):
        return False
    responded = get("responded_at")
    return responded is None or (type(responded) is str and _datetime_match(responded) is not None)


def validate_schema(data, *, interactions: bool = True) -> list[Problem]:
    """Every schema problem of the document, with its path (none: ``[]``).  ``interactions=False`` leaves the
    interactions' items to the caller, which checks each with ``interaction_is_valid`` as it reads it (one pass
    over a large file's interactions instead of two) and calls ``schema_report`` on the first that fails."""
    try:
        _fast_validator()(data)
        if not interactions or all(all(map(interaction_is_valid, entry.get("interactions") or ()))
                                   for entry in data["accounts"]):
            return []
    except fastjsonschema.JsonSchemaException:
        pass
    return schema_report(data)


def schema_report(data) -> list[Problem]:
    """The whole document checked by jsonschema: every problem with its path (the slow path, for a bad file)."""
    return schema_problems(jsonschema.Draft202012Validator(schema()), data) or [
        Problem("", "the document does not match the snapshot schema")]
