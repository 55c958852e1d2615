"""Slow work cannot starve the rest (issue 9, D9 and D10).

A loopback DNS server holds every answer until the test releases it, so scans stay in
flight exactly as long as the test wants. While they are blocked: one organization's
scans beyond its cap are refused with 429 and Retry-After, another organization's
requests and /health are answered, and uploads beyond their caps are refused (429 per
organization, 503 per process), all before the held scans finish.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import httpx
import pytest

from sentinel.app import Services, build_services, create_app
from sentinel.settings import Settings
from tests.reports_api.support import Rec, report_xml, upload
from tests.support.api import Tenant, error_of, new_tenant
from tests.support.dns_server import SLOW_ZONE as ZONE
from tests.support.dns_server import LoopbackDnsServer
from tests.support.server import LiveServer

pytestmark = pytest.mark.db

# More scans than anyio's 40 default threads: before the fix they took every thread.
SCANS = 48
# Long enough that no DNS query gives up while held; the test releases them.
DNS_PATIENCE = {"dns_timeout": 60.0, "dns_lifetime": 120.0}


class Stack:
    def __init__(self, settings: Settings, **overrides: object) -> None:
        self.dns = LoopbackDnsServer([ZONE]).start()
        self.services: Services = build_services(
            settings.with_overrides(nameservers=(self.dns.nameserver,), **DNS_PATIENCE, **overrides)
        )
        self.live = LiveServer(create_app(self.services.settings, services=self.services)).__enter__()
        self.tenants: list[Tenant] = []

    def tenant(self) -> Tenant:
        t = new_tenant(self.services, self.live.url)
        t.http = httpx.Client(
            base_url=self.live.url,
            headers=t.http.headers,
            timeout=120,
            limits=httpx.Limits(max_connections=SCANS + 8, max_keepalive_connections=SCANS + 8),
        )
        self.tenants.append(t)
        return t

    def close(self) -> None:
        self.dns.release()
        self.live.__exit__(None, None, None)
        self.dns.stop()
        for t in self.tenants:
            t.http.close()
        self.services.db.dispose()


@pytest.fixture
def make_stack(settings: Settings) -> Iterator[object]:
    stacks: list[Stack] = []

    def make(**overrides: object) -> Stack:
        stack = Stack(settings, **overrides)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()


def _wait_for(futures: list[Future[httpx.Response]], count: int) -> list[Future[httpx.Response]]:
    """Block until `count` of the futures are done (a stuck server fails the test here)."""
    pending = set(futures)
    done: list[Future[httpx.Response]] = []
    while len(done) < count:
        finished, pending = wait(pending, timeout=60, return_when=FIRST_COMPLETED)
        assert finished, f"only {len(done)} of {count} requests were answered"
        done.extend(finished)
    return done


def test_scans_beyond_the_cap_are_refused_and_others_are_served_meanwhile(make_stack) -> None:
    stack: Stack = make_stack(scans_per_organization=3, slow_threads=3)
    busy, other = stack.tenant(), stack.tenant()
    domain = busy.create_domain("slow.example.com")
    other_domain = other.create_domain("slow.example.com")
    stack.dns.hold()
    with ThreadPoolExecutor(SCANS + 4) as pool:
        scans = [pool.submit(busy.post, f"/api/domains/{domain['id']}/scan") for _ in range(SCANS)]
        refused = _wait_for(scans, SCANS - 3)
        for future in refused:
            error = error_of(future.result(), 429, "RATE_LIMITED")
            assert "3 scans" in error["message"]
            assert int(future.result().headers["retry-after"]) >= 1
        held = [f for f in scans if not f.done()]
        assert len(held) == 3
        # The admitted scans are really inside DNS, waiting for answers.
        assert stack.dns.held > 0
        # Verification counts against the same cap.
        error_of(busy.post(f"/api/domains/{domain['id']}/verify"), 429, "RATE_LIMITED")

        # Meanwhile another organization and the health check are answered at once.
        me = other.data(other.get("/api/me"))
        assert me["token"]["organizationId"] == other.org_id
        assert other.get(f"/api/domains/{other_domain['id']}").status_code == 200
        health = other.http.get("/health")
        assert health.status_code == 200 and health.json()["database"]["status"] == "ok"
        # The other organization's scan is admitted (its own cap) and waits in DNS with them.
        queued = pool.submit(other.post, f"/api/domains/{other_domain['id']}/scan")
        assert all(not f.done() for f in held)

        stack.dns.release()
        for future in [*held, queued]:
            scan = future.result()
            assert scan.status_code == 200, scan.text
            assert scan.json()["data"]["dmarc"]["policy"] == "reject"
    history = busy.data(busy.get(f"/api/domains/{domain['id']}/scans"))
    assert history["pagination"]["total"] == 3


def test_uploads_beyond_their_caps_are_refused(make_stack) -> None:
    # One slow thread, taken by a verification held in DNS (it waits on its thread, unlike a
    # scan): uploads admitted behind it stay in flight.
    stack: Stack = make_stack(slow_threads=1, uploads_per_organization=2, uploads_in_flight=3)
    scanner, first, second = stack.tenant(), stack.tenant(), stack.tenant()
    domain = scanner.create_domain("slow.example.com")
    for t in (first, second):
        t.create_domain("example.com")
    stack.dns.hold()
    with ThreadPoolExecutor(8) as pool:
        scan = pool.submit(scanner.post, f"/api/domains/{domain['id']}/verify")
        while stack.dns.held == 0:
            assert not scan.done(), scan.result().text
            time.sleep(0.01)
        report = report_xml("Slow Receiver", "r", 1767225600, [Rec("192.0.2.1", 1)])

        def send(t: Tenant, n: int) -> httpx.Response:
            return upload(t, t.org_id, report.replace(b"<report_id>r<", f"<report_id>r{n}<".encode()))

        admitted = [pool.submit(send, first, 1), pool.submit(send, first, 2)]
        while stack.services.admission.busy("upload") < 2:
            assert not any(f.done() for f in admitted), [f.result().text for f in admitted if f.done()]
            time.sleep(0.01)
        # The organization's third upload: over its own cap.
        over_org = send(first, 3)
        error_of(over_org, 429, "RATE_LIMITED")
        assert int(over_org.headers["retry-after"]) >= 1
        # Another organization: one more fits in the process, the next does not.
        admitted.append(pool.submit(send, second, 4))
        while stack.services.admission.busy("upload") < 3:
            assert not admitted[-1].done(), admitted[-1].result().text
            time.sleep(0.01)
        over_process = send(second, 5)
        error_of(over_process, 503, "SERVICE_UNAVAILABLE")
        assert int(over_process.headers["retry-after"]) >= 1
        assert not scan.done() and not any(f.done() for f in admitted)

        stack.dns.release()
        assert scan.result().status_code == 200
        assert [f.result().status_code for f in admitted] == [201, 201, 201]
    assert stack.services.admission.busy("upload") == 0
    assert first.data(first.get(f"/api/reports?organizationId={first.org_id}"))["pagination"]["total"] == 2


def test_scans_waiting_for_dns_hold_no_slow_thread(make_stack) -> None:
    # One slow thread and three scans admitted: all three are asking DNS at once (the thread
    # only runs their database steps), then all three are stored.
    stack: Stack = make_stack(scans_per_organization=3, slow_threads=1)
    tenant = stack.tenant()
    domain = tenant.create_domain("slow.example.com")
    stack.dns.hold()
    question = ("_dmarc.slow.example.com", "TXT")
    with ThreadPoolExecutor(4) as pool:
        scans = [pool.submit(tenant.post, f"/api/domains/{domain['id']}/scan") for _ in range(3)]
        try:
            give_up = time.monotonic() + 30  # fails here, instead of hanging, when they queue
            while (asking := stack.dns.queries.count(question)) < 3:
                assert not any(f.done() for f in scans), [f.result().text for f in scans if f.done()]
                assert time.monotonic() < give_up, f"only {asking} of 3 admitted scans are asking DNS"
                time.sleep(0.01)
            # A fourth is over the organization's cap, not queued behind a thread.
            error_of(tenant.post(f"/api/domains/{domain['id']}/scan"), 429, "RATE_LIMITED")
            assert stack.services.admission.busy("scan") == 3
        finally:
            stack.dns.release()
        results = [f.result() for f in scans]
    assert [r.status_code for r in results] == [200, 200, 200], [r.text for r in results]
    assert all(r.json()["data"]["dmarc"]["policy"] == "reject" for r in results)
    history = tenant.data(tenant.get(f"/api/domains/{domain['id']}/scans"))
    assert history["pagination"]["total"] == 3
    assert stack.services.admission.busy("scan") == 0


def test_scans_beyond_the_process_cap_are_refused(make_stack) -> None:
    # Waiting scans hold no thread, so the process caps them itself: two organizations, one
    # scan each fits (cap 2), a third organization's scan is a 503 with Retry-After.
    stack: Stack = make_stack(scans_per_organization=3, scans_in_flight=2)
    tenants = [stack.tenant() for _ in range(3)]
    domains = [t.create_domain("slow.example.com") for t in tenants]
    stack.dns.hold()
    with ThreadPoolExecutor(4) as pool:
        pairs = zip(tenants[:2], domains[:2], strict=True)
        held = [pool.submit(t.post, f"/api/domains/{d['id']}/scan") for t, d in pairs]
        try:
            give_up = time.monotonic() + 30  # a hang guard
            while stack.services.admission.busy("scan") < 2:
                assert not any(f.done() for f in held), [f.result().text for f in held if f.done()]
                assert time.monotonic() < give_up
                time.sleep(0.01)
            over = tenants[2].post(f"/api/domains/{domains[2]['id']}/scan")
            error_of(over, 503, "SERVICE_UNAVAILABLE")
            assert int(over.headers["retry-after"]) >= 1
        finally:
            stack.dns.release()
        assert [f.result().status_code for f in held] == [200, 200]
    assert stack.services.admission.busy("scan") == 0

