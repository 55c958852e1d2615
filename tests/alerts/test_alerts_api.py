"""The alert endpoints over HTTP: default rules, validation, roles, tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest

from sentinel.app import Services
from tests.alerts.test_report_alerts import FAILING, upload
from tests.support.api import Tenant, add_member_with_token, client, error_of
from tests.support.server import LiveServer

pytestmark = pytest.mark.db


def first_alert(t: Tenant) -> dict[str, Any]:
    t.create_domain("legacy.example.org")
    upload(t, FAILING)
    alerts = t.data(t.get(f"/api/organizations/{t.org_id}/alerts", params={"type": "dmarc_failure"}))["alerts"]
    return alerts[0]  # type: ignore[no-any-return]


def test_new_organizations_get_one_rule_of_each_type(tenant: Tenant) -> None:
    rules = tenant.data(tenant.get(f"/api/organizations/{tenant.org_id}/alert-rules"))["rules"]
    assert sorted(r["type"] for r in rules) == sorted(
        ["dmarc_pass_rate", "dns_record_changed", "dns_error", "policy_weakened", "reports_stopped", "new_source"]
    )
    assert all(r["enabled"] and r["domainIds"] is None for r in rules)
    by_type = {r["type"]: r for r in rules}
    assert by_type["dmarc_pass_rate"]["params"] == {"threshold": 95.0, "windowDays": 7, "minMessages": 100}
    assert by_type["reports_stopped"]["params"] == {"hours": 48, "minReports": 1}
    assert by_type["dns_error"]["params"] == {"spfLookupThreshold": 9}


def test_rules_are_created_changed_and_deleted(tenant: Tenant) -> None:
    dom = tenant.create_domain("rules.example.com")
    body = {"name": "SPF near its limit", "type": "dns_error", "params": {"spfLookupThreshold": 8},
            "domainIds": [dom["id"]], "severity": "warning"}
    rule = tenant.data(tenant.post(f"/api/organizations/{tenant.org_id}/alert-rules", json=body), 201)["rule"]
    assert rule["id"].startswith("arl_") and rule["params"] == {"spfLookupThreshold": 8}
    assert rule["domainIds"] == [dom["id"]] and rule["severity"] == "warning" and rule["alertType"] == "dns_error"
    assert tenant.data(tenant.get(f"/api/alert-rules/{rule['id']}"))["rule"] == rule
    changed = tenant.data(tenant.patch(f"/api/alert-rules/{rule['id']}", json={"enabled": False, "domainIds": None}))
    assert changed["rule"]["enabled"] is False and changed["rule"]["domainIds"] is None
    tenant.data(tenant.delete(f"/api/alert-rules/{rule['id']}"))
    error_of(tenant.get(f"/api/alert-rules/{rule['id']}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "type": "dns_error", "params": {"threshold": 5}}, "params.threshold"),
        ({"name": "x", "type": "dmarc_pass_rate", "params": {"windowDays": 1.5}}, "params.windowDays"),
        ({"name": "x", "type": "dns_record_changed", "params": {"records": []}}, "params.records"),
        ({"name": "x", "type": "new_source", "domainIds": ["dom_doesNotExist1"]}, "domainIds"),
    ],
)
def test_bad_rules_are_validation_errors(tenant: Tenant, body: dict[str, Any], field: str) -> None:
    error = error_of(tenant.post(f"/api/organizations/{tenant.org_id}/alert-rules", json=body), 400, "VALIDATION_ERROR")
    assert any(d["field"].endswith(field) for d in error["details"]), error


def test_alerts_are_acknowledged_then_resolved(tenant: Tenant) -> None:
    alert = first_alert(tenant)
    acked = tenant.data(tenant.post(f"/api/alerts/{alert['id']}/acknowledge"))["alert"]
    assert acked["status"] == "acknowledged" and acked["acknowledgedBy"] == tenant.user_id
    assert tenant.data(tenant.post(f"/api/alerts/{alert['id']}/acknowledge"))["alert"] == acked
    resolved = tenant.data(tenant.post(f"/api/alerts/{alert['id']}/resolve"))["alert"]
    assert resolved["status"] == "resolved" and resolved["resolvedBy"] == tenant.user_id
    assert resolved["acknowledgedAt"] == acked["acknowledgedAt"]
    assert tenant.data(tenant.post(f"/api/alerts/{alert['id']}/resolve"))["alert"] == resolved
    error_of(tenant.post(f"/api/alerts/{alert['id']}/acknowledge"), 409, "CONFLICT")
    listed = tenant.data(tenant.get(f"/api/organizations/{tenant.org_id}/alerts", params={"status": "resolved"}))
    assert alert["id"] in [a["id"] for a in listed["alerts"]]
    assert tenant.data(tenant.get(f"/api/alerts/{alert['id']}"))["alert"] == resolved


def test_roles(tenant: Tenant, services: Services, live: LiveServer) -> None:
    alert = first_alert(tenant)
    rule_id = alert["ruleId"]
    _, viewer_token = add_member_with_token(tenant, services, "viewer")
    _, member_token = add_member_with_token(tenant, services, "member")
    _, admin_token = add_member_with_token(tenant, services, "admin")
    with client(live.url, viewer_token) as viewer, client(live.url, member_token) as member, \
            client(live.url, admin_token) as admin:
        # Viewers read everything and change nothing.
        assert viewer.get(f"/api/organizations/{tenant.org_id}/alerts").status_code == 200
        assert viewer.get(f"/api/alert-rules/{rule_id}").status_code == 200
        error_of(viewer.post(f"/api/alerts/{alert['id']}/acknowledge"), 403, "FORBIDDEN")
        error_of(viewer.patch(f"/api/alert-rules/{rule_id}", json={"enabled": False}), 403, "FORBIDDEN")
        # Members handle alerts but do not manage rules.
        error_of(member.patch(f"/api/alert-rules/{rule_id}", json={"enabled": False}), 403, "FORBIDDEN")
        error_of(member.delete(f"/api/alert-rules/{rule_id}"), 403, "FORBIDDEN")
        body = {"name": "mine", "type": "policy_weakened"}
        error_of(member.post(f"/api/organizations/{tenant.org_id}/alert-rules", json=body), 403, "FORBIDDEN")
        assert member.post(f"/api/alerts/{alert['id']}/acknowledge").status_code == 200
        # Admins manage rules.
        assert admin.post(f"/api/organizations/{tenant.org_id}/alert-rules", json=body).status_code == 201
        assert admin.patch(f"/api/alert-rules/{rule_id}", json={"severity": "info"}).status_code == 200
        assert member.post(f"/api/alerts/{alert['id']}/resolve").status_code == 200


def test_another_organization_sees_nothing(tenant: Tenant, other: Tenant) -> None:
    alert = first_alert(tenant)
    dom = alert["domainId"]
    for path in (
        f"/api/organizations/{tenant.org_id}/alert-rules",
        f"/api/alert-rules/{alert['ruleId']}",
        f"/api/organizations/{tenant.org_id}/alerts",
        f"/api/alerts/{alert['id']}",
        f"/api/domains/{dom}/changes",
    ):
        error_of(other.get(path), 404, "NOT_FOUND")
    error_of(other.post(f"/api/alerts/{alert['id']}/acknowledge"), 404, "NOT_FOUND")
    error_of(other.post(f"/api/alerts/{alert['id']}/resolve"), 404, "NOT_FOUND")
    error_of(other.patch(f"/api/alert-rules/{alert['ruleId']}", json={"enabled": False}), 404, "NOT_FOUND")
    error_of(other.delete(f"/api/alert-rules/{alert['ruleId']}"), 404, "NOT_FOUND")
    body = {"name": "x", "type": "policy_weakened"}
    error_of(other.post(f"/api/organizations/{tenant.org_id}/alert-rules", json=body), 404, "NOT_FOUND")
    # Their own list filtered by our domain: not found either.
    error_of(other.get(f"/api/organizations/{other.org_id}/alerts", params={"domainId": dom}), 404, "NOT_FOUND")
    assert tenant.data(tenant.get(f"/api/alerts/{alert['id']}"))["alert"]["status"] == "open"


def test_deleting_a_rule_resolves_its_alerts(tenant: Tenant) -> None:
    alert = first_alert(tenant)
    tenant.data(tenant.delete(f"/api/alert-rules/{alert['ruleId']}"))
    gone = tenant.data(tenant.get(f"/api/alerts/{alert['id']}"))["alert"]
    assert gone["status"] == "resolved" and "was deleted" in gone["resolution"]


def test_scan_interval_is_a_domain_setting(tenant: Tenant) -> None:
    dom = tenant.create_domain("interval.example.com", scanIntervalHours=6)
    assert dom["scanIntervalHours"] == 6 and dom["nextScanAt"] is None  # unverified
    off = tenant.data(tenant.patch(f"/api/domains/{dom['id']}", json={"scanIntervalHours": 0}))["domain"]
    assert off["scanIntervalHours"] == 0
    error_of(tenant.patch(f"/api/domains/{dom['id']}", json={"scanIntervalHours": -1}), 400, "VALIDATION_ERROR")
    assert tenant.create_domain("default.example.com")["scanIntervalHours"] == 24


def test_alert_filters(tenant: Tenant) -> None:
    alert = first_alert(tenant)
    other = tenant.create_domain("quiet.example.org")
    path = f"/api/organizations/{tenant.org_id}/alerts"
    day = alert["triggeredAt"][:10]
    assert alert["id"] in [a["id"] for a in tenant.data(tenant.get(path, params={"from": day, "to": day}))["alerts"]]
    assert tenant.data(tenant.get(path, params={"to": "2000-01-01"}))["alerts"] == []
    assert tenant.data(tenant.get(path, params={"domainId": other["id"]}))["alerts"] == []
    listed = tenant.data(tenant.get(path, params={"domainId": alert["domainId"], "limit": 1}))
    assert len(listed["alerts"]) == 1 and listed["pagination"]["total"] == 2  # dmarc_failure and new_source
    error_of(tenant.get(path, params={"status": "closed"}), 400, "VALIDATION_ERROR")
