"""The live-fuzzing recipe (README: "Fuzzing a live deployment"): its configuration keeps the
fuzzing token away from the calls that can take its access away, and its report catches a run
that went blind."""

from __future__ import annotations

import json
from pathlib import Path

import schemathesis
from schemathesis.config import SchemathesisConfig

from contract_tests.live_fuzz import ACCESS_TAKING, config_text, statuses_by_operation
from mocks.seed import load_seed
from sentinel.app import SPEC_PATH, build_services
from sentinel.settings import Settings

FUZZ_SEED = Path(__file__).resolve().parent.parent / "mocks" / "fuzz-seed.json"


def test_access_taking_calls_carry_the_stranger_token_and_take_no_stateful_steps() -> None:
    config = SchemathesisConfig.from_str(config_text("ms_live_Fuzzing", "ms_live_Stranger"))
    schema = schemathesis.openapi.from_path(str(SPEC_PATH), config=config)
    seen = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        name = operation.definition.raw["operationId"]
        headers = schema.config.headers_for(operation=operation)
        stateful = schema.config.phases_for(operation=operation).stateful.enabled
        if name in ACCESS_TAKING:
            seen.add(name)
            assert headers == {"Authorization": "Bearer ms_live_Stranger"} and not stateful
        else:
            assert headers == {"Authorization": "Bearer ms_live_Fuzzing"} and stateful
    assert seen == set(ACCESS_TAKING)
    # Links and Location headers only: no guessed chains into the caller's own resources.
    assert [a.value for a in schema.config.phases.stateful.inference.algorithms] == ["location-headers"]


def _event(case_id: str, method: str, path: str, status: int, authorized: bool = True) -> str:
    headers = {"Authorization": ["[Filtered]"]} if authorized else {}
    return json.dumps(
        {
            "ScenarioFinished": {
                "recorder": {
                    "cases": {case_id: {"value": {"method": method, "path": path}}},
                    "interactions": {
                        case_id: {
                            "request": {"method": method, "headers": headers},
                            "response": {"status_code": status},
                        }
                    },
                }
            }
        }
    )


def test_the_report_counts_authenticated_answers_per_operation(tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    lines = [
        _event("a", "GET", "/api/me", 200),
        _event("b", "GET", "/api/me", 401, authorized=False),  # a deliberate probe: not counted
        _event("c", "DELETE", "/api/tokens/{tokenId}", 401),
        _event("d", "DELETE", "/api/tokens/{tokenId}", 403),
    ]
    events.write_text("\n".join(['{"Initialize": {}}', *lines]) + "\n")
    counts = statuses_by_operation(events)
    assert counts["GET /api/me"] == {200: 1}
    assert counts["DELETE /api/tokens/{tokenId}"] == {401: 1, 403: 1}


def test_the_fuzz_seed_gives_two_unrelated_principals() -> None:
    services = build_services(Settings(), "mock")
    assert services.mock is not None
    services.mock.load(load_seed(FUZZ_SEED))
    fuzzing, stranger = (services.tokens.authenticate(t.secret) for t in services.mock.tokens[:2])
    assert fuzzing.user_id != stranger.user_id
    assert not set(fuzzing.roles) & set(stranger.roles)
    services.db.dispose()
