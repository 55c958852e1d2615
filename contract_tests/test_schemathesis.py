"""schemathesis against the real app and against the mock, in process: every operation, every
check, and the links. The same suite runs against both targets."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from contract_tests.conftest import EXAMPLES, Target, make_mock_target, make_target

# CI runs these again on PostgreSQL (make_target follows MAILSENTINEL_TEST_DATABASE_URL).
pytestmark = pytest.mark.db

TARGETS = {"serve": make_target(), "mock": make_mock_target()}
SCHEMAS = {name: schemathesis.openapi.from_asgi("/api/openapi.json", t.app) for name, t in TARGETS.items()}

# Operations whose acceptance depends on facts no JSON schema can state; for them a
# schema-valid request may rightly be refused with VALIDATION_ERROR.
# Report uploads may be gzip, zip or e-mail files: schemathesis sends raw bytes for them.
schemathesis.serializer.alias(["application/gzip", "application/zip", "message/rfc822"], "application/octet-stream")

OUTSIDE_THE_SCHEMA = {
    "create_domain": "the name must sit under a real public suffix",
    "create_token": "expiresAt must lie in the future",
    "upload_report": "the body must be a DMARC report about a domain the organization monitors",
}


def excluded_for(case: Any) -> list[Any]:
    return [positive_data_acceptance] if case.operation.definition.raw.get("operationId") in OUTSIDE_THE_SCHEMA else []


def conformance(name: str) -> Any:
    """Every operation of the spec, fuzzed against one target."""
    target = TARGETS[name]

    @SCHEMAS[name].parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def test(case: Any) -> None:
        case.call_and_validate(headers=target.auth, excluded_checks=excluded_for(case))

    return test


test_every_operation_conforms = conformance("serve")
test_every_operation_conforms_on_the_mock = conformance("mock")


def workflow(name: str) -> Any:
    """Create → read → update → delete chains built from the spec's links, against one target."""
    target: Target = TARGETS[name]
    machine = SCHEMAS[name].as_state_machine()

    class Workflow(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": target.auth}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=excluded_for(case),
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    case = Workflow.TestCase
    case.settings = settings(
        max_examples=max(EXAMPLES // 2, 10),
        stateful_step_count=8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    return case


TestStatefulWorkflow = workflow("serve")
TestStatefulWorkflowOnTheMock = workflow("mock")
