"""Test helpers: tenants created through the real services, clients speaking real HTTP."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

from sentinel.app import Services

_counter = itertools.count(1)


@dataclass
class Tenant:
    """A user owning an organization, with a token bound to it and an HTTP client using it."""

    token: str
    org_id: str
    user_id: str
    email: str
    http: httpx.Client

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.post(path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.patch(path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.delete(path, **kw)

    def data(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, (response.status_code, response.text)
        body = response.json()
        assert body["success"] is True
        return body["data"]

    def create_domain(self, name: str, org_id: str | None = None, **extra: Any) -> dict[str, Any]:
        r = self.post(f"/api/organizations/{org_id or self.org_id}/domains", json={"domain": name, **extra})
        return self.data(r, 201)["domain"]  # type: ignore[no-any-return]


def unique_email(label: str = "user") -> str:
    return f"{label}{next(_counter)}@example.com"


def client(base_url: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30)


def new_tenant(services: Services, base_url: str, plan: str = "enterprise", label: str = "owner") -> Tenant:
    email = unique_email(label)
    boot = services.organizations.bootstrap(email, f"Org of {email}", plan)
    return Tenant(boot.token, boot.organization_id, boot.user_id, email, client(base_url, boot.token))


def add_member_with_token(
    owner: Tenant, services: Services, role: str, scopes: list[str] | None = None, org_id: str | None = None
) -> tuple[str, str]:
    """Add a new user with `role` through the API and issue them a token bound to that
    organization through the core service; returns (user id, token secret)."""
    org = org_id or owner.org_id
    member = owner.data(
        owner.post(f"/api/organizations/{org}/members", json={"email": unique_email(role), "role": role}), 201
    )["member"]
    from sentinel.accounts.tokens import parse_scopes

    with services.db.transaction() as session:
        _token, secret = services.tokens.issue(
            session, user_id=member["userId"], organization_id=org, name=f"{role} token", scopes=parse_scopes(scopes)
        )
    return member["userId"], secret


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert an error envelope with this status and code; return its `error` object."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code, body
    assert body["error"]["requestId"] == response.headers["x-request-id"]
    return body["error"]  # type: ignore[no-any-return]
