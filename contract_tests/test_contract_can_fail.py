"""The contract suite is not decorative: a response that breaks the spec is caught."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from contract_tests.conftest import make_target


def _case_for(target: Any, path: str, method: str) -> Any:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", target.app)
    return schema[path][method].Case()


def test_a_wrong_success_shape_is_caught() -> None:
    target = make_target()
    target.services.organizations.me = lambda principal: {"user": {"id": 42}}  # type: ignore[method-assign]
    case = _case_for(target, "/api/me", "GET")
    with pytest.raises(FailureGroup) as caught:
        case.call_and_validate(headers=target.auth)
    assert "schema" in str(caught.value).lower()


def test_a_non_envelope_error_is_caught() -> None:
    target = make_target()

    def problem_json(principal: Any, page: Any) -> Any:
        from sentinel.errors import Conflict

        error = Conflict("x")
        error.code = "SOMETHING_ELSE"  # not one of the spec's codes
        raise error

    target.services.tokens.list_for_user = problem_json  # type: ignore[method-assign]
    case = _case_for(target, "/api/tokens", "GET")
    with pytest.raises(FailureGroup):
        case.call_and_validate(headers=target.auth)


def test_an_undocumented_status_is_caught() -> None:
    target = make_target()

    def teapot(principal: Any, org_id: str) -> Any:
        from sentinel.errors import SentinelError

        class Teapot(SentinelError):
            code = "INTERNAL_ERROR"
            status = 418

        raise Teapot("short and stout")

    target.services.organizations.get = teapot  # type: ignore[method-assign]
    case = _case_for(target, "/api/organizations/{orgId}", "GET")
    case.path_parameters = {"orgId": target.org_id}
    with pytest.raises(FailureGroup):
        case.call_and_validate(headers=target.auth)
