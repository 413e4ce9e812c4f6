"""The rules every input and every rendered link shares, in one place:

* THE product date range (``MIN_DATE`` … ``MAX_DATE``) and the one date and date-time parser every
  query parameter, form, API field, snapshot file and webhook goes through, so the rules never see
  year 1 or year 9999;
* the safe-URL rule (http/https only) for every parser and every rendered link;
* safe JSON decoding: size, depth, NUL characters and non-finite numbers become a clear message
  naming the JSON path instead of a ``RecursionError`` or a database error.

Pure Python (no Django): parsers, templates, e-mails, commands and the admin all call it.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from urllib.parse import urlsplit

import orjson

# --- dates -------------------------------------------------------------------------------------

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2200, 12, 31)
DATE_RANGE_TEXT = f"{MIN_DATE.isoformat()} … {MAX_DATE.isoformat()}"
# The shapes the parsers accept, as JSON Schema patterns too (the snapshot schema uses these very
# strings; ASCII digits only, years inside the range).
YEAR_PATTERN = "(19[0-9]{2}|2[01][0-9]{2}|2200)"
DATE_PATTERN = f"^{YEAR_PATTERN}-[0-9]{{2}}-[0-9]{{2}}$"
DATETIME_PATTERN = (f"^{YEAR_PATTERN}-[0-9]{{2}}-[0-9]{{2}}[Tt ][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?"
                    "([Zz]|[+-][0-9]{2}:?[0-9]{2})$")
_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DATETIME_SHAPE = re.compile(DATETIME_PATTERN.replace(YEAR_PATTERN, "[0-9]{4}").rstrip("$"), re.ASCII)


class InputError(ValueError):
    """Bad input: ``field`` names the parameter, form field or JSON path, ``message`` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


def shown(value, limit: int = 40) -> str:
    """A value as it may appear in an error message: repr, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def date_in_range(value: date | datetime) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return MIN_DATE <= day <= MAX_DATE


def out_of_range_message(value) -> str:
    return f"{shown(value)} is outside the dates this product handles ({DATE_RANGE_TEXT})"


def check_date_range(value: date | datetime, *, field: str):
    """``value`` unchanged when inside the product's range, else ``InputError`` naming ``field``."""
    if not date_in_range(value):
        raise InputError(field, out_of_range_message(value.isoformat()))
    return value


def parse_date(value, *, field: str) -> date:
    """``YYYY-MM-DD`` (ASCII digits) → a real calendar date inside the product's range."""
    if not isinstance(value, str):
        raise InputError(field, f"expected a date YYYY-MM-DD, got {shown(value)}")
    text = value.strip()
    if not _DATE_SHAPE.fullmatch(text):
        raise InputError(field, f"{shown(value)} is not a date (YYYY-MM-DD)")
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise InputError(field, f"{shown(value)} is not a date (YYYY-MM-DD): not a real calendar date") from None
    if not date_in_range(parsed):
        raise InputError(field, out_of_range_message(text))
    return parsed


def parse_datetime(value, *, field: str) -> datetime:
    """An ISO 8601 date-time with a zone → an aware datetime whose date is inside the product's range."""
    if not isinstance(value, str):
        raise InputError(field, f"expected an ISO 8601 date-time with a zone, got {shown(value)}")
    text = value.strip()
    if not _DATETIME_SHAPE.fullmatch(text):
        raise InputError(field, f"{shown(value)} is not an ISO 8601 date-time with a zone")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(field, f"{shown(value)} is not a real date-time") from None
    if parsed.tzinfo is None:
        raise InputError(field, f"{shown(value)} has no time zone")
    if not date_in_range(parsed):
        raise InputError(field, out_of_range_message(text))
    return parsed


# --- URLs --------------------------------------------------------------------------------------

SAFE_URL_SCHEMES = frozenset({"http", "https"})


def safe_url(value) -> str:
    """``value`` if it is an absolute http(s) URL, else '' (no ``javascript:``, ``data:`` or relative links)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if any(ord(ch) < 32 or ch == "\x7f" for ch in value):   # "java\tscript:" and friends
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme.lower() in SAFE_URL_SCHEMES and parts.netloc else ""


# --- text and JSON -----------------------------------------------------------------------------

MAX_JSON_DEPTH = 32
NUL = "\x00"


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored as text (PostgreSQL refuses NUL and lone surrogates), or None."""
    if NUL in value:
        return "contains a NUL character (\\u0000)"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode text (a lone surrogate)"
    return None


def _join(path: str, part) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else str(part)


def json_problems(value, *, path: str = "", max_depth: int = MAX_JSON_DEPTH, limit: int = 10):
    """``[(json_path, message)]`` for what no column can store: nesting deeper than ``max_depth``,
    NUL characters or lone surrogates in keys and strings, and non-finite numbers.  Iterative, so a
    200,000-deep document costs no stack."""
    problems = []
    stack = [(path, value, 0)]
    while stack and len(problems) < limit:
        here, item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                problems.append((here, f"nested deeper than {max_depth} levels"))
                continue
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str) and (why := text_problem(key)):
                    problems.append((_join(here, key.replace(NUL, "\\u0000")), f"the key {why}"))
                    continue
                stack.append((_join(here, key), child, depth + 1))
        elif isinstance(item, str):
            if why := text_problem(item):
                problems.append((here, why))
        elif isinstance(item, float) and not math.isfinite(item):
            problems.append((here, "must be a finite number"))
    return sorted(problems)


def decode_json(raw: bytes | str, *, max_bytes: int | None = None, max_depth: int = MAX_JSON_DEPTH):
    """Decode untrusted JSON; raise ``InputError`` (field: the JSON path, or '' for the document) for a
    body over ``max_bytes``, malformed JSON, non-UTF-8 text, NaN/Infinity, numbers too large for a
    double, nesting deeper than ``max_depth``, NUL characters and lone surrogates."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise InputError("", f"the body is {len(raw):,} bytes; at most {max_bytes:,} are accepted")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        reason = exc.msg
        if "depth" in reason or "recursion" in reason.lower():
            raise InputError("", f"nested deeper than {max_depth} levels") from None
        if "UTF-8" in reason:
            raise InputError("", "the body is not UTF-8 text") from None
        raise InputError("", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {reason}") from None
    problems = json_problems(data, max_depth=max_depth, limit=1)
    if problems:
        raise InputError(*problems[0])
    return data
