"""schemathesis against the CDS Hooks service's own OpenAPI document: generated calls never make it fail.

Development mode, so generated bodies get past the JWT check and are read; bounded to a few seconds.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

import ivrules
from tests.cds_support import client
from tests.conftest import AGREEMENTS, examples

schema = schemathesis.openapi.from_asgi("/openapi.json", client(ivrules.load(AGREEMENTS)).app)


@schema.parametrize()
@settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_calls_are_answered_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, response_schema_conformance])
