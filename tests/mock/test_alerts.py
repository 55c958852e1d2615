"""Alerts in the mock: the seed's rules and open alerts, and the clock control running the
worker's jobs so that silence and scheduled rescans happen on demand."""

from __future__ import annotations

import httpx

from mocks.ports import ZONES_DIR as ZONES
from tests.mock.conftest import VIEWER_TOKEN
from tests.support.api import error_of
from tests.support.server import LiveServer


def _org_id(owner: httpx.Client) -> str:
    return str(owner.get("/api/me").json()["data"]["memberships"][0]["organization"]["id"])


def _alerts(client: httpx.Client, org_id: str, **params: str) -> list[dict[str, object]]:
    return client.get(f"/api/organizations/{org_id}/alerts", params=params).json()["data"]["alerts"]  # type: ignore[no-any-return]


def test_the_seed_ships_rules_and_open_alerts(owner: httpx.Client) -> None:
    org_id = _org_id(owner)
    rules = owner.get(f"/api/organizations/{org_id}/alert-rules").json()["data"]["rules"]
    assert len(rules) == 7 and "Any DKIM key change on example.com" in [r["name"] for r in rules]
    found = {(a["type"], a["domain"]) for a in _alerts(owner, org_id, status="open")}
    assert ("dmarc_failure", "legacy.example.org") in found
    assert ("new_source", "example.com") in found and ("dns_error", "example.org") in found
    triggered = owner.get("/_mock/events", params={"type": "alert.triggered"}).json()["data"]["events"]
    assert {e["data"]["type"] for e in triggered} >= {"dmarc_failure", "new_source", "dns_error"}


def test_two_days_on_the_clock_stop_the_reports(owner: httpx.Client) -> None:
    org_id = _org_id(owner)
    assert _alerts(owner, org_id, type="reports_stopped") == []
    moved = owner.post("/_mock/clock", json={"advanceSeconds": 2 * 86400}).json()["data"]
    assert moved["now"] == "2026-01-17T10:00:00Z"
    assert moved["jobs"]["time_rules"] == 3 and moved["jobs"]["scheduled_scans"] == 4
    stopped = {a["subject"] for a in _alerts(owner, org_id, type="reports_stopped")}
    assert stopped == {"google.com", "Outlook.com", "Yahoo"}
    # The scheduled rescans are stored like manual ones.
    domains = owner.get("/api/domains", params={"verified": "true"}).json()["data"]["domains"]
    scans = owner.get(f"/api/domains/{domains[0]['id']}/scans").json()["data"]["scans"]
    assert scans and scans[0]["scannedAt"] > "2026-01-16"
    owner.post("/_mock/reset")
    assert _alerts(owner, org_id, type="reports_stopped") == []


def test_viewers_read_alerts_but_do_not_handle_them(owner: httpx.Client, mock_live: LiveServer) -> None:
    org_id = _org_id(owner)
    alert = _alerts(owner, org_id, type="dmarc_failure")[0]
    with httpx.Client(base_url=mock_live.url, headers={"Authorization": f"Bearer {VIEWER_TOKEN}"}) as viewer:
        assert viewer.get(f"/api/alerts/{alert['id']}").json()["data"]["alert"]["status"] == "open"
        error_of(viewer.post(f"/api/alerts/{alert['id']}/acknowledge"), 403, "FORBIDDEN")
    assert owner.post(f"/api/alerts/{alert['id']}/acknowledge").json()["data"]["alert"]["status"] == "acknowledged"


def test_a_published_zone_makes_the_next_scan_see_changes(owner: httpx.Client) -> None:
    org_id = _org_id(owner)
    [domain] = [d for d in owner.get("/api/domains", params={"q": "example.com"}).json()["data"]["domains"]
                if d["domain"] == "example.com"]
    assert owner.post(f"/api/domains/{domain['id']}/scan").status_code == 200
    shipped = (ZONES / "example.com.zone").read_text(encoding="utf-8")
    weaker = shipped.replace("include:_spf.example.com -all", "include:_spf.example.com ~all").replace(
        "p=reject; sp=reject", "p=none; sp=none"
    )
    published = owner.post("/_mock/zones", json={"zone": weaker}).json()["data"]
    assert published["origin"] == "example.com" and "example.net" in published["zones"]
    owner.post(f"/api/domains/{domain['id']}/scan")
    found = {(a["type"], a["subject"]): a for a in _alerts(owner, org_id, domainId=domain["id"], status="open")}
    assert found[("dns_record_changed", "spf")]["details"]["after"].endswith("~all")
    assert found[("policy_weakened", "")]["details"]["after"]["policy"] == "none"
    error_of(owner.post("/_mock/zones", json={"zone": "not a zone"}), 400, "VALIDATION_ERROR")
    owner.post("/_mock/reset")
    owner.post(f"/api/domains/{domain['id']}/scan")
    scan = owner.get(f"/api/domains/{domain['id']}/scans").json()["data"]["scans"][0]
    assert scan["dmarcPolicy"] == "reject"  # the shipped zone again
