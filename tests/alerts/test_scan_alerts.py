"""Scan rules end to end: a real DNS server on loopback whose zone changes between scans."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.alerts.conftest import DMARC, SPF, Stack, zone
from tests.support.api import Tenant

pytestmark = pytest.mark.db

WEAK_SPF = "v=spf1 mx include:_spf.watch.example.com ~all"


def watched(stack: Stack) -> tuple[Tenant, dict[str, Any]]:
    t = stack.tenant()
    dom = t.create_domain("watch.example.com", dkimSelectors=["custom"])
    return t, dom


def alerts(t: Tenant, **params: str) -> list[dict[str, Any]]:
    return t.data(t.get(f"/api/organizations/{t.org_id}/alerts", params=params))["alerts"]  # type: ignore[no-any-return]


def scan(stack: Stack, t: Tenant, domain_id: str) -> dict[str, Any]:
    stack.clock.advance(timedelta(hours=1))
    return t.data(t.post(f"/api/domains/{domain_id}/scan"))  # type: ignore[no-any-return]


def test_a_changed_record_opens_one_alert_with_its_diff_and_an_unchanged_scan_none(stack: Stack) -> None:
    t, dom = watched(stack)
    scan(stack, t, dom["id"])
    assert alerts(t) == []

    stack.publish(zone(spf=WEAK_SPF, extra='_spf TXT "v=spf1 ip4:192.0.2.0/24 -all"'))
    second = scan(stack, t, dom["id"])
    found = alerts(t)
    assert len(found) == 1, found
    alert = found[0]
    assert alert["type"] == "dns_record_changed" and alert["status"] == "open"
    assert alert["subject"] == "spf" and alert["domainId"] == dom["id"]
    diff = {"record": "spf", "selector": None, "change": "changed", "before": SPF, "after": WEAK_SPF}
    assert alert["details"] == diff
    assert "SPF record of watch.example.com changed" in alert["message"]

    # The outbox holds the event, in the seed's shape plus ruleId, severity and details.
    [event] = stack.events(t.org_id, "alert.triggered")
    assert event.data["alertId"] == alert["id"] and event.data["type"] == "dns_record_changed"
    assert event.data["ruleId"] == alert["ruleId"] and event.data["severity"] == "warning"
    assert event.data["details"]["after"] == WEAK_SPF and event.data["domainId"] == dom["id"]

    changes = t.data(t.get(f"/api/domains/{dom['id']}/changes"))["changes"]
    assert [(c["record"], c["change"], c["before"], c["after"], c["scanId"]) for c in changes] == [
        ("spf", "changed", SPF, WEAK_SPF, second["id"])
    ]

    scan(stack, t, dom["id"])
    assert len(alerts(t)) == 1
    assert len(stack.events(t.org_id, "alert.triggered")) == 1
    assert len(t.data(t.get(f"/api/domains/{dom['id']}/changes"))["changes"]) == 1


def test_a_record_back_as_it_was_resolves_its_alert(stack: Stack) -> None:
    t, dom = watched(stack)
    scan(stack, t, dom["id"])
    stack.publish(zone(spf=WEAK_SPF))
    scan(stack, t, dom["id"])
    stack.publish(zone())
    scan(stack, t, dom["id"])
    [alert] = alerts(t, type="dns_record_changed")
    assert alert["status"] == "resolved" and alert["resolvedBy"] is None
    assert alert["resolvedAt"] is not None and "back to what it was" in alert["resolution"]
    [resolved] = [e for e in stack.events(t.org_id, "alert.resolved") if e.data["alertId"] == alert["id"]]
    assert resolved.data["alertId"] == alert["id"] and resolved.data["resolution"] == alert["resolution"]


def test_a_weaker_dmarc_policy_and_a_vanished_dkim_key(stack: Stack) -> None:
    t, dom = watched(stack)
    scan(stack, t, dom["id"])
    text = zone(dmarc="v=DMARC1; p=none; rua=mailto:dmarc@watch.example.com").replace("custom._domainkey", "; gone")
    stack.publish(text)
    scan(stack, t, dom["id"])
    by_subject = {(a["type"], a["subject"]): a for a in alerts(t)}
    weakened = by_subject[("policy_weakened", "")]
    assert weakened["details"]["before"]["policy"] == "reject" and weakened["details"]["after"]["policy"] == "none"
    dkim = by_subject[("dns_record_changed", "dkim:custom")]
    assert dkim["details"]["change"] == "vanished" and dkim["details"]["after"] is None
    assert by_subject[("dns_record_changed", "dmarc")]["details"]["after"].startswith("v=DMARC1; p=none")

    stack.publish(zone(dmarc=DMARC))
    scan(stack, t, dom["id"])
    assert t.data(t.get(f"/api/alerts/{weakened['id']}"))["alert"]["status"] == "resolved"


def test_a_new_dns_error_and_spf_at_the_lookup_threshold(stack: Stack) -> None:
    t, dom = watched(stack)
    scan(stack, t, dom["id"])
    # Each "a" costs one DNS lookup (RFC 7208 §4.6.4).
    stack.publish(zone(spf="v=spf1" + " a" * 9 + " -all", extra="@ A 192.0.2.10"))
    scan(stack, t, dom["id"])
    errors = {a["subject"]: a for a in alerts(t, type="dns_error")}
    assert set(errors) == {"SPF_LOOKUPS_AT_THRESHOLD"}
    assert errors["SPF_LOOKUPS_AT_THRESHOLD"]["details"]["spfLookups"] == 9

    stack.publish(zone(spf="v=spf1" + " a" * 11 + " -all", extra="@ A 192.0.2.10"))
    scan(stack, t, dom["id"])
    errors = {a["subject"]: a for a in alerts(t, type="dns_error", status="open")}
    assert "SPF_LOOKUPS_AT_THRESHOLD" in errors and len(errors) == 2, errors
    [too_many] = [a for code, a in errors.items() if code != "SPF_LOOKUPS_AT_THRESHOLD"]
    assert too_many["subject"].startswith("SPF_") and too_many["severity"] == "critical"

    stack.publish(zone())
    scan(stack, t, dom["id"])
    assert alerts(t, type="dns_error", status="open") == []
    assert len(alerts(t, type="dns_error", status="resolved")) == 2


def test_disabled_rules_stay_quiet_but_changes_are_still_listed(stack: Stack) -> None:
    t, dom = watched(stack)
    for rule in t.data(t.get(f"/api/organizations/{t.org_id}/alert-rules"))["rules"]:
        t.data(t.patch(f"/api/alert-rules/{rule['id']}", json={"enabled": False}))
    scan(stack, t, dom["id"])
    stack.publish(zone(spf=WEAK_SPF))
    scan(stack, t, dom["id"])
    assert alerts(t) == []
    assert [c["record"] for c in t.data(t.get(f"/api/domains/{dom['id']}/changes"))["changes"]] == ["spf"]


def test_a_dns_outage_is_not_a_change(stack: Stack) -> None:
    t, dom = watched(stack)
    scan(stack, t, dom["id"])
    stack.dns.servfail.update({"watch.example.com", "_dmarc.watch.example.com"})
    stack.dns.publish([zone()])  # drops the answers the server had cached
    during = scan(stack, t, dom["id"])
    assert during["spf"]["status"] == "error" and during["dmarc"]["status"] == "error"
    stack.dns.servfail.clear()
    stack.dns.publish([zone()])
    scan(stack, t, dom["id"])
    assert alerts(t) == []
    assert t.data(t.get(f"/api/domains/{dom['id']}/changes"))["changes"] == []

    # A change made while DNS failed is still seen: compared with the last scan that saw the record.
    stack.dns.servfail.add("watch.example.com")
    stack.dns.publish([zone()])
    scan(stack, t, dom["id"])
    stack.dns.servfail.clear()
    stack.dns.publish([zone(spf=WEAK_SPF, extra='_spf TXT "v=spf1 -all"')])
    scan(stack, t, dom["id"])
    [alert] = alerts(t, type="dns_record_changed")
    assert (alert["details"]["before"], alert["details"]["after"]) == (SPF, WEAK_SPF)
