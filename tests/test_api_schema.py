"""The published schema of /api/v1/: OpenAPI 3.1, every field described, enums listed (their labels too where
requests take them), closed request bodies, the one error shape, tokens as the security scheme."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client, cast):
    client.force_login(cast["csm"])
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def undescribed(schema):
    missing = []
    for name, component in schema["components"]["schemas"].items():
        if name.startswith("SponsorReport"):
            continue            # the report's own JSON Schema, documented in reports/schemas/
        for prop, sub in component.get("properties", {}).items():
            if not sub.get("description"):
                missing.append(f"{name}.{prop}")
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            missing += [f"{method} {path} ?{p['name']}" for p in operation.get("parameters", [])
                        if not p.get("description")]
    return missing


def test_every_field_and_parameter_is_described(schema):
    assert schema["openapi"] == "3.1.0"
    assert undescribed(schema) == []


def test_enums_are_listed_and_requests_take_the_labels(schema):
    components = schema["components"]["schemas"]
    assert components["InteractionTypeEnum"]["enum"][0] == "one_on_one"
    assert "1:1" in components["InteractionTypeInputEnum"]["enum"]
    assert components["InteractionCreateRequest"]["additionalProperties"] is False
    assert components["LevelEnum"]["enum"] == ["Champion", "Engaged", "Passive", "Disengaged", "Unknown"]
    assert components["SponsorReport"]["properties"]["overall"]


def test_errors_have_one_documented_shape_and_tokens_are_the_scheme(schema):
    create = schema["paths"]["/api/v1/interactions/"]["post"]
    assert set(create["responses"]) >= {"201", "400", "401", "405", "429"}
    bad = schema["components"]["schemas"]["BadRequestResponse"]
    assert set(bad["properties"]) == {"type", "errors"}
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": "A personal API token (est_…), made on /settings/api-tokens/ or with "
                       "`manage.py api_token create`."}
    assert {"tokenAuth": []} in create["security"]


def test_the_docs_page_is_served_without_a_cdn(client, cast):
    client.force_login(cast["csm"])
    page = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "<style" not in page
    script = re.search(r'<script src="([^"]+\?script=[^"]*)"', page).group(1)
    assert "SwaggerUIBundle" in client.get(script.replace("&amp;", "&")).content.decode()
