"""Tenant isolation: another organization's resources are NOT_FOUND, exactly as if absent."""

from __future__ import annotations

from tests.support.api import Tenant, error_of, unique_email


def test_foreign_resources_are_not_found(tenant: Tenant, other: Tenant) -> None:
    domain = other.create_domain("secret.example.com")
    member = other.data(
        other.post(f"/api/organizations/{other.org_id}/members", json={"email": unique_email(), "role": "viewer"}), 201
    )["member"]
    token = other.data(other.post("/api/tokens", json={"name": "theirs"}), 201)["token"]
    org, dom, tok, usr = other.org_id, domain["id"], token["id"], member["userId"]

    calls = [
        ("GET", f"/api/organizations/{org}", None),
        ("PATCH", f"/api/organizations/{org}", {"name": "Mine now"}),
        ("DELETE", f"/api/organizations/{org}", None),
        ("GET", f"/api/organizations/{org}/members", None),
        ("POST", f"/api/organizations/{org}/members", {"email": unique_email(), "role": "owner"}),
        ("GET", f"/api/organizations/{org}/members/{usr}", None),
        ("PATCH", f"/api/organizations/{org}/members/{usr}", {"role": "owner"}),
        ("DELETE", f"/api/organizations/{org}/members/{usr}", None),
        ("GET", f"/api/organizations/{org}/domains", None),
        ("POST", f"/api/organizations/{org}/domains", {"domain": "planted.example.com"}),
        ("GET", f"/api/domains/{dom}", None),
        ("PATCH", f"/api/domains/{dom}", {"description": "mine"}),
        ("DELETE", f"/api/domains/{dom}", None),
        ("GET", f"/api/tokens/{tok}", None),
        ("DELETE", f"/api/tokens/{tok}", None),
        ("POST", f"/api/tokens/{tok}/rotate", None),
        ("GET", "/api/domains", {"organizationId": org}),
        ("POST", "/api/tokens", {"name": "x", "organizationId": org}),
    ]
    for method, path, payload in calls:
        if method == "GET":
            r = tenant.http.request(method, path, params=payload)
        else:
            r = tenant.http.request(method, path, json=payload)
        err = error_of(r, 404, "NOT_FOUND")
        assert "not found" in err["message"].lower(), (method, path, err)

    # Lists never leak foreign data, and nothing changed on the other side.
    mine = tenant.data(tenant.get("/api/domains", params={"limit": 100}))["domains"]
    assert dom not in {d["id"] for d in mine}
    assert tok not in {t["id"] for t in tenant.data(tenant.get("/api/tokens", params={"limit": 100}))["tokens"]}
    assert other.data(other.get(f"/api/domains/{dom}"))["domain"]["description"] is None
    assert other.data(other.get(f"/api/organizations/{org}"))["organization"]["memberCount"] == 2
    assert other.data(other.get(f"/api/tokens/{tok}"))["token"]["status"] == "active"


def test_unknown_ids_look_the_same_as_foreign_ones(tenant: Tenant, other: Tenant) -> None:
    foreign = other.create_domain("same-answer.example.com")
    a = error_of(tenant.get(f"/api/domains/{foreign['id']}"), 404, "NOT_FOUND")
    b = error_of(tenant.get("/api/domains/dom_doesnotexist000000000"), 404, "NOT_FOUND")
    assert a["message"].replace(foreign["id"], "X") == b["message"].replace("dom_doesnotexist000000000", "X")
