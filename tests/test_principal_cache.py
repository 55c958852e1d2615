"""The principal cache stays exact: in one process (the mock's own counter) and across
processes (serve's generation counter in the database; tests/test_principal_generations.py
runs two processes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from sentinel.accounts.tokens import LAST_USED_RESOLUTION, PrincipalCache, hash_secret
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
    """Queries one authentication makes: through SQLAlchemy, or straight on a DBAPI connection."""
    seen: list[str] = []

    def count(*_a: object) -> None:
        seen.append("q")

    db = services.db
    plain = db.read_value

    def read_value(sql: str) -> object:
        seen.append(sql)
        return plain(sql)

    event.listen(db.engine, "before_cursor_execute", count)
    db.read_value = read_value  # type: ignore[method-assign]
    try:
        services.tokens.authenticate(secret)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        del db.read_value
    return len(seen)


def test_a_cached_principal_costs_one_query_the_generation(cached) -> None:
    services, live, clock = cached
    t = new_tenant(services, live.url)
    assert _queries(services, t.token) > 1
    assert _queries(services, t.token) == 1
    clock.advance(LAST_USED_RESOLUTION)  # the entry lapses so last-used time is written again
    assert _queries(services, t.token) > 1
    t.http.close()


def test_a_local_cache_costs_no_query(tmp_path) -> None:
    services = build_services(Settings(database_url=f"sqlite:///{tmp_path / 'local.db'}"))
    services.tokens.cache = PrincipalCache(local=True)
    boot = services.organizations.bootstrap("local@example.com", "Local")
    assert _queries(services, boot.token) > 0
    assert _queries(services, boot.token) == 0
    services.db.dispose()


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
    cache = services.tokens.cache
    assert cache is not None and not cache.local
    boot = services.organizations.bootstrap("race@example.com", "Race")
    principal = services.tokens.authenticate(boot.token)
    stale_generation = services.tokens._generation()
    assert stale_generation is not None
    # A change commits (in any process) between this look-up's generation read and its put.
    with services.db.transaction() as session:
        services.tokens.forget_principals(session)
    now = services.clock.now()
    cache.put(hash_secret(boot.token), principal, None, now, stale_generation)
    current = services.tokens._generation()
    assert current == stale_generation + 1
    assert cache.get(hash_secret(boot.token), now, current) is None
    assert services.tokens.cached(boot.token) is None
    services.db.dispose()


def test_serve_caches_under_the_database_generation_and_the_mock_under_its_own(services: Services) -> None:
    assert services.tokens.cache is not None and not services.tokens.cache.local
    mock_cache = build_services(Settings(database_url="sqlite://"), "mock").tokens.cache
    assert mock_cache is not None and mock_cache.local
