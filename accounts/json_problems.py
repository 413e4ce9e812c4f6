"""JSON Schema problems in words, each naming its JSON path (``accounts[3].interactions[17].occurred_at``):
the one wording for every JSON document the product takes — the CRM snapshot and the job-change webhook.

Pure Python (jsonschema, no Django), on the ground floor so every importer can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import jsonschema

from .inputs import DATE_PATTERN, DATETIME_PATTERN, NUL, InputError, parse_date, parse_datetime, shown

MAX_REPORTED_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message



def json_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _pattern_message(pattern: str, value) -> str:
    """Why ``value`` does not match one of the schema's patterns, in words."""
    if isinstance(value, str) and NUL in value:
        return "contains a NUL character (\\u0000)"
    if pattern == DATE_PATTERN:
        try:
            parse_date(value, field="")
        except InputError as exc:
            return exc.message
    if pattern == DATETIME_PATTERN:
        try:
            parse_datetime(value, field="")
        except InputError as exc:
            return exc.message
    if "@" in pattern:
        return f"{shown(value)} is not an e-mail address"
    if "[Hh][Tt][Tt][Pp]" in pattern:
        return f"{shown(value)} is not an http(s) URL"
    return f"{shown(value)} is not in the right form"


def _schema_message(error: jsonschema.ValidationError) -> tuple[str, str]:
    path = list(error.absolute_path)
    v = error.validator
    if v == "maxLength":
        return json_path(path), (f"is {len(error.instance):,} characters long; "
                                 f"at most {error.validator_value} fit (the column's size)")
    if v in ("maximum", "minimum"):
        return json_path(path), f"{shown(error.instance)} is out of range (the {v} is {error.validator_value})"
    if v == "required":
        missing = next((k for k in error.validator_value if k not in error.instance), "?")
        return json_path(path + [missing]), "required field is missing"
    if v == "enum":
        allowed = ", ".join("null" if x is None else str(x) for x in error.validator_value)
        return json_path(path), f"{error.instance!r} is not one of: {allowed}"
    if v == "const":
        return json_path(path), f"must be {error.validator_value!r}, got {error.instance!r}"
    if v == "pattern":
        return json_path(path), _pattern_message(error.validator_value, error.instance)
    if v == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else " or ".join(
            error.validator_value)
        return json_path(path), f"expected {expected}, got {type(error.instance).__name__} {error.instance!r}"[:200]
    if v == "anyOf":
        # Report the most specific branch (dates, nested objects), not "is not valid under any".
        # A branch that failed only on its type (e.g. the "or null" branch) says nothing useful.
        telling = [e for e in error.context
                   if e.validator != "type" or len(e.absolute_path) > len(error.absolute_path)]
        best = jsonschema.exceptions.best_match(telling or error.context) if error.context else None
        if best is not None:
            return _schema_message(best)
    return json_path(path), error.message[:200]


def schema_problems(validator: jsonschema.protocols.Validator, data, limit: int = MAX_REPORTED_PROBLEMS):
    """Every way ``data`` breaks ``validator``'s schema (up to ``limit``), as problems in words, each
    naming its JSON path, sorted by path (the job-change webhook uses it too)."""
    problems = []
    for error in validator.iter_errors(data):
        problems.append(Problem(*_schema_message(error)))
        if len(problems) >= limit:
            break
    problems.sort(key=lambda p: p.path)
    return problems
