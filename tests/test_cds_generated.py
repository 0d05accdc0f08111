"""schemathesis against the CDS Hooks service's own OpenAPI document: every built-in check, every phase.

Development mode, so generated bodies get past the JWT check and are read. The examples, coverage and
fuzzing phases run, with negative data as well as positive; ``call_and_validate`` with no ``checks`` runs
every check schemathesis has. Bounded to a few seconds.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

import ivrules
from tests.cds_support import client
from tests.conftest import AGREEMENTS, examples

PHASES = {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
          "stateful": {"enabled": False}}
CONFIG = SchemathesisConfig.from_dict({"generation": {"mode": "all", "max-examples": examples(40)}, "phases": PHASES})

schema = schemathesis.openapi.from_asgi("/openapi.json", client(ivrules.load(AGREEMENTS)).app, config=CONFIG)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_calls_are_answered_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate()
