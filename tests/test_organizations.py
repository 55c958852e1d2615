"""Organizations, members, roles and the plan."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sentinel.app import Services
from tests.support.api import Tenant, add_member_with_token, client, error_of, unique_email
from tests.support.server import LiveServer

_open: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def _member_with_token(owner: Tenant, services: Services, live: LiveServer, role: str) -> tuple[str, httpx.Client]:
    """Add a new user with `role` to the owner's org and give them a token bound to it."""
    user_id, secret = add_member_with_token(owner, services, role)
    c = client(live.url, secret)
    _open.append(c)
    return user_id, c


def test_create_get_update_delete_organization(tenant: Tenant) -> None:
    org = tenant.data(tenant.post("/api/organizations", json={"name": "  Second   Org "}), 201)["organization"]
    assert org["name"] == "Second Org" and org["plan"] == "free" and org["role"] == "owner"
    assert org["memberCount"] == 1 and org["domainCount"] == 0
    got = tenant.data(tenant.get(f"/api/organizations/{org['id']}"))["organization"]
    assert got == org
    tenant.create_domain("acme-second.example.com", org_id=org["id"])
    updated = tenant.data(tenant.patch(f"/api/organizations/{org['id']}", json={"name": "Renamed", "plan": "pro"}))[
        "organization"
    ]
    assert updated["name"] == "Renamed" and updated["plan"] == "pro" and updated["domainCount"] == 1
    ids = [o["id"] for o in tenant.data(tenant.get("/api/organizations"))["organizations"]]
    assert ids == [tenant.org_id, org["id"]]
    assert tenant.data(tenant.delete(f"/api/organizations/{org['id']}")) == {"id": org["id"], "deleted": True}
    error_of(tenant.get(f"/api/organizations/{org['id']}"), 404, "NOT_FOUND")
    ids = [o["id"] for o in tenant.data(tenant.get("/api/organizations"))["organizations"]]
    assert ids == [tenant.org_id]


def test_organization_validation(tenant: Tenant) -> None:
    error_of(tenant.post("/api/organizations", json={"name": "   "}), 400, "VALIDATION_ERROR")
    error_of(tenant.post("/api/organizations", json={"name": "X", "plan": "platinum"}), 400, "VALIDATION_ERROR")
    error_of(tenant.patch(f"/api/organizations/{tenant.org_id}", json={}), 400, "VALIDATION_ERROR")
    error_of(tenant.post("/api/organizations", json={"name": "X", "extra": 1}), 400, "VALIDATION_ERROR")


def test_members_lifecycle(tenant: Tenant, services: Services, live: LiveServer) -> None:
    path = f"/api/organizations/{tenant.org_id}/members"
    email = unique_email("new")
    added = tenant.data(tenant.post(path, json={"email": email, "role": "viewer", "name": "Vi"}), 201)["member"]
    assert added["email"] == email and added["role"] == "viewer"
    error_of(tenant.post(path, json={"email": email, "role": "admin"}), 409, "CONFLICT")
    members = tenant.data(tenant.get(path))
    assert [m["role"] for m in members["members"]] == ["owner", "viewer"]
    assert members["pagination"]["total"] == 2
    changed = tenant.data(tenant.patch(f"{path}/{added['userId']}", json={"role": "admin"}))["member"]
    assert changed["role"] == "admin"
    assert tenant.data(tenant.get(f"{path}/{added['userId']}"))["member"]["role"] == "admin"
    assert tenant.data(tenant.delete(f"{path}/{added['userId']}"))["deleted"] is True
    error_of(tenant.get(f"{path}/{added['userId']}"), 404, "NOT_FOUND")
    error_of(tenant.post(path, json={"email": "not-an-address", "role": "member"}), 400, "VALIDATION_ERROR")
    error_of(tenant.post(path, json={"email": unique_email(), "role": "superuser"}), 400, "VALIDATION_ERROR")


def test_last_owner_cannot_leave_or_be_demoted(tenant: Tenant) -> None:
    path = f"/api/organizations/{tenant.org_id}/members/{tenant.user_id}"
    error_of(tenant.delete(path), 409, "CONFLICT")
    error_of(tenant.patch(path, json={"role": "admin"}), 409, "CONFLICT")


def test_removed_member_loses_tokens_bound_to_the_org(tenant: Tenant, services: Services, live: LiveServer) -> None:
    user_id, member = _member_with_token(tenant, services, live, "member")
    assert member.get("/api/domains").status_code == 200
    tenant.delete(f"/api/organizations/{tenant.org_id}/members/{user_id}")
    error_of(member.get("/api/domains"), 401, "UNAUTHORIZED")


