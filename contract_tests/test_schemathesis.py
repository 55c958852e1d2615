"""schemathesis against the real app, in process: every operation, every check, and the links."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from contract_tests.conftest import EXAMPLES, make_target

TARGET = make_target()
schema = schemathesis.openapi.from_asgi("/api/openapi.json", TARGET.app)

# Operations whose acceptance depends on facts no JSON schema can state; for them a
# schema-valid request may rightly be refused with VALIDATION_ERROR.
OUTSIDE_THE_SCHEMA = {
    "create_domain": "the name must sit under a real public suffix",
    "create_token": "expiresAt must lie in the future",
}


def excluded_for(case: Any) -> list[Any]:
    return [positive_data_acceptance] if case.operation.definition.raw.get("operationId") in OUTSIDE_THE_SCHEMA else []


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_conforms(case: Any) -> None:
    case.call_and_validate(headers=TARGET.auth, excluded_checks=excluded_for(case))


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Create → read → update → delete chains built from the spec's links."""

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"headers": TARGET.auth}

    def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
        case.validate_response(
            response,
            additional_checks=additional_checks,
            excluded_checks=excluded_for(case),
            transport_kwargs=kwargs or None,
            recorder=getattr(self, "recorder", None),
        )


TestStatefulWorkflow = Workflow.TestCase
TestStatefulWorkflow.settings = settings(
    max_examples=max(EXAMPLES // 2, 10),
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
