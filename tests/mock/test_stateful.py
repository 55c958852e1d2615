"""The mock is the real service code: what is created can be listed, what is deleted is gone."""

from __future__ import annotations

import httpx

from tests.support.api import error_of
from tests.support.server import LiveServer


def test_create_list_delete_then_not_found(owner: httpx.Client) -> None:
    org = owner.post("/api/organizations", json={"name": "Client Dev Org"}).json()["data"]["organization"]
    created = owner.post(f"/api/organizations/{org['id']}/domains", json={"domain": "example.com"})
    assert created.status_code == 201, created.text
    domain = created.json()["data"]["domain"]
    listed = owner.get(f"/api/organizations/{org['id']}/domains").json()["data"]["domains"]
    assert [d["id"] for d in listed] == [domain["id"]]
    assert owner.get(f"/api/domains/{domain['id']}").status_code == 200
    assert owner.delete(f"/api/domains/{domain['id']}").status_code == 200
    error_of(owner.get(f"/api/domains/{domain['id']}"), 404, "NOT_FOUND")
    assert owner.delete(f"/api/organizations/{org['id']}").status_code == 200
    error_of(owner.get(f"/api/organizations/{org['id']}"), 404, "NOT_FOUND")


def test_validation_and_conflicts_are_the_real_ones(owner: httpx.Client) -> None:
    org_id = owner.get("/api/me").json()["data"]["memberships"][0]["organization"]["id"]
    error_of(owner.post(f"/api/organizations/{org_id}/domains", json={"domain": "co.uk"}), 400, "VALIDATION_ERROR")
    error_of(owner.post(f"/api/organizations/{org_id}/domains", json={"domain": "example.com"}), 409, "CONFLICT")
    error_of(owner.get("/api/domains", params={"limit": 0}), 400, "VALIDATION_ERROR")


def test_tokens_created_through_the_api_work_and_revoking_stops_them(
    owner: httpx.Client, mock_live: LiveServer
) -> None:
    made = owner.post("/api/tokens", json={"name": "sdk tests", "scopes": ["read"]})
    assert made.status_code == 201, made.text
    token = made.json()["data"]["token"]
    assert token["token"].startswith("ms_live_")
    with httpx.Client(base_url=mock_live.url, headers={"Authorization": f"Bearer {token['token']}"}, timeout=60) as sdk:
        assert sdk.get("/api/me").status_code == 200
        assert owner.delete(f"/api/tokens/{token['id']}").status_code == 200
        error_of(sdk.get("/api/me"), 401, "UNAUTHORIZED")


def test_any_token_is_not_accepted(anonymous: httpx.Client) -> None:
    error_of(anonymous.get("/api/domains"), 401, "UNAUTHORIZED")
    bogus = {"Authorization": "Bearer ms_live_" + "x" * 40}
    error_of(anonymous.get("/api/domains", headers=bogus), 401, "UNAUTHORIZED")


def test_verify_and_scan_answer_from_the_zone_files(owner: httpx.Client) -> None:
    domains = {d["domain"]: d for d in owner.get("/api/domains").json()["data"]["domains"]}
    scan = owner.post(f"/api/domains/{domains['example.org']['id']}/scan")
    assert scan.status_code == 200, scan.text
    result = scan.json()["data"]
    assert result["id"].startswith("scn_")
    assert result["spf"]["dnsLookups"] > 10
    codes = {i["code"] for i in result["issues"]}
    assert "SPF_TOO_MANY_LOOKUPS" in codes
    verify = owner.post(f"/api/domains/{domains['example.org']['id']}/verify")
    assert verify.status_code == 200, verify.text
    assert verify.json()["data"]["verification"]["status"] == "not_found"


def test_the_whole_journey_of_a_client_developer(owner: httpx.Client) -> None:
    """Create an organization and a domain, scan it, upload a report, read its stats, delete."""
    from pathlib import Path

    org = owner.post("/api/organizations", json={"name": "Journey"}).json()["data"]["organization"]
    domain = owner.post(f"/api/organizations/{org['id']}/domains", json={"domain": "example.com"}).json()["data"]
    domain = domain["domain"]
    scan = owner.post(f"/api/domains/{domain['id']}/scan").json()["data"]
    assert scan["dmarc"]["policy"] == "reject" and scan["domainId"] == domain["id"]
    assert [s["id"] for s in owner.get(f"/api/domains/{domain['id']}/scans").json()["data"]["scans"]] == [scan["id"]]
    shipped = Path(__file__).resolve().parents[2] / "mocks" / "reports" / "google.com!example.com!20260113.xml"
    uploaded = owner.post(
        f"/api/organizations/{org['id']}/reports",
        content=shipped.read_bytes(),
        headers={"content-type": "application/xml"},
    )
    assert uploaded.status_code == 201, uploaded.text
    report = uploaded.json()["data"]["report"]
    assert report["domainId"] == domain["id"]
    stats = owner.get(f"/api/domains/{domain['id']}/stats").json()["data"]
    assert stats["summary"]["messages"] == 2700 and stats["summary"]["dmarcFail"] == 37
    assert owner.delete(f"/api/reports/{report['id']}").status_code == 200
    error_of(owner.get(f"/api/reports/{report['id']}"), 404, "NOT_FOUND")
    assert owner.get(f"/api/domains/{domain['id']}/stats").json()["data"]["summary"]["messages"] == 0
    assert owner.delete(f"/api/domains/{domain['id']}").status_code == 200
    error_of(owner.get(f"/api/scans/{scan['id']}"), 404, "NOT_FOUND")
