"""schemathesis against the app's own OpenAPI schema, in-process: every built-in check, every phase.

The examples, coverage and fuzzing phases run, with negative data as well as positive (``mode: all``), and
every check schemathesis has (``call_and_validate`` with no ``checks`` runs them all): no 5xx, every status,
content type, header and body as documented, schema-valid questions accepted and schema-invalid ones refused.
Bounded: ``CASES`` generated requests per operation in the fuzzing phase; the coverage phase's cases are
derived from the schema (a few hundred in all), so it runs in well under a minute.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

import ivrules
from ivrules.web.app import create_app
from tests.conftest import AGREEMENTS, examples

CASES = examples(50)
PHASES = {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
          "stateful": {"enabled": False}}
CONFIG = SchemathesisConfig.from_dict({"generation": {"mode": "all", "max-examples": CASES}, "phases": PHASES})

book = ivrules.load(AGREEMENTS)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(book), config=CONFIG)

# Facts whose allowed values the agreement in force decides, which one schema for every region and date cannot
# state: the municipality (required where the agreement is joined municipality by municipality) and the
# tariff category (each agreement lists its own). A schema-valid question may be refused for these alone.
AGREEMENT_DECIDES = {book.vocabulary.roles.municipality, "tyngdekategori"}


def accepted_unless_the_agreement_decides(ctx: CheckContext, response: Any, case: schemathesis.Case) -> bool | None:
    """schemathesis's ``positive_data_acceptance``, except a 422 that names only facts the agreement decides."""
    if response.status_code == 422 and case.meta is not None and case.meta.generation.mode.is_positive:
        fields = {problem["loc"][-1] for problem in response.json()["detail"]}
        if fields <= AGREEMENT_DECIDES:
            return None
    return positive_data_acceptance(ctx, response, case)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance],
                           additional_checks=[accepted_unless_the_agreement_decides])


def _facts_schema(name: str) -> dict[str, Any]:
    components = schema.raw_schema["components"]["schemas"]
    facts: dict[str, Any] = components[name]["properties"]["facts"]
    return facts


def test_the_schema_states_what_the_app_refuses() -> None:
    """What a 422 would otherwise tell only after the call: the date that chooses the revision, ranges, HH:MM."""
    eligibility, tariff = _facts_schema("Question"), _facts_schema("Course")
    assert eligibility["required"] == ["date"] and eligibility["properties"]["date"] == {"type": "string",
                                                                                         "format": "date"}
    assert [alternative["required"] for alternative in tariff["anyOf"]] == [["start_date"], ["date"]]
    age = eligibility["properties"]["age_years"]["anyOf"][0]
    assert (age["minimum"], age["maximum"]) == (0, 130)
    assert eligibility["properties"]["dose_times"]["anyOf"][0]["items"]["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"