def test_role_matrix(tenant: Tenant, services: Services, live: LiveServer) -> None:
    """What each role may do in an organization; FORBIDDEN (not NOT_FOUND) for members."""
    org = tenant.org_id
    dom = tenant.create_domain("roles.example.com")
    expectations = {
        # action: minimum role
        "read_org": "viewer",
        "list_members": "viewer",
        "read_domain": "viewer",
        "create_domain": "admin",
        "update_domain": "admin",
        "add_member": "admin",
        "rename_org": "admin",
        "change_plan": "owner",
    }
    order = ["viewer", "member", "admin", "owner"]
    for role in ["viewer", "member", "admin", "owner"]:
        _uid, c = _member_with_token(tenant, services, live, role)
        n = order.index(role)
        calls: dict[str, tuple[str, str, dict[str, str] | None]] = {
            "read_org": ("GET", f"/api/organizations/{org}", None),
            "list_members": ("GET", f"/api/organizations/{org}/members", None),
            "read_domain": ("GET", f"/api/domains/{dom['id']}", None),
            "create_domain": ("POST", f"/api/organizations/{org}/domains", {"domain": f"{role}-new.example.com"}),
            "update_domain": ("PATCH", f"/api/domains/{dom['id']}", {"description": role}),
            "add_member": ("POST", f"/api/organizations/{org}/members", {"email": unique_email(), "role": "viewer"}),
            "rename_org": ("PATCH", f"/api/organizations/{org}", {"name": f"Org {role}"}),
            "change_plan": ("PATCH", f"/api/organizations/{org}", {"plan": "pro"}),
        }
        for action, minimum in expectations.items():
            method, path, payload = calls[action]
            r = c.request(method, path, json=payload)
            if n >= order.index(minimum):
                assert r.status_code in (200, 201), (role, action, r.text)
            else:
                error_of(r, 403, "FORBIDDEN")
        # Only owners grant ownership or delete the organization.
        target = tenant.data(
            tenant.post(f"/api/organizations/{org}/members", json={"email": unique_email(), "role": "viewer"}), 201
        )["member"]
        r = c.patch(f"/api/organizations/{org}/members/{target['userId']}", json={"role": "owner"})
        if role == "owner":
            assert r.status_code == 200
        else:
            error_of(r, 403, "FORBIDDEN")
        if role != "owner":
            error_of(c.delete(f"/api/organizations/{org}"), 403, "FORBIDDEN")


def test_any_member_may_leave(tenant: Tenant, services: Services, live: LiveServer) -> None:
    user_id, viewer = _member_with_token(tenant, services, live, "viewer")
    assert viewer.delete(f"/api/organizations/{tenant.org_id}/members/{user_id}").status_code == 200


def test_me_lists_memberships(tenant: Tenant) -> None:
    second = tenant.data(tenant.post("/api/organizations", json={"name": "Another"}), 201)["organization"]
    me = tenant.data(tenant.get("/api/me"))
    assert me["user"]["email"] == tenant.email
    assert [(m["organization"]["id"], m["role"]) for m in me["memberships"]] == [
        (tenant.org_id, "owner"),
        (second["id"], "owner"),
    ]
    assert me["token"]["organizationId"] == tenant.org_id


def test_operators_issue_tokens_to_members_from_the_cli(tenant: Tenant, services: Services, live: LiveServer) -> None:
    """A member added by e-mail has no token yet; `mailsentinel token` gives them one."""
    import json
    import os
    import subprocess
    import sys

    email = unique_email("newcomer")
    path = f"/api/organizations/{tenant.org_id}/members"
    tenant.data(tenant.post(path, json={"email": email, "role": "viewer"}), 201)
    env = {**os.environ, "MAILSENTINEL_DATABASE_URL": services.settings.database_url}
    out = subprocess.run(
        [sys.executable, "-m", "sentinel.cli", "token", "--email", email, "--org", tenant.org_id, "--scopes", "read",
         "--json"],
        capture_output=True, text=True, env=env, check=True,
    )
    issued = json.loads(out.stdout)
    with client(live.url, issued["token"]) as newcomer:
        me = newcomer.get("/api/me").json()["data"]
        assert me["user"]["email"] == email and me["token"]["scopes"] == ["read"]
        error_of(newcomer.post("/api/organizations", json={"name": "x"}), 403, "FORBIDDEN")
    refused = subprocess.run(
        [sys.executable, "-m", "sentinel.cli", "token", "--email", unique_email("stranger"), "--org", tenant.org_id],
        capture_output=True, text=True, env=env,
    )
    assert refused.returncode == 2 and "not a member" in refused.stderr


def test_email_addresses_compare_without_case(tenant: Tenant, other: Tenant) -> None:
    """`Alice@Example.com` and `alice@example.com` are one account, stored in lower case."""
    email = unique_email("Mixed.Case")
    mixed = email.replace("@", "@Sub.").title()
    first = tenant.data(tenant.post(f"/api/organizations/{tenant.org_id}/members",
                                    json={"email": mixed, "role": "viewer"}), 201)["member"]
    assert first["email"] == mixed.lower()
    # The same address in another case is the same person: already a member here ...
    again = tenant.post(f"/api/organizations/{tenant.org_id}/members", json={"email": mixed.upper(), "role": "viewer"})
    error_of(again, 409, "CONFLICT")
    # ... and the same user when another organization adds them.
    second = other.data(other.post(f"/api/organizations/{other.org_id}/members",
                                   json={"email": mixed.lower(), "role": "viewer"}), 201)["member"]
    assert second["userId"] == first["userId"]
