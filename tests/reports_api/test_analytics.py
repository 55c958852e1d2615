"""Stats, sources, listing and pages, checked by hand against two small known reports."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Tenant, error_of

from .support import Rec, many_records, report_xml, upload

pytestmark = pytest.mark.db

JUNE_13 = 1718236800  # 2024-06-13T00:00:00Z
JUNE_15 = JUNE_13 + 2 * 86400

ALPHA = [
    Rec("192.0.2.1", 10, dkim=(("example.com", "sel1", "pass"),)),
    Rec("192.0.2.1", 5, dkim=(("example.com", "sel1", "pass"),), spf=("other.net", "fail")),
    Rec("198.51.100.7", 3, "quarantine", dkim=(("example.com", "bad", "fail"),), spf=("spam.test", "softfail")),
    Rec("2001:db8::1", 2, "reject", dkim=(("esp.net", "k1", "pass"),), spf=("esp.net", "pass")),
]
BETA = [
    Rec("192.0.2.1", 4, dkim=(("example.com", "sel2", "pass"),)),
    Rec("203.0.113.9", 6, "reject", spf=("203.0.113.9.example", "fail"), header_from="example.com"),
]


@pytest.fixture
def loaded(tenant: Tenant) -> tuple[Tenant, dict[str, Any], dict[str, Any], dict[str, Any]]:
    domain = tenant.create_domain("example.com")
    alpha = tenant.data(upload(tenant, tenant.org_id, report_xml("Alpha Mail", "a-1", JUNE_13, ALPHA)), 201)["report"]
    beta = tenant.data(upload(tenant, tenant.org_id, report_xml("Beta", "b-1", JUNE_15, BETA)), 201)["report"]
    return tenant, domain, alpha, beta


def _zero_day(date: str) -> dict[str, Any]:
    return {"date": date, "reports": 0, "messages": 0, "dmarcPass": 0, "dmarcFail": 0, "dmarcPassRate": None,
            "dkimAligned": 0, "dkimAlignedRate": None, "spfAligned": 0, "spfAlignedRate": None,
            "dispositions": {"none": 0, "pass": 0, "quarantine": 0, "reject": 0, "other": 0}}


def test_stats_by_hand(loaded) -> None:
    t, domain, _alpha, _beta = loaded
    stats = t.data(t.get(f"/api/domains/{domain['id']}/stats"))
    assert stats["domain"] == "example.com" and stats["from"] is None
    # Alpha: 20 messages, 15 pass (DKIM aligned), 10 SPF aligned. Beta: 10 messages, 4 pass by DKIM and SPF.
    assert stats["summary"] == {
        "reports": 2, "messages": 30, "dmarcPass": 19, "dmarcFail": 11, "dmarcPassRate": 0.6333,
        "dkimAligned": 19, "dkimAlignedRate": 0.6333, "spfAligned": 14, "spfAlignedRate": 0.4667,
        "dispositions": {"none": 19, "pass": 0, "quarantine": 3, "reject": 8, "other": 0},
    }
    series = stats["timeSeries"]
    assert [d["date"] for d in series] == ["2024-06-13", "2024-06-14", "2024-06-15"]
    assert series[1] == _zero_day("2024-06-14")
    assert (series[0]["messages"], series[0]["dmarcPass"], series[2]["messages"], series[2]["dmarcPass"]) == (
        20, 15, 10, 4)
    assert [(r["reporter"], r["messages"], r["dmarcPassRate"]) for r in stats["reporters"]] == [
        ("Alpha Mail", 20, 0.75), ("Beta", 10, 0.4)]


def test_stats_from_and_to(loaded) -> None:
    t, domain, _, _ = loaded
    path = f"/api/domains/{domain['id']}/stats"
    late = t.data(t.get(path, params={"from": "2024-06-14"}))
    assert late["summary"]["messages"] == 10 and [d["date"] for d in late["timeSeries"]] == ["2024-06-14", "2024-06-15"]
    early = t.data(t.get(path, params={"to": "2024-06-13"}))
    assert early["summary"]["messages"] == 20 and early["reporters"][0]["reporter"] == "Alpha Mail"
    wide = t.data(t.get(path, params={"from": "2024-06-10", "to": "2024-06-20"}))
    assert len(wide["timeSeries"]) == 11 and wide["summary"]["messages"] == 30
    empty = t.data(t.get(path, params={"from": "2024-06-20", "to": "2024-06-10"}))
    assert empty["summary"]["messages"] == 0 and empty["timeSeries"] == []
    error_of(t.get(path, params={"from": "2024-02-30"}), 400, "VALIDATION_ERROR")


def test_sources_by_hand_and_sorted(loaded) -> None:
    t, domain, _, _ = loaded
    path = f"/api/domains/{domain['id']}/sources"
    by_volume = t.data(t.get(path))
    assert [(s["sourceIp"], s["messages"], s["dmarcFail"]) for s in by_volume["sources"]] == [
        ("192.0.2.1", 19, 0), ("203.0.113.9", 6, 6), ("198.51.100.7", 3, 3), ("2001:db8::1", 2, 2)]
    first = by_volume["sources"][0]
    assert first["dkimDomains"] == ["example.com"] and first["headerFromDomains"] == ["example.com"]
    assert (first["firstSeen"], first["lastSeen"]) == ("2024-06-13", "2024-06-15")
    assert (first["dmarcPassRate"], first["spfAligned"], first["spfAlignedRate"]) == (1.0, 14, 0.7368)
    assert by_volume["sources"][3]["dkimDomains"] == ["esp.net"]
    assert by_volume["pagination"] == {"page": 1, "limit": 50, "total": 4, "totalPages": 1}
    by_failures = t.data(t.get(path, params={"sort": "failures", "limit": 2, "page": 1}))
    assert [s["sourceIp"] for s in by_failures["sources"]] == ["203.0.113.9", "198.51.100.7"]
    assert by_failures["pagination"]["totalPages"] == 2
    page2 = t.data(t.get(path, params={"sort": "failures", "limit": 2, "page": 2}))
    assert [s["sourceIp"] for s in page2["sources"]] == ["2001:db8::1", "192.0.2.1"]
    june_13 = t.data(t.get(path, params={"to": "2024-06-13"}))
    top = june_13["sources"][0]
    assert (top["sourceIp"], top["messages"], june_13["pagination"]["total"]) == ("192.0.2.1", 15, 3)


def test_list_filters(loaded) -> None:
    t, domain, alpha, beta = loaded
    assert [r["id"] for r in t.data(t.get("/api/reports"))["reports"]] == [beta["id"], alpha["id"]]
    assert [r["id"] for r in t.data(t.get("/api/reports", params={"reporter": "Alpha Mail"}))["reports"]] == [
        alpha["id"]]
    assert [r["id"] for r in t.data(t.get("/api/reports", params={"from": "2024-06-14"}))["reports"]] == [beta["id"]]
    assert [r["id"] for r in t.data(t.get("/api/reports", params={"to": "2024-06-13"}))["reports"]] == [alpha["id"]]
    scoped = t.data(t.get("/api/reports", params={"domainId": domain["id"], "organizationId": t.org_id}))
    assert scoped["pagination"]["total"] == 2
    paged = t.data(t.get("/api/reports", params={"limit": 1, "page": 2}))
    assert [r["id"] for r in paged["reports"]] == [alpha["id"]] and paged["pagination"]["totalPages"] == 2


def test_delete_updates_stats_and_sources(loaded) -> None:
    t, domain, alpha, _beta = loaded
    assert t.data(t.delete(f"/api/reports/{alpha['id']}")) == {"id": alpha["id"], "deleted": True}
    error_of(t.get(f"/api/reports/{alpha['id']}"), 404, "NOT_FOUND")
    stats = t.data(t.get(f"/api/domains/{domain['id']}/stats"))
    assert (stats["summary"]["reports"], stats["summary"]["messages"], stats["summary"]["dmarcPass"]) == (1, 10, 4)
    assert [r["reporter"] for r in stats["reporters"]] == ["Beta"]
    assert [d["date"] for d in stats["timeSeries"]] == ["2024-06-15"]
    sources = t.data(t.get(f"/api/domains/{domain['id']}/sources"))["sources"]
    assert [(s["sourceIp"], s["messages"], s["dkimDomains"]) for s in sources] == [
        ("203.0.113.9", 6, []), ("192.0.2.1", 4, ["example.com"])]
    assert all(s["firstSeen"] == s["lastSeen"] == "2024-06-15" for s in sources)
    # The all-time totals (no dates) and the daily rollup (dates) tell the same story.
    ranged = t.data(t.get(f"/api/domains/{domain['id']}/sources", params={"from": "2000-01-01", "to": "2100-01-01"}))
    assert ranged["sources"] == sources
    # Uploading it again counts it again, once.
    t.data(upload(t, t.org_id, report_xml("Alpha Mail", "a-1", JUNE_13, ALPHA)), 201)
    assert t.data(t.get(f"/api/domains/{domain['id']}/stats"))["summary"]["messages"] == 30


def test_records_are_paginated(tenant: Tenant) -> None:
    tenant.create_domain("example.com")
    report = tenant.data(upload(tenant, tenant.org_id, report_xml("Big", "big-1", JUNE_13, many_records(230))),
                         201)["report"]
    path = f"/api/reports/{report['id']}"
    first = tenant.data(tenant.get(path))
    assert len(first["report"]["records"]) == 50 and first["pagination"]["total"] == 230
    last = tenant.data(tenant.get(path, params={"page": 3, "limit": 100}))
    assert [r["index"] for r in last["report"]["records"]] == list(range(200, 230))
    assert last["report"]["records"][0]["sourceIp"] == "10.0.0.200"
    assert last["report"]["recordCount"] == 230 and last["pagination"]["totalPages"] == 3
    beyond = tenant.data(tenant.get(path, params={"page": 10, "limit": 100}))
    assert beyond["report"]["records"] == []
    cached = tenant.get(path, headers={"If-None-Match": tenant.get(path).headers["etag"]})
    assert cached.status_code == 304
