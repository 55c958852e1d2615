"""The worker jobs, driven by calling run_once: scheduled rescans claimed in the database,
against a loopback DNS server, on a clock the test moves."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from sentinel.alerts.jobs import ScheduledScans
from sentinel.store.models import Domain
from tests.alerts.conftest import Stack, zone
from tests.support.api import Tenant

pytestmark = pytest.mark.db


def verified(stack: Stack, interval: int = 24) -> tuple[Tenant, dict[str, Any], str]:
    t = stack.tenant()
    dom = t.create_domain("watch.example.com", scanIntervalHours=interval)
    token = dom["verification"]["recordValue"].split("=", 1)[1]
    stack.publish(zone(token))
    dom = t.data(t.post(f"/api/domains/{dom['id']}/verify"))["domain"]
    assert dom["verified"]
    return t, dom, token


def scans(t: Tenant, domain_id: str) -> list[dict[str, Any]]:
    return t.data(t.get(f"/api/domains/{domain_id}/scans"))["scans"]  # type: ignore[no-any-return]


def mine(job: ScheduledScans, domain_id: str, now: Any) -> bool:
    return domain_id in job.due(now, limit=10_000)


def test_a_verified_domain_is_rescanned_every_interval_and_changes_alert(stack: Stack) -> None:
    t, dom, token = verified(stack)
    job = ScheduledScans(stack.services.db, stack.services.scans, batch=1000)
    due_at = dom["nextScanAt"]
    assert due_at is not None and dom["verifiedAt"] <= due_at
    assert not mine(job, dom["id"], stack.clock.now())

    stack.publish(zone(token, spf="v=spf1 mx ~all"))
    stack.clock.advance(timedelta(hours=25))
    assert mine(job, dom["id"], stack.clock.now())
    job.run_once(stack.clock.now())
    [first] = scans(t, dom["id"])
    assert not mine(job, dom["id"], stack.clock.now())
    after = t.data(t.get(f"/api/domains/{dom['id']}"))["domain"]
    assert after["nextScanAt"] == (stack.clock.now() + timedelta(hours=24)).isoformat().replace("+00:00", "Z")

    stack.clock.advance(timedelta(hours=24, minutes=1))
    job.run_once(stack.clock.now())
    assert len(scans(t, dom["id"])) == 2 and scans(t, dom["id"])[1]["id"] == first["id"]
    assert len(stack.events(t.org_id, "alert.triggered")) == 0  # the same zone both times

    stack.publish(zone(token))
    stack.clock.advance(timedelta(hours=24, minutes=1))
    job.run_once(stack.clock.now())
    [alert] = t.data(t.get(f"/api/organizations/{t.org_id}/alerts", params={"type": "dns_record_changed"}))["alerts"]
    assert alert["details"]["before"] == "v=spf1 mx ~all" and alert["details"]["after"] == "v=spf1 mx -all"


def test_rescans_off_and_unverified_domains_are_never_due(stack: Stack) -> None:
    t, dom, _ = verified(stack, interval=0)
    assert dom["nextScanAt"] is None
    other = t.create_domain("unverified.example.com")
    job = ScheduledScans(stack.services.db, stack.services.scans, batch=1000)
    later = stack.clock.now() + timedelta(days=30)
    job.plan(later)
    assert not mine(job, dom["id"], later) and not mine(job, other["id"], later)


def test_two_workers_never_scan_one_domain_at_once(stack: Stack) -> None:
    t, dom, _ = verified(stack)
    workers = [ScheduledScans(stack.services.db, stack.services.scans, batch=1000) for _ in range(4)]
    stack.clock.advance(timedelta(hours=25))
    now = stack.clock.now()
    assert workers[0].claim(dom["id"], now) is True
    assert workers[1].claim(dom["id"], now) is False  # held
    assert workers[1].claim(dom["id"], now + timedelta(minutes=16)) is True  # its lease expired
    with stack.services.db.transaction() as session:
        row = session.get(Domain, dom["id"])
        assert row is not None
        row.scan_claimed_until = None

    barrier = threading.Barrier(len(workers))
    counts: list[int] = []

    def run(job: ScheduledScans) -> None:
        barrier.wait()
        counts.append(job.run_once(now))

    threads = [threading.Thread(target=run, args=(job,)) for job in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(scans(t, dom["id"])) == 1
    assert sum(counts) >= 1
