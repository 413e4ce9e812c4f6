"""The OpenAPI 3.1 schema of ``/api/v1/`` (drf-spectacular): how tokens, labelled choices and product
dates are described, the report's own JSON Schema embedded as ``SponsorReport``, request bodies closed
(``additionalProperties: false``: an unknown field is a 400), and the error shape on every operation."""

from __future__ import annotations

import copy
import json

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsSchema

from accounts.inputs import DATE_PATTERN, DATETIME_PATTERN
from reports.render_json import load_schema

REPORT = "SponsorReport"
ERROR_FIELD_DESCRIPTIONS = {
    "type": "validation_error (a field is wrong), client_error or server_error.",
    "errors": "One entry per problem.",
    "code": "A short machine-readable code.",
    "detail": "What is wrong, in words.",
    "attr": "The field path (e.g. contacts.0), or null when the error is about the request as a whole.",
}


class AutoSchema(StandardizedErrorsSchema):
    def _should_add_validation_error_response(self) -> bool:
        """Also every operation with a query parameter: a bad ``as_of``, ``page_size`` or filter is a 400."""
        return super()._should_add_validation_error_response() or any(
            p.get("in") == "query" for p in self._get_parameters())


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "reports.api.auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A personal API token (est_…), made on /settings/api-tokens/ or with "
                               "`manage.py api_token create`."}


class LabelledChoiceFieldScheme(OpenApiSerializerFieldExtension):
    target_class = "reports.api.fields.LabelledChoiceField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction != "request" or not self.target.labels:
            return schema
        return {"type": "string", "enum": list(self.target.inputs)}


class ProductDateScheme(OpenApiSerializerFieldExtension):
    target_class = "reports.api.fields.ProductDateField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": DATE_PATTERN}


class ProductDateTimeScheme(OpenApiSerializerFieldExtension):
    target_class = "reports.api.fields.ProductDateTimeField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": DATETIME_PATTERN}


def only_v1(endpoints, **kwargs):
    """The schema describes ``/api/v1/`` only (the first, unversioned endpoints are not part of it)."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


def _report_components() -> dict:
    """The report's JSON Schema (2020-12, as OpenAPI 3.1 takes it), its ``$defs`` as components."""
    schema = copy.deepcopy(load_schema())          # load_schema() is cached: never change its dict
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    text = json.dumps({REPORT: schema, **{f"{REPORT}_{k}": v for k, v in defs.items()}})
    return json.loads(text.replace('"#/$defs/', f'"#/components/schemas/{REPORT}_'))


def _describe_errors(components: dict) -> None:
    for name, schema in components.items():
        if "Error" not in name or not isinstance(schema, dict):
            continue
        for prop, sub in schema.get("properties", {}).items():
            if isinstance(sub, dict) and "description" not in sub and prop in ERROR_FIELD_DESCRIPTIONS:
                sub["description"] = ERROR_FIELD_DESCRIPTIONS[prop]


def finish(result, generator, request, public):
    """Post-processing: the report's schema, closed request bodies, described error fields."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(copy.deepcopy(_report_components()))
    for name, schema in components.items():
        if name.endswith("Request") and schema.get("type") == "object":
            schema["additionalProperties"] = False
    _describe_errors(components)
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for param in operation.get("parameters", []):
                if param["in"] == "path" and param["name"] == "id" and not param.get("description"):
                    param["description"] = "The object's id (among yours: another team's is a 404, as a missing one)."
    return result
