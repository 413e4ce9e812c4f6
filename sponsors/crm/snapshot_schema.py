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


_DATETIME = re.compile(schema()["$defs"]["datetime"]["pattern"])
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


def _is_opt_text(value, max_length=None) -> bool:
    return value is None or (type(value) is str and _NUL not in value and (
        max_length is None or len(value) <= max_length))


def interaction_is_valid(it) -> bool:
    """True exactly when ``it`` matches ``$defs/interaction`` of the shipped schema."""
    if type(it) is not dict or not _REQUIRED <= it.keys():
        return False
    kind, direction = it["type"], it["direction"]   # enums: only strings can be members (a list is unhashable)
    if not _is_id(it["id"]) or type(kind) is not str or kind not in _INTERACTION_TYPES or (
            type(direction) is not str or direction not in _DIRECTIONS):
        return False
    occurred = it["occurred_at"]
    if type(occurred) is not str or not _DATETIME.match(occurred):
        return False
    contact_ids = it["contact_ids"]
    if type(contact_ids) is not list or not all(map(_is_id, contact_ids)):
        return False
    if "purpose" in it and not (it["purpose"] is None or (type(it["purpose"]) is str and it["purpose"] in _PURPOSES)):
        return False
    if "topics" in it:
        topics = it["topics"]
        if topics is not None and (type(topics) is not list or not all(
                type(t) is str and _NUL not in t for t in topics)):
            return False
    if "outcome" in it and not _is_opt_text(it["outcome"]):
        return False
    if "logged_by" in it and not _is_opt_text(it["logged_by"], LOGGED_BY_MAX_LENGTH):
        return False
    if "responded_at" in it:
        responded = it["responded_at"]
        if responded is not None and (type(responded) is not str or not _DATETIME.match(responded)):
            return False
    return True


def validate_schema(data) -> list[Problem]:
    try:
        _fast_validator()(data)
        if all(interaction_is_valid(it) for entry in data["accounts"] for it in entry.get("interactions") or ()):
            return []
    except fastjsonschema.JsonSchemaException:
        pass
    return schema_problems(jsonschema.Draft202012Validator(schema()), data) or [
        Problem("", "the document does not match the snapshot schema")]
