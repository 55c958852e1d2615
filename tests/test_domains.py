"""Domains: name validation, duplicates, verification record, filters and pagination."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from sentinel.app import Services
from tests.support.api import Tenant, error_of, unique_email


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Example.COM.", "example.com"),
        ("mail.Example.co.uk", "mail.example.co.uk"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("  sub.example.org  ", "sub.example.org"),
    ],
)
def test_names_are_normalised(tenant: Tenant, raw: str, stored: str) -> None:
    domain = tenant.create_domain(raw)
    assert domain["domain"] == stored
    assert domain["verification"] == {
        "recordType": "TXT",
        "recordName": f"_mailsentinel.{stored}",
        "recordValue": domain["verification"]["recordValue"],
    }
    assert domain["verification"]["recordValue"].startswith("mailsentinel-verify=")
    assert len(domain["verification"]["recordValue"]) > len("mailsentinel-verify=") + 20
    assert domain["verified"] is False and domain["verifiedAt"] is None
    assert domain["dmarcRecords"] == [] and domain["spfRecords"] == [] and domain["dkimRecords"] == []


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("com", "top-level"),
        ("co.uk", "public suffix"),
        ("github.io", "public suffix"),
        ("192.0.2.1", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("exa mple.com", "spaces"),
        ("https://example.com/", "URL"),
        ("-bad.example.com", "IDNA"),
        ("x" * 64 + ".com", "IDNA"),
        ("example.notatld", "top-level domain"),
        ("", "must not be empty"),
    ],
)
def test_invalid_names_get_clear_messages(tenant: Tenant, raw: str, why: str) -> None:
    r = tenant.post(f"/api/organizations/{tenant.org_id}/domains", json={"domain": raw})
    err = error_of(r, 400, "VALIDATION_ERROR")
    assert why.lower() in err["message"].lower(), err["message"]
    assert err["details"][0]["field"] == "domain"


def test_duplicates_conflict_within_an_org_only(tenant: Tenant, other: Tenant) -> None:
    tenant.create_domain("dup.example.com")
    err = error_of(
        tenant.post(f"/api/organizations/{tenant.org_id}/domains", json={"domain": "DUP.example.com."}), 409, "CONFLICT"
    )
    assert "dup.example.com" in err["message"]
    assert other.create_domain("dup.example.com")["organizationId"] == other.org_id


def test_get_update_delete(tenant: Tenant) -> None:
    d = tenant.create_domain("crud.example.com", dkimSelectors=["Google", "s1", "s1"])
    assert d["dkimSelectors"] == ["google", "s1"]
    got = tenant.data(tenant.get(f"/api/domains/{d['id']}"))["domain"]
    assert got["id"] == d["id"] and got["domain"] == "crud.example.com"
    upd = tenant.data(tenant.patch(f"/api/domains/{d['id']}", json={"description": "Brand", "dkimSelectors": ["k1"]}))[
        "domain"
    ]
    assert upd["description"] == "Brand" and upd["dkimSelectors"] == ["k1"]
    error_of(
        tenant.patch(f"/api/domains/{d['id']}", json={"dkimSelectors": ["bad selector!"]}), 400, "VALIDATION_ERROR"
    )
    error_of(tenant.patch(f"/api/domains/{d['id']}", json={"domain": "other.example.com"}), 400, "VALIDATION_ERROR")
    assert tenant.data(tenant.delete(f"/api/domains/{d['id']}")) == {"id": d["id"], "deleted": True}
    error_of(tenant.get(f"/api/domains/{d['id']}"), 404, "NOT_FOUND")
    error_of(tenant.delete(f"/api/domains/{d['id']}"), 404, "NOT_FOUND")


def test_pagination_and_filters(tenant: Tenant, services: Services) -> None:
    org = tenant.data(tenant.post("/api/organizations", json={"name": "Paged"}), 201)["organization"]["id"]
    names = [f"p{i:02d}.example.net" for i in range(23)]
    for name in names:
        tenant.create_domain(name, org_id=org)
    path = f"/api/organizations/{org}/domains"
    first = tenant.data(tenant.get(path, params={"limit": 10}))
    assert [d["domain"] for d in first["domains"]] == names[:10]
    assert first["pagination"] == {"page": 1, "limit": 10, "total": 23, "totalPages": 3}
    last = tenant.data(tenant.get(path, params={"limit": 10, "page": 3}))
    assert [d["domain"] for d in last["domains"]] == names[20:]
    beyond = tenant.data(tenant.get(path, params={"limit": 10, "page": 4}))
    assert beyond["domains"] == [] and beyond["pagination"]["total"] == 23
    everything = tenant.data(tenant.get(path, params={"limit": 100}))
    assert len(everything["domains"]) == 23 and everything["pagination"]["totalPages"] == 1
    for bad in ({"limit": 0}, {"limit": 101}, {"page": 0}, {"page": -1}, {"page": "x"}):
        error_of(tenant.get(path, params=bad), 400, "VALIDATION_ERROR")
    assert tenant.data(tenant.get(path, params={"q": "p1"}))["pagination"]["total"] == 10
    assert tenant.data(tenant.get(path, params={"q": "%"}))["pagination"]["total"] == 0
    assert tenant.data(tenant.get(path, params={"verified": "true"}))["pagination"]["total"] == 0
    assert tenant.data(tenant.get(path, params={"verified": "false"}))["pagination"]["total"] == 23
    # GET /api/domains spans every organization of the caller, and can be narrowed to one.
    tenant.create_domain("home.example.net")
    assert (
        tenant.data(tenant.get("/api/domains", params={"q": "example.net", "limit": 100}))["pagination"]["total"] == 24
    )
    assert tenant.data(tenant.get("/api/domains", params={"organizationId": org}))["pagination"]["total"] == 23


def test_unicode_query_matches_ascii_form(tenant: Tenant) -> None:
    tenant.create_domain("münchen-mail.de")
    found = tenant.data(tenant.get(f"/api/organizations/{tenant.org_id}/domains", params={"q": "münchen"}))["domains"]
    assert [d["unicodeDomain"] for d in found] == ["münchen-mail.de"]


def test_list_queries_do_not_grow_with_page_size(tenant: Tenant, services: Services) -> None:
    """No N+1: listing 5 or 50 domains (and organizations) takes the same number of queries."""
    org = tenant.data(tenant.post("/api/organizations", json={"name": "Counted"}), 201)["organization"]["id"]
    for i in range(50):
        tenant.create_domain(f"n{i}.example.org", org_id=org)
    counts = []
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append("q")

    event.listen(services.db.engine, "before_cursor_execute", count)
    try:
        for limit in (5, 50):
            statements.clear()
            assert (
                len(tenant.data(tenant.get(f"/api/organizations/{org}/domains", params={"limit": limit}))["domains"])
                == limit
            )
            counts.append(len(statements))
            statements.clear()
            tenant.get("/api/organizations", params={"limit": limit})
            counts.append(len(statements))
    finally:
        event.remove(services.db.engine, "before_cursor_execute", count)
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert counts[0] <= 6


def test_lists_write_the_times_as_a_single_domain_does(services: Services) -> None:
    """Lists read times as stored (no datetime in between); the answer is the same to the microsecond."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from sentinel.pagination import PageRequest
    from sentinel.store.models import Domain

    boot = services.organizations.bootstrap(unique_email("times"), "Times", "enterprise")
    principal = services.tokens.authenticate(boot.token)
    ids = [services.domains.create(principal, boot.organization_id, f"t{i}.example.com")["domain"]["id"]
           for i in range(3)]
    with services.db.transaction() as session:
        for domain_id, when in zip(ids, [datetime(2026, 3, 2, 1, 2, 3, tzinfo=UTC),
                                         datetime(2026, 3, 2, 1, 2, 3, 7, tzinfo=UTC), None], strict=True):
            session.execute(update(Domain).where(Domain.id == domain_id).values(verified_at=when))
    listed = services.domains.list_for_org(principal, boot.organization_id, PageRequest(1, 50))["domains"]
    assert [d["verifiedAt"] for d in listed] == ["2026-03-02T01:02:03Z", "2026-03-02T01:02:03.000007Z", None]
    for view in listed:
        single = services.domains.get(principal, view["id"])["domain"]
        assert {k: view[k] for k in ("createdAt", "updatedAt", "verifiedAt")} == {
            k: single[k] for k in ("createdAt", "updatedAt", "verifiedAt")
        }
