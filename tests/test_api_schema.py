"""schemathesis against the app's own OpenAPI schema, in-process: no 5xx, and every answer as documented.

Bounded: at most ``CASES`` generated requests per operation (about 300 in all), so it runs in seconds.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import ivrules
from ivrules.web.app import create_app
from tests.conftest import AGREEMENTS

CASES = 50
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ivrules.load(AGREEMENTS)))


@schema.parametrize()
@settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
