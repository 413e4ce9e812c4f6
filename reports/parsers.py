"""The REST API's JSON parser: the product's safe decoding (``accounts.inputs.decode_json``) instead of
the standard library's, so a 200,000-deep body, ``NaN``, a NUL character or a huge body is a 400 that
names the JSON path, never a ``RecursionError`` or a database error."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from accounts.inputs import InputError, decode_json

MAX_API_BODY_BYTES = 256 * 1024


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_API_BODY_BYTES + 1) if stream is not None else b""
        try:
            return decode_json(raw, max_bytes=MAX_API_BODY_BYTES)
        except InputError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
