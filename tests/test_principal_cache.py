"""The principal cache (used where one process holds all state, as in mock mode) stays exact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from sentinel.accounts.tokens import LAST_USED_RESOLUTION, PrincipalCache
from sentinel.app import Services, build_services, create_app
from sentinel.clock import ManualClock
from sentinel.settings import Settings
from tests.support.api import Tenant, add_member_with_token, client, error_of, new_tenant
from tests.support.server import LiveServer


@pytest.fixture
def cached(tmp_path) -> Iterator[tuple[Services, LiveServer, ManualClock]]:
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cache.db'}")
    services = build_services(settings, clock=clock)
    services.tokens.cache = PrincipalCache()
    with LiveServer(create_app(settings, services=services)) as live:
        yield services, live, clock
    services.db.dispose()


def _queries(services: Services, secret: str) -> int:
    seen: list[str] = []

    def count(*_a: object) -> None:
        seen.append("q")

    event.listen(services.db.engine, "before_cursor_execute", count)
    try:
        services.tokens.authenticate(secret)
    finally:
        event.remove(services.db.engine, "before_cursor_execute", count)
    return len(seen)


def test_a_cached_principal_costs_no_query(cached) -> None:
    services, live, clock = cached
    t = new_tenant(services, live.url)
    assert _queries(services, t.token) > 0
    assert _queries(services, t.token) == 0
    clock.advance(LAST_USED_RESOLUTION)  # the entry lapses so last-used time is written again
    assert _queries(services, t.token) > 0
    t.http.close()


def test_changes_apply_on_the_next_request(cached) -> None:
    services, live, _clock = cached
    owner: Tenant = new_tenant(services, live.url, plan="free")
    token = owner.data(owner.post("/api/tokens", json={"name": "second"}), 201)["token"]
    with client(live.url, token["token"]) as second:
        assert second.get("/api/me").status_code == 200  # now cached
        org = owner.data(owner.post("/api/organizations", json={"name": "New"}), 201)["organization"]
        roles = {m["organization"]["id"] for m in second.get("/api/me").json()["data"]["memberships"]}
        assert org["id"] in roles
        owner.patch(f"/api/organizations/{owner.org_id}", json={"plan": "pro"})
        assert second.get("/api/me").headers["x-ratelimit-limit"] == "300"
        owner.delete(f"/api/tokens/{token['id']}")
        error_of(second.get("/api/me"), 401, "UNAUTHORIZED")
    member_id, secret = add_member_with_token(owner, services, "admin")
    with client(live.url, secret) as member:
        assert (
            member.post(f"/api/organizations/{owner.org_id}/domains", json={"domain": "c1.example.com"}).status_code
            == 201
        )
        owner.patch(f"/api/organizations/{owner.org_id}/members/{member_id}", json={"role": "viewer"})
        error_of(
            member.post(f"/api/organizations/{owner.org_id}/domains", json={"domain": "c2.example.com"}),
            403,
            "FORBIDDEN",
        )
        owner.delete(f"/api/organizations/{owner.org_id}/members/{member_id}")
        error_of(member.get("/api/me"), 401, "UNAUTHORIZED")
    owner.http.close()


def test_expiry_is_honoured_from_the_cache(cached) -> None:
    services, live, clock = cached
    owner = new_tenant(services, live.url)
    expires = (clock.now() + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    short = owner.data(owner.post("/api/tokens", json={"name": "short", "expiresAt": expires}), 201)["token"]
    with client(live.url, short["token"]) as c:
        assert c.get("/api/me").status_code == 200
        clock.advance(timedelta(seconds=31))
        error_of(c.get("/api/me"), 401, "UNAUTHORIZED")
    owner.http.close()


def test_a_lookup_that_raced_a_change_is_not_cached(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'race.db'}")
    services = build_services(settings)
    cache = PrincipalCache()
    services.tokens.cache = cache
    boot = services.organizations.bootstrap("race@example.com", "Race")
    principal = services.tokens.authenticate(boot.token)
    stale_generation = cache.generation
    cache.forget()
    from sentinel.accounts.tokens import hash_secret

    now = services.clock.now()
    cache.put(hash_secret(boot.token), principal, None, now, stale_generation)
    assert cache.get(hash_secret(boot.token), now) is None
    services.db.dispose()


def test_serve_mode_does_not_cache(services: Services) -> None:
    assert services.tokens.cache is None
    assert build_services(Settings(database_url="sqlite://"), "mock").tokens.cache is not None
