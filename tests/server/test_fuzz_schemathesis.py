"""Property-based API fuzzing against the published OpenAPI schema (schemathesis).

Valid and invalid requests for every operation: no 5xx, only documented status codes, JSON
bodies that match the schema. Bounded: a few dozen examples per operation (about 500 calls).
"""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis not installed (pip install schemathesis)")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance,  # noqa: E402
                                               response_schema_conformance, status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_app(network, sample_bundle):
    from server.main import create_app
    from server.settings import Settings

    return create_app(Settings(bundle=str(sample_bundle)), network=network)


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case):
    case.call_and_validate(checks=CHECKS)
