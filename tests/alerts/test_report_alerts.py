"""Report rules end to end: real report files uploaded over HTTP, a clock the test moves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sentinel.alerts.jobs import TimeRules
from tests.alerts.conftest import FILES, Stack
from tests.support.api import Tenant

pytestmark = pytest.mark.db

FAILING = FILES / "yahoo.com!legacy.example.org!20260114.xml"  # 420 of 478 pass: 87.9%
LIFTING = FILES / "yahoo.com!legacy.example.org!20260115.xml"  # 2,000 of 2,003 pass


def upload(t: Tenant, path: Any) -> dict[str, Any]:
    r = t.post(f"/api/organizations/{t.org_id}/reports", content=path.read_bytes(),
               headers={"Content-Type": "application/xml"})
    return t.data(r, 201)["report"]  # type: ignore[no-any-return]


def alerts(t: Tenant, **params: str) -> list[dict[str, Any]]:
    return t.data(t.get(f"/api/organizations/{t.org_id}/alerts", params=params))["alerts"]  # type: ignore[no-any-return]


def test_uploads_under_the_threshold_open_dmarc_failure_and_uploads_lifting_it_resolve_it(stack: Stack) -> None:
    t = stack.tenant()
    dom = t.create_domain("legacy.example.org")
    upload(t, FAILING)
    [alert] = alerts(t, type="dmarc_failure")
    assert alert["status"] == "open" and alert["domainId"] == dom["id"] and alert["severity"] == "critical"
    assert alert["details"]["messages"] == 478 and alert["details"]["dmarcPass"] == 420
    assert alert["details"]["passRate"] == pytest.approx(87.87, abs=0.01)
    assert alert["details"]["to"] == "2026-01-14" and alert["details"]["from"] == "2026-01-08"
    assert alert["message"].startswith("DMARC pass rate dropped below 95% for legacy.example.org")
    [triggered] = [e for e in stack.events(t.org_id, "alert.triggered") if e.data["type"] == "dmarc_failure"]
    assert set(triggered.data) >= {"alertId", "domainId", "type", "message", "ruleId", "severity", "details"}

    upload(t, LIFTING)
    [alert] = alerts(t, type="dmarc_failure")
    assert alert["status"] == "resolved" and alert["resolvedBy"] is None
    assert "97.5%" in alert["resolution"]  # 2,420 of 2,481
    [resolved] = [e for e in stack.events(t.org_id, "alert.resolved") if e.data["alertId"] == alert["id"]]
    assert resolved.data["resolvedAt"] == alert["resolvedAt"]


def test_an_open_alert_is_not_opened_twice(stack: Stack) -> None:
    t = stack.tenant()
    t.create_domain("legacy.example.org")
    upload(t, FAILING)
    xml = FAILING.read_text().replace("1768348800.legacy", "another-id")
    t.data(t.post(f"/api/organizations/{t.org_id}/reports", content=xml, headers={"Content-Type": "application/xml"}),
           201)
    [alert] = alerts(t, type="dmarc_failure")
    assert alert["details"]["messages"] == 956  # refreshed with the latest figures
    assert len([e for e in stack.events(t.org_id, "alert.triggered") if e.data["type"] == "dmarc_failure"]) == 1


def test_a_new_source_failing_dmarc_opens_new_source_once(stack: Stack) -> None:
    t = stack.tenant()
    t.create_domain("legacy.example.org")
    report = upload(t, FAILING)
    [alert] = alerts(t, type="new_source")
    assert alert["subject"] == "198.51.100.77"
    assert alert["details"] == {"sourceIp": "198.51.100.77", "messages": 58, "dmarcFail": 58, "reportId": report["id"]}
    t.data(t.post(f"/api/alerts/{alert['id']}/resolve"))
    xml = FAILING.read_text().replace("1768348800.legacy", "seen-before")
    t.data(t.post(f"/api/organizations/{t.org_id}/reports", content=xml, headers={"Content-Type": "application/xml"}),
           201)
    assert [a["status"] for a in alerts(t, type="new_source")] == ["resolved"]  # no longer new


def test_reports_stopped_fires_after_the_silence_and_the_next_report_resolves_it(stack: Stack) -> None:
    t = stack.tenant()
    t.create_domain("legacy.example.org")
    upload(t, FAILING)
    job = TimeRules(stack.services.db, stack.services.alert_engine)
    assert job.run_once(stack.clock.now() + timedelta(hours=47)) >= 0
    assert alerts(t, type="reports_stopped") == []

    stack.clock.advance(timedelta(hours=49))
    assert job.run_once(stack.clock.now()) >= 1
    [alert] = alerts(t, type="reports_stopped")
    assert alert["subject"] == "Yahoo" and alert["status"] == "open"
    assert alert["details"]["silentHours"] == 49 and alert["details"]["hours"] == 48
    # Evaluated again later: still the same alert.
    job.run_once(stack.clock.now() + timedelta(hours=1))
    assert len(alerts(t, type="reports_stopped")) == 1

    upload(t, LIFTING)
    [alert] = alerts(t, type="reports_stopped")
    assert alert["status"] == "resolved" and "again" in alert["resolution"]


def test_a_rule_limited_to_other_domains_stays_quiet(stack: Stack) -> None:
    t = stack.tenant()
    t.create_domain("legacy.example.org")
    other = t.create_domain("other.example.org")
    rules = t.data(t.get(f"/api/organizations/{t.org_id}/alert-rules"))["rules"]
    [pass_rate] = [r for r in rules if r["type"] == "dmarc_pass_rate"]
    updated = t.data(t.patch(f"/api/alert-rules/{pass_rate['id']}", json={"domainIds": [other["id"]],
                                                                           "params": {"threshold": 90}}))["rule"]
    assert updated["domainIds"] == [other["id"]] and updated["params"]["threshold"] == 90
    assert updated["params"]["windowDays"] == 7
    upload(t, FAILING)
    assert alerts(t, type="dmarc_failure") == []


def _failing_report(report_id: str, sources: list[tuple[str, int, bool]]) -> str:
    """A report of legacy.example.org, one record per (IP, count, passes DMARC)."""
    records = "".join(
        f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
        "<disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>"
        "<identifiers><header_from>legacy.example.org</header_from></identifiers><auth_results>"
        f"<spf><domain>{'legacy.example.org' if passes else 'mailer.example.net'}</domain><result>pass</result>"
        "</spf></auth_results></record>"
        for ip, count, passes in sources
    )
    return ("<feedback><report_metadata><org_name>Yahoo</org_name><report_id>"
            f"{report_id}</report_id><date_range><begin>1768348800</begin><end>1768435199</end></date_range>"
            "</report_metadata><policy_published><domain>legacy.example.org</domain><p>reject</p>"
            f"</policy_published>{records}</feedback>")


def test_many_new_sources_in_one_report_open_one_alert_each_and_only_over_the_threshold(stack: Stack) -> None:
    t = stack.tenant()
    t.create_domain("legacy.example.org")
    # 300 new failing IPs (11 to 25 messages: over the default minMessages of 10), two records
    # of one IP adding up past it, one at exactly 10 (not over), one passing.
    failing = [(f"203.0.113.{i % 250}" if i < 250 else f"2001:db8::{i:x}", 11 + i % 15, False) for i in range(300)]
    split = [("198.51.100.1", 6, False), ("198.51.100.1", 5, False)]
    quiet = [("198.51.100.2", 10, False), ("198.51.100.3", 500, True)]
    xml = _failing_report("many-new", failing + split + quiet)
    report = t.data(t.post(f"/api/organizations/{t.org_id}/reports", content=xml,
                           headers={"Content-Type": "application/xml"}), 201)["report"]
    by_ip: dict[str, dict[str, Any]] = {}
    for page in (1, 2, 3, 4):
        listed = t.data(t.get(f"/api/organizations/{t.org_id}/alerts",
                              params={"type": "new_source", "limit": "100", "page": str(page)}))
        assert listed["pagination"]["total"] == 301
        by_ip.update({a["subject"]: a for a in listed["alerts"]})
    expected = {ip: count for ip, count, _ in failing} | {"198.51.100.1": 11}
    assert {ip: a["details"]["dmarcFail"] for ip, a in by_ip.items()} == expected
    assert all(a["details"]["reportId"] == report["id"] and a["status"] == "open" for a in by_ip.values())
    triggered = [e for e in stack.events(t.org_id, "alert.triggered") if e.data["type"] == "new_source"]
    assert sorted(e.data["alertId"] for e in triggered) == sorted(a["id"] for a in by_ip.values())

    # The same sources again, plus one new: only the new one opens; the open ones are refreshed.
    again = _failing_report("many-new-again", [*failing, ("198.51.100.9", 12, False)])
    t.data(t.post(f"/api/organizations/{t.org_id}/reports", content=again,
                  headers={"Content-Type": "application/xml"}), 201)
    triggered = [e for e in stack.events(t.org_id, "alert.triggered") if e.data["type"] == "new_source"]
    assert len(triggered) == 302 and "198.51.100.9" in {e.data["subject"] for e in triggered}
