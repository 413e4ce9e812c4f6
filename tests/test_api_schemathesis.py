"""schemathesis against the live schema of /api/v1/ (``/api/v1/schema/``), through the real WSGI handler,
authenticated with a CSM's personal token: for every operation, bounded examples (``EXAMPLES`` each,
derandomized; ``API_FUZZ_EXAMPLES=200`` explores further) of schema-valid requests — half of the ids
pointing at real objects of the CSM's team, so actions run on real data — and for each response: no 5xx,
a documented status code, content type and headers, and a body that matches the schema.

Each example runs in a savepoint that is rolled back, so they cannot see each other's writes; the request
runs in this thread, on the test's connection (the handler's close-old-connections hook is held off)."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
import schemathesis
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .api_support import NOW, build_world

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def app(settings):
    """The production WSGI handler, on the test's database connection."""
    settings.API_RATE = "100000/minute"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def known_ids(world) -> dict:
    mine = world["mine"]
    return {"accounts": mine["account"].pk, "contacts": mine["contact"].pk, "interactions": mine["interaction"].pk,
            "touchpoints": mine["touchpoint"].pk, "org-changes": mine["org_change"].pk, "alerts": mine["alert"].pk}


def test_every_operation_answers_within_its_schema(cast, app):
    with time_machine.travel(NOW, tick=False):
        world = build_world(cast)
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", app)
        auth = {"Authorization": f"Bearer {world['tokens']['csm']}"}
        ids = known_ids(world)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 25
        for operation in operations:
            fuzz(operation, ids[operation.path.split("/")[3]] if "{id}" in operation.path else None, auth)


def fuzz(operation, known_id, auth):
    @given(case=operation.as_strategy(), use_known=st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize="API_FUZZ_EXAMPLES" not in os.environ,
              phases=[Phase.explicit, Phase.generate], database=None, suppress_health_check=list(HealthCheck))
    def run(case, use_known):
        if use_known and known_id is not None:
            case.path_parameters["id"] = known_id
        with rolled_back():
            response = case.call(headers=auth)
            case.validate_response(response, checks=CHECKS, headers=auth)

    run()
