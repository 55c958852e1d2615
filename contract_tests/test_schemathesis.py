"""schemathesis against the real app and against the mock, in process: every operation, every
check, and the links. The same suite runs against both targets, every case authenticated as a
principal it cannot blind (see conftest.py), every answer counted by the guard."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance, use_after_free

from contract_tests.conftest import (
    EXAMPLES,
    SCHEMATHESIS_CONFIG,
    Target,
    World,
    is_authenticated,
    make_mock_target,
    make_target,
    operation_id,
    run_case,
)
from contract_tests.guard import LEDGER

# CI runs these again on PostgreSQL (make_target follows MAILSENTINEL_TEST_DATABASE_URL).
pytestmark = [pytest.mark.db, pytest.mark.usefixtures("ledger_scope")]

TARGETS = {"serve": make_target(), "mock": make_mock_target()}
SCHEMAS = {
    name: schemathesis.openapi.from_asgi("/api/openapi.json", t.app, config=SCHEMATHESIS_CONFIG)
    for name, t in TARGETS.items()
}

# Report uploads may be gzip, zip or e-mail files: schemathesis sends raw bytes for them.
schemathesis.serializer.alias(["application/gzip", "application/zip", "message/rfc822"], "application/octet-stream")

# Operations whose acceptance depends on facts no JSON schema can state; for them a
# schema-valid request may rightly be refused with VALIDATION_ERROR.
OUTSIDE_THE_SCHEMA = {
    "create_domain": "the name must convert to IDNA (label lengths, allowed code points) under a real public suffix",
    "create_token": "expiresAt must lie in the future",
    "upload_report": "the body must be a DMARC report about a domain the organization monitors",
    "create_webhook": "the URL's host must resolve, and only to addresses the server may deliver to",
    "update_webhook": "a new URL's host must resolve, and only to addresses the server may deliver to",
    "recover_webhook": "since must name an instant of years 0001 to 9999 once in UTC",
    "create_alert_rule": "params must be the rule type's own, and domainIds the organization's domains",
    "update_alert_rule": "params must be the rule type's own, and domainIds the organization's domains",
    "acknowledge_alert": "a resolved alert cannot be acknowledged (CONFLICT)",
}
# DELETE /api/tokens/{id} revokes: the token stays readable with status "revoked" (as the
# spec's 200 says), which schemathesis's use-after-free check takes for a failed delete.
KEPT_AFTER_DELETE = {"get_token": "a revoked token is still shown, with status revoked"}


def excluded_for(case: Any) -> list[Any]:
    operation = case.operation.definition.raw.get("operationId")
    excluded = [positive_data_acceptance] if operation in OUTSIDE_THE_SCHEMA else []
    return excluded + ([use_after_free] if operation in KEPT_AFTER_DELETE else [])


def conformance(name: str) -> Any:
    """Every operation of the spec, fuzzed against one target."""
    target = TARGETS[name]

    @SCHEMAS[name].parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def test(case: Any) -> None:
        run_case(target, case, excluded_checks=excluded_for(case))

    return test


test_every_operation_conforms = conformance("serve")
test_every_operation_conforms_on_the_mock = conformance("mock")


def workflow(name: str) -> Any:
    """Create → read → update → delete chains built from the spec's links, against one target.

    Each run acts as a fresh principal: the links start from what the run creates, so nothing
    it chains to is its own token, organization or membership.
    """
    target: Target = TARGETS[name]
    machine = SCHEMAS[name].as_state_machine()

    class Workflow(machine):  # type: ignore[misc,valid-type]
        world: World | None = None

        def _world(self) -> World:
            if self.world is None:
                self.world = target.fresh_world()
            return self.world

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": self._world().credentials.headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            credentials = self._world().credentials if is_authenticated(case) else None
            LEDGER.record(name, operation_id(case), response.status_code, credentials)
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


def test_every_operation_got_a_success_while_fuzzed() -> None:
    """Runs after the tests above (pytest keeps the module's order): a fuzzed operation that never
    got a 2xx was only ever refused, so its success path went untested."""
    from contract_tests.coverage import operations

    missing = [
        f"{name} {op.operation_id} {dict(LEDGER.statuses.get((name, op.operation_id), {}))}"
        for name in TARGETS
        for op in operations()
        if not any(200 <= code < 300 for code in LEDGER.statuses.get((name, op.operation_id), {}))
    ]
    assert not missing, "no 2xx while fuzzing: " + "; ".join(missing)
