"""Plan limits through a real server (memory storage): headers, the 61st request, plan changes."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.ratelimit.conftest import Instance
from tests.ratelimit.helpers import refused, window


def test_headers_count_down_on_every_api_response(start_server: Callable[..., Instance]) -> None:
    server = start_server()
    tenant = server.tenant("free")
    seen = []
    for path in ("/api/me", "/api/domains", "/api/domains/dom_doesnotexist", "/api/me"):
        r = tenant.get(path)
        assert r.status_code in (200, 404)
        seen.append(window(r))
    assert [limit for limit, _, _ in seen] == [60] * 4
    # The 404 counts like any other request of the organization.
    assert [remaining for _, remaining, _ in seen] == [59, 58, 57, 56]
    # Validation errors are charged too (authentication runs before validation).
    bad = tenant.get("/api/domains", params={"limit": 0})
    assert bad.status_code == 400
    assert window(bad)[:2] == (60, 55)


def test_health_is_not_limited(start_server: Callable[..., Instance]) -> None:
    server = start_server(rate_limits=("free=1/1",))
    tenant = server.tenant("free")
    for _ in range(3):
        r = tenant.get("/health")
        assert r.status_code == 200
        assert "x-ratelimit-limit" not in r.headers


def test_responses_no_operation_saw_still_carry_headers(start_server: Callable[..., Instance]) -> None:
    server = start_server(auth_failures_per_minute=7)
    with httpx.Client(base_url=server.url, timeout=60) as anonymous:
        for r in (anonymous.get("/api/no-such-thing"), anonymous.put("/api/me"), anonymous.get("/api/openapi.json")):
            # Nobody authenticated: the caller's failed-authentication window is what applies.
            assert window(r)[:2] == (7, 7), r.status_code


def test_61st_request_of_a_free_org_is_refused_and_does_no_work(start_server: Callable[..., Instance]) -> None:
    server = start_server()
    tenant = server.tenant("free")
    # A second token of the same organization shares the count.
    principal = server.services.tokens.authenticate(tenant.token)
    second = server.services.tokens.create(principal, name="ci", scopes=None, expires_at=None, organization_id=None)
    second_token = second["token"]["token"]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {second_token}"}, timeout=60) as other:
        for i in range(60):
            r = (tenant.http if i % 2 else other).get("/api/me")
            assert r.status_code == 200, (i, r.text)
            assert window(r)[1] == 59 - i
        blocked = tenant.post(f"/api/organizations/{tenant.org_id}/domains", json={"domain": "never-created.com"})
        retry_after = refused(blocked)
        assert retry_after <= 60
        assert refused(other.get("/api/me")) <= 60
    # The refused POST never reached its handler: once allowed again, the domain is not there.
    server.services.organizations.update(principal, tenant.org_id, {"plan": "enterprise"})
    listing = tenant.data(tenant.get(f"/api/organizations/{tenant.org_id}/domains"))
    assert listing["domains"] == []


def test_plan_change_applies_to_the_next_request(start_server: Callable[..., Instance]) -> None:
    server = start_server(rate_limits=("free=3/100", "pro=5/100"))
    tenant = server.tenant("free")
    for _ in range(3):
        assert tenant.get("/api/me").status_code == 200
    refused(tenant.post(f"/api/organizations/{tenant.org_id}/domains", json={"domain": "not-while-limited.com"}))
    owner = server.services.tokens.authenticate(tenant.token)
    server.services.organizations.update(owner, tenant.org_id, {"plan": "pro"})

    r = tenant.get(f"/api/organizations/{tenant.org_id}/domains")
    assert r.status_code == 200
    assert window(r)[0] == 5
    # The POST refused while limited did nothing.
    assert r.json()["data"]["domains"] == []

    # And back through the API: the PATCH itself is a pro request, the next one is free again.
    patched = tenant.patch(f"/api/organizations/{tenant.org_id}", json={"plan": "free"})
    assert patched.status_code == 200 and window(patched)[0] == 5
    refused(tenant.get("/api/me"))
