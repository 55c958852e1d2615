"""The contract suite is not decorative: a response that breaks the spec is caught."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from contract_tests.conftest import can_take_access_away, make_target, operation_id, run_case, world_for
from contract_tests.guard import Credentials, Ledger, WentBlind


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


# The suite cannot go blind: losing its authentication mid-run fails it, and the operations
# that could take the caller's access away never see the suite's own credentials.


def test_revoking_the_suite_token_mid_run_fails_the_run() -> None:
    target = make_target()
    ledger = Ledger()
    me = _case_for(target, "/api/me", "GET")
    assert run_case(target, me, ledger).status_code == 200
    # Mid-run, the suite's own token is revoked (as a fuzzed DELETE with the right id would).
    token_id = target.shared.ids["tokenId"]
    revoke = _case_for(target, "/api/tokens/{tokenId}", "DELETE")
    revoke.path_parameters = {"tokenId": token_id}
    assert revoke.call(headers=target.auth).status_code == 200
    with pytest.raises(WentBlind, match="no longer authenticate"):
        run_case(target, _case_for(target, "/api/me", "GET"), ledger)
    with pytest.raises(WentBlind, match="get_me"):
        Ledger(statuses={("serve", "get_me"): Counter({401: 3})}).verify()


def test_an_operation_answered_only_401_or_403_fails_the_run() -> None:
    ledger = Ledger()
    valid = Credentials("ms_live_x", lambda: True)
    for status in (401, 403, 401):
        ledger.record("serve", "list_domains", status, valid)
    ledger.record("serve", "get_me", 401, valid)
    ledger.record("serve", "get_me", 200, valid)
    assert ledger.blind_operations() == ["serve list_domains {401: 2, 403: 1}"]
    with pytest.raises(WentBlind, match="list_domains"):
        ledger.verify()
    ledger.verify([("serve", "get_me")])  # an operation that also saw a 200 is not blind


def test_access_taking_operations_get_a_world_of_their_own() -> None:
    target = make_target()
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", target.app)
    risky = [op.ok() for op in schema.get_all_operations() if can_take_access_away(op.ok())]
    assert {operation_id(op.Case()) for op in risky} >= {
        "revoke_token",
        "rotate_token",
        "delete_organization",
        "update_organization",
        "remove_member",
        "update_member",
    }
    for operation in risky:
        case = operation.Case()
        world = world_for(target, case)
        assert world.credentials.token != target.token
        assert world.ids["orgId"] != target.org_id
        # Aimed at that world's own token, organization, member: the suite's token survives.
        case.path_parameters = {p.name: world.ids[p.name] for p in operation.path_parameters}
        case.call(headers=world.credentials.headers)
        assert target.shared.credentials.still_valid()
    # The check above can fail: the suite's own token does stop working once revoked.
    revoke = _case_for(target, "/api/tokens/{tokenId}", "DELETE")
    revoke.path_parameters = {"tokenId": target.shared.ids["tokenId"]}
    revoke.call(headers=target.auth)
    assert not target.shared.credentials.still_valid()
