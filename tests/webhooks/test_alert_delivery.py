"""alert.triggered end to end: a report that fails DMARC opens an alert, whose event the worker
delivers, signed, to a real loopback receiver (checked with the `standardwebhooks` library)."""

from __future__ import annotations

from pathlib import Path

from sentinel.worker import Worker
from tests.support.api import Tenant
from tests.support.receiver import Receiver
from tests.webhooks.conftest import add_webhook

# 87.9 % of its messages pass DMARC: under the default dmarc_pass_rate rule's 95 %.
FAILING = Path(__file__).resolve().parents[2] / "mocks" / "reports" / "yahoo.com!legacy.example.org!20260114.xml"


def test_a_failing_report_delivers_alert_triggered_with_the_seed_shape(owner: Tenant, worker: Worker) -> None:
    with Receiver() as rx:
        hook, secret = add_webhook(owner, rx.url, events=["alert.triggered"])
        rx.secrets.append(secret)
        domain = owner.create_domain("legacy.example.org")
        r = owner.post(f"/api/organizations/{owner.org_id}/reports", content=FAILING.read_bytes(),
                       headers={"Content-Type": "application/xml"})
        owner.data(r, 201)
        worker.drain()
        received = rx.wait_for(1)
    opened = owner.data(owner.get(f"/api/organizations/{owner.org_id}/alerts", params={"type": "dmarc_failure"}))
    (alert,) = opened["alerts"]
    by_type = {got.payload["data"]["type"]: got for got in received}
    got = by_type["dmarc_failure"]
    assert got.verified and got.payload["event"] == "alert.triggered"
    data = got.payload["data"]
    assert data["alertId"] == alert["id"] and data["domainId"] == domain["id"]
    assert data["ruleId"] == alert["ruleId"] and data["severity"] == alert["severity"]
    assert "95" in data["message"] and data["details"]
    # Only the subscribed type went out.
    assert {g.payload["event"] for g in received} == {"alert.triggered"}
    deliveries = owner.data(owner.get(f"/api/webhooks/{hook['id']}/deliveries"))["deliveries"]
    assert {d["event"] for d in deliveries} == {"alert.triggered"}
