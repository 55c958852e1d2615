"""/_mock controls: state, reset, seed loading, the clock and recorded events; absent from serve."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sentinel.app import Services, create_app
from tests.mock.conftest import OWNER_TOKEN
from tests.support.api import error_of
from tests.support.server import LiveServer


def _org_id(owner: httpx.Client) -> str:
    return str(owner.get("/api/me").json()["data"]["memberships"][0]["organization"]["id"])


def test_state_shows_clock_seed_and_tokens(anonymous: httpx.Client) -> None:
    state = anonymous.get("/_mock/state").json()["data"]
    assert state["now"] == "2026-01-15T10:00:00Z"
    assert state["seed"] == "mocks/seed.json"
    assert state["tokens"][0]["token"] == OWNER_TOKEN


def test_reset_forgets_changes_and_restarts_ids(owner: httpx.Client) -> None:
    org_id = _org_id(owner)
    first = owner.post(f"/api/organizations/{org_id}/domains", json={"domain": "new.example.com"}).json()
    owner.delete(f"/api/domains/{owner.get('/api/domains').json()['data']['domains'][0]['id']}")
    assert owner.post("/_mock/reset").status_code == 200
    names = [d["domain"] for d in owner.get("/api/domains").json()["data"]["domains"]]
    assert "new.example.com" not in names and "example.com" in names
    again = owner.post(f"/api/organizations/{org_id}/domains", json={"domain": "new.example.com"}).json()
    assert again == first  # same ID, same verification token, same timestamps


def test_the_clock_moves_only_when_told(owner: httpx.Client) -> None:
    org_id = _org_id(owner)
    assert owner.get("/_mock/clock").json()["data"]["now"] == "2026-01-15T10:00:00Z"
    moved = owner.post("/_mock/clock", json={"advanceSeconds": 86400}).json()["data"]
    assert moved["now"] == "2026-01-16T10:00:00Z"
    domain = owner.post(f"/api/organizations/{org_id}/domains", json={"domain": "later.example.com"}).json()
    assert domain["data"]["domain"]["createdAt"] == "2026-01-16T10:00:00Z"
    assert owner.post("/_mock/clock", json={"set": "2027-01-01T00:00:00Z"}).json()["data"]["now"] == (
        "2027-01-01T00:00:00Z"
    )
    error_of(owner.post("/_mock/clock", json={}), 400, "VALIDATION_ERROR")
    error_of(owner.post("/_mock/clock", json={"advanceSeconds": -1}), 400, "VALIDATION_ERROR")


def test_loading_a_seed_replaces_the_state(owner: httpx.Client, anonymous: httpx.Client) -> None:
    secret = "ms_live_PostedSeedOwnerToken00000000000000001"
    seed = {
        "organizations": [{
            "name": "Posted", "owner": {"email": "posted@example.com", "token": {"secret": secret}},
            "domains": [{"domain": "example.com", "verified": True}],
        }],
    }
    state = anonymous.post("/_mock/seed", json=seed).json()["data"]
    assert state["seed"] == "inline"
    error_of(owner.get("/api/me"), 401, "UNAUTHORIZED")
    posted = anonymous.get("/api/domains", headers={"Authorization": f"Bearer {secret}"}).json()["data"]
    assert [(d["domain"], d["verified"]) for d in posted["domains"]] == [("example.com", True)]
    # Reset now returns to the posted seed.
    anonymous.post("/_mock/reset")
    assert anonymous.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_a_refused_seed_keeps_the_previous_state(owner: httpx.Client, anonymous: httpx.Client) -> None:
    bad = {"organizations": [{"name": "Bad", "owner": {"email": "bad@example.com"}, "domains": [{"domain": "co.uk"}]}]}
    error_of(anonymous.post("/_mock/seed", json=bad), 400, "VALIDATION_ERROR")
    unverifiable = {"organizations": [{"name": "U", "owner": {"email": "u@example.com"},
                                       "domains": [{"domain": "example.org", "verified": True}]}]}
    error = error_of(anonymous.post("/_mock/seed", json=unverifiable), 400, "VALIDATION_ERROR")
    assert "cannot be verified" in error["message"]
    assert owner.get("/api/me").status_code == 200


def test_events_are_recorded_not_sent(owner: httpx.Client, anonymous: httpx.Client) -> None:
    events = anonymous.get("/_mock/events", params={"type": "domain.verified"}).json()["data"]["events"]
    assert len(events) == 4  # the seed verified four domains through the API's own check
    assert {e["event"] for e in events} == {"domain.verified"}
    everything = anonymous.get("/_mock/events").json()["data"]["events"]
    assert [e["event"] for e in everything].count("report.received") == 3  # the seeded reports
    error_of(anonymous.get("/_mock/events", params={"organizationId": "nope"}), 400, "VALIDATION_ERROR")
    error_of(anonymous.get("/_mock/events", params={"bogus": "1"}), 400, "VALIDATION_ERROR")


def test_control_errors_use_the_envelope(anonymous: httpx.Client) -> None:
    r = anonymous.delete("/_mock/reset")
    error_of(r, 405, "METHOD_NOT_ALLOWED")
    assert r.headers["allow"] == "POST"
    error_of(anonymous.get("/_mock/nothing"), 404, "NOT_FOUND")


@pytest.fixture(scope="module")
def serve_live(services: Services) -> Iterator[LiveServer]:
    with LiveServer(create_app(services.settings, "serve", services=services)) as server:
        yield server


def test_serve_has_no_controls_and_ignores_prefer(serve_live: LiveServer, services: Services) -> None:
    assert services.mock is None
    for method, path in [("GET", "/_mock/state"), ("POST", "/_mock/reset"), ("GET", "/_mock/ui/")]:
        error_of(httpx.request(method, serve_live.url + path, timeout=60), 404, "NOT_FOUND")
    boot = services.organizations.bootstrap("prefer@example.com", "Prefer Org", "enterprise")
    headers = {"Authorization": f"Bearer {boot.token}", "Prefer": "code=429"}
    r = httpx.get(serve_live.url + "/api/me", headers=headers, timeout=60)
    assert r.status_code == 200
