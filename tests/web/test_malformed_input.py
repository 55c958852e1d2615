"""D11: input Python, the encoder or PostgreSQL cannot handle is a 400 in the envelope, never a 500.

These run against the session's database, so CI repeats them on PostgreSQL (NUL in text).
"""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import Tenant, error_of

JSON = {"content-type": "application/json"}


def _post_raw(tenant: Tenant, path: str, body: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return tenant.post(path, content=body.encode("utf-8"), headers={**JSON, **(headers or {})})


@pytest.mark.parametrize(
    "body",
    [
        '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}",
        '{"name": ' + '{"a": ' * 100 + "1" + "}" * 100 + "}",
    ],
    ids=["arrays-10000-deep", "objects-100-deep"],
)
def test_deep_nesting(tenant: Tenant, body: str) -> None:
    err = error_of(_post_raw(tenant, "/api/organizations", body), 400, "VALIDATION_ERROR")
    assert "nested" in err["message"]


@pytest.mark.parametrize("number", ["1" * 5000, "-" + "9" * 20, "1e999", "NaN", "-Infinity"])
def test_numbers_beyond_representation(tenant: Tenant, number: str) -> None:
    r = _post_raw(tenant, "/api/organizations", '{"name": "Numbers", "plan": ' + number + "}")
    error_of(r, 400, "VALIDATION_ERROR")


def test_huge_integer_query_parameter(tenant: Tenant) -> None:
    err = error_of(tenant.get("/api/domains", params={"page": "1" * 5000}), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "page"


def test_lone_surrogate(tenant: Tenant) -> None:
    err = error_of(_post_raw(tenant, "/api/organizations", '{"name": "abc\\ud800"}'), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "name"
    # A proper pair is a character and is kept.
    created = tenant.data(_post_raw(tenant, "/api/organizations", '{"name": "Smile \\ud83d\\ude00"}'), 201)
    assert created["organization"]["name"] == "Smile \U0001f600"


def test_nul_in_names_descriptions_and_queries(tenant: Tenant) -> None:
    err = error_of(tenant.post("/api/organizations", json={"name": "Acme\x00Inc"}), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "name"
    assert "NUL" in err["message"]
    err = error_of(tenant.post("/api/tokens", json={"name": "ci\x00"}), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "name"
    domains = f"/api/organizations/{tenant.org_id}/domains"
    r = tenant.post(domains, json={"domain": "nul.example", "description": "a\x00"})
    err = error_of(r, 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "description"
    r = tenant.post(domains, json={"domain": "nul.example", "dkimSelectors": ["s\x00"]})
    err = error_of(r, 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "dkimSelectors[0]"
    for path in ("/api/domains", f"/api/organizations/{tenant.org_id}/domains"):
        err = error_of(tenant.get(path, params={"q": "exa\x00mple"}), 400, "VALIDATION_ERROR")
        assert err["details"][0]["field"] == "q"
    err = error_of(tenant.get("/api/domains/dom_%00abc"), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "domainId"
    # The same request without the NUL is served.
    assert tenant.get("/api/domains", params={"q": "example"}).status_code == 200


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59+01:00"])
def test_expiry_in_the_year_9999_is_refused(tenant: Tenant, value: str) -> None:
    # The spec's pattern stops before 9999, whose last instants overflow once converted to UTC.
    r = tenant.post("/api/tokens", json={"name": "far", "expiresAt": value})
    err = error_of(r, 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "expiresAt"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2031-01-01t00:00:00z", "2031-01-01T00:00:00Z"),
        ("2031-01-01T01:30:00+01:30", "2031-01-01T00:00:00Z"),
        ("9998-12-31T23:59:59-01:00", "9999-01-01T00:59:59Z"),
    ],
)
def test_valid_rfc3339_expiries_are_accepted(tenant: Tenant, sent: str, stored: str) -> None:
    token = tenant.data(tenant.post("/api/tokens", json={"name": "later", "expiresAt": sent}), 201)["token"]
    assert token["expiresAt"] == stored
    assert tenant.data(tenant.get(f"/api/tokens/{token['id']}"))["token"]["expiresAt"] == stored


@pytest.mark.parametrize("value", ["2031-01-01", "2031-02-30T00:00:00Z", "2031-01-01T00:00:00+24:00", "tomorrow"])
def test_malformed_expiries(tenant: Tenant, value: str) -> None:
    err = error_of(tenant.post("/api/tokens", json={"name": "bad", "expiresAt": value}), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "expiresAt"

