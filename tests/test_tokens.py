"""The token lifecycle: shown once, hashed, scoped, revoked, rotated, expired."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from sentinel.app import Services, build_services, create_app
from sentinel.clock import ManualClock
from sentinel.errors import NotFound
from sentinel.settings import Settings
from sentinel.store.models import ApiToken
from tests.support.api import Tenant, client, error_of, unique_email
from tests.support.server import LiveServer


def test_created_token_is_shown_once_and_stored_hashed(tenant: Tenant, services: Services) -> None:
    token = tenant.data(tenant.post("/api/tokens", json={"name": "ci"}), 201)["token"]
    secret = token["token"]
    assert secret.startswith("ms_live_") and len(secret) >= 40
    assert token["scopes"] == ["read", "write"] and token["status"] == "active"
    assert token["hint"].endswith(secret[-4:])
    listed = tenant.data(tenant.get("/api/tokens"))["tokens"]
    assert {t["id"] for t in listed} >= {token["id"]}
    assert all("token" not in t for t in listed)
    assert "token" not in tenant.data(tenant.get(f"/api/tokens/{token['id']}"))["token"]
    with services.db.transaction() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.id == token["id"]))
        assert row is not None
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (row.secret_hint, row.secret_hash, row.name)


def test_new_token_works_and_records_last_use(tenant: Tenant, live: LiveServer) -> None:
    token = tenant.data(tenant.post("/api/tokens", json={"name": "second"}), 201)["token"]
    with client(live.url, token["token"]) as c:
        me = c.get("/api/me").json()["data"]
    assert me["token"]["id"] == token["id"]
    assert me["user"]["id"] == tenant.user_id
    again = tenant.data(tenant.get(f"/api/tokens/{token['id']}"))["token"]
    assert again["lastUsedAt"] is not None


def test_revoked_token_is_rejected_on_next_request(tenant: Tenant, live: LiveServer) -> None:
    token = tenant.data(tenant.post("/api/tokens", json={"name": "doomed"}), 201)["token"]
    with client(live.url, token["token"]) as c:
        assert c.get("/api/me").status_code == 200
        revoked = tenant.data(tenant.delete(f"/api/tokens/{token['id']}"))["token"]
        assert revoked["status"] == "revoked" and revoked["revokedAt"]
        err = error_of(c.get("/api/me"), 401, "UNAUTHORIZED")
        assert "revoked" in err["message"]
    # Revoking twice keeps the first revocation time.
    assert tenant.data(tenant.delete(f"/api/tokens/{token['id']}"))["token"]["revokedAt"] == revoked["revokedAt"]
    error_of(tenant.post(f"/api/tokens/{token['id']}/rotate"), 409, "CONFLICT")


def test_a_token_can_revoke_itself(tenant: Tenant, live: LiveServer) -> None:
    token = tenant.data(tenant.post("/api/tokens", json={"name": "self"}), 201)["token"]
    with client(live.url, token["token"]) as c:
        assert c.delete(f"/api/tokens/{token['id']}").status_code == 200
        error_of(c.get("/api/me"), 401, "UNAUTHORIZED")


def test_rotation_replaces_the_secret_at_once(tenant: Tenant, live: LiveServer) -> None:
    token = tenant.data(tenant.post("/api/tokens", json={"name": "rotating"}), 201)["token"]
    rotated = tenant.data(tenant.post(f"/api/tokens/{token['id']}/rotate"))["token"]
    assert rotated["id"] == token["id"] and rotated["token"] != token["token"] and rotated["rotatedAt"]
    with client(live.url, token["token"]) as old, client(live.url, rotated["token"]) as new:
        error_of(old.get("/api/me"), 401, "UNAUTHORIZED")
        assert new.get("/api/me").status_code == 200


def test_read_scope_cannot_write(tenant: Tenant, live: LiveServer) -> None:
    token = tenant.data(tenant.post("/api/tokens", json={"name": "reader", "scopes": ["read"]}), 201)["token"]
    assert token["scopes"] == ["read"]
    with client(live.url, token["token"]) as reader:
        assert reader.get("/api/domains").status_code == 200
        assert reader.get(f"/api/organizations/{tenant.org_id}").status_code == 200
        err = error_of(reader.post("/api/organizations", json={"name": "Nope"}), 403, "FORBIDDEN")
        assert "read" in err["message"]
        error_of(
            reader.post(f"/api/organizations/{tenant.org_id}/domains", json={"domain": "x.example.com"}),
            403,
            "FORBIDDEN",
        )
        error_of(reader.post("/api/tokens", json={"name": "escalate"}), 403, "FORBIDDEN")
        error_of(reader.delete(f"/api/tokens/{token['id']}"), 403, "FORBIDDEN")


def test_token_validation(tenant: Tenant) -> None:
    error_of(tenant.post("/api/tokens", json={"name": "x", "scopes": ["admin"]}), 400, "VALIDATION_ERROR")
    error_of(tenant.post("/api/tokens", json={"name": "x", "scopes": []}), 400, "VALIDATION_ERROR")
    error_of(tenant.post("/api/tokens", json={"name": "   "}), 400, "VALIDATION_ERROR")
    err = error_of(
        tenant.post("/api/tokens", json={"name": "x", "expiresAt": "2001-01-01T00:00:00Z"}), 400, "VALIDATION_ERROR"
    )
    assert err["details"][0]["field"] == "expiresAt"
    error_of(tenant.post("/api/tokens", json={"name": "x", "expiresAt": "tomorrow"}), 400, "VALIDATION_ERROR")


def test_token_bound_to_an_organization_the_caller_is_not_in(tenant: Tenant, other: Tenant) -> None:
    error_of(tenant.post("/api/tokens", json={"name": "x", "organizationId": other.org_id}), 404, "NOT_FOUND")


def test_expired_token_is_rejected(tmp_path) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'exp.db'}")
    services = build_services(settings, clock=clock)
    boot = services.organizations.bootstrap("exp@example.com", "Expiring")
    with LiveServer(create_app(settings, services=services)) as server, client(server.url, boot.token) as c:
        expires = (clock.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        short = c.post("/api/tokens", json={"name": "short", "expiresAt": expires}).json()["data"]["token"]
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {short['token']}"}, timeout=60) as s:
            assert s.get("/api/me").status_code == 200
            clock.advance(timedelta(hours=1, seconds=1))
            err = error_of(s.get("/api/me"), 401, "UNAUTHORIZED")
            assert "expired" in err["message"]
        assert c.get(f"/api/tokens/{short['id']}").json()["data"]["token"]["status"] == "expired"
        error_of(c.post(f"/api/tokens/{short['id']}/rotate"), 409, "CONFLICT")


def test_a_principal_read_before_its_removal_cannot_create_a_token(tenant: Tenant, services: Services) -> None:
    """The membership is checked in the database, in the insert itself: a principal whose
    roles were read before the member was removed (as a request racing the removal has)
    gets NOT_FOUND, and no token is stored."""
    email = unique_email("stale")
    owner = services.tokens.authenticate(tenant.token)
    member = services.organizations.add_member(owner, tenant.org_id, email, "member", None)["member"]
    issued = services.organizations.issue_member_token(email, tenant.org_id)
    stale = services.tokens.authenticate(issued.token)
    services.organizations.remove_member(owner, tenant.org_id, member["userId"])
    try:
        services.tokens.create(stale, name="too late", scopes=None, expires_at=None, organization_id=None)
    except NotFound as exc:
        assert tenant.org_id in str(exc)
    else:
        raise AssertionError("a removed member created a token")
    with services.db.transaction() as session:
        names = session.scalars(select(ApiToken.name).where(ApiToken.user_id == member["userId"])).all()
    assert "too late" not in names
