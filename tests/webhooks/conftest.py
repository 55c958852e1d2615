"""Webhook tests: services with a controllable clock that may reach loopback receivers, a
live server on them, and a loopback DNS server with names pointing at refused addresses.

The clock starts at the real time: receivers verify `webhook-timestamp` against their own
clock with the library's 5-minute tolerance (it is signed with the real time anyway)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpcore
import pytest

from sentinel.app import Services, build_services, create_app
from sentinel.clock import ManualClock
from sentinel.settings import Settings
from sentinel.worker import Worker
from tests.support.api import Tenant, new_tenant
from tests.support.dns_server import LoopbackDnsServer
from tests.support.server import LiveServer

KEY = "q0GJ1PKFd1rF0m8eBoIn4BVyBgXcXp1ZWcPzs8VcG0Y="
REPORT = Path(__file__).resolve().parents[2] / "mocks" / "reports" / "google.com!example.com!20260113.xml"
ZONE = """$ORIGIN hooks.test.
$TTL 60
@        SOA  ns hostmaster 1 3600 600 86400 60
@        NS   ns
ns       A    127.0.0.1
private  A    10.1.2.3
metadata A    169.254.169.254
loop     A    127.0.0.1
mixed    A    127.0.0.1
mixed    A    10.9.9.9
v6loop   AAAA ::1
; Public, so only the plain-http rule refuses it; never connected to (refused before).
public   A    93.184.215.14
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the configured database are marked `db`, so CI reruns them on PostgreSQL."""
    for item in items:
        if "hooks" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


class RecordingNetwork(httpcore.AsyncNetworkBackend):
    """The real network backend, noting every address a connection was opened to."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> Any:
        self.connected.append((host, port))
        return await self.inner.connect_tcp(host, port, timeout=timeout, socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@pytest.fixture(scope="session")
def hook_dns() -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer([ZONE]) as server:
        yield server


def hook_settings(tmp: Path, dns: LoopbackDnsServer, **overrides: Any) -> Settings:
    url = os.environ.get("MAILSENTINEL_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'hooks.db'}"
    values: dict[str, Any] = {
        "database_url": url, "nameservers": (dns.nameserver,), "dns_timeout": 1.0, "dns_lifetime": 2.0,
        "auth_failures_per_minute": 1_000_000, "allowed_target_networks": ("127.0.0.0/8",),
        "webhook_secret_keys": (KEY,), "webhook_timeout": 2.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def hook_db_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hooks")


@pytest.fixture(scope="session")
def network() -> RecordingNetwork:
    return RecordingNetwork()


@pytest.fixture(scope="session")
def hooks(hook_db_dir: Path, hook_dns: LoopbackDnsServer, network: RecordingNetwork) -> Iterator[Services]:
    """Services allowed to reach 127.0.0.0/8, on a ManualClock starting now."""
    svc = build_services(hook_settings(hook_db_dir, hook_dns), clock=ManualClock(datetime.now(UTC)),
                         webhook_network=network)
    yield svc
    svc.db.dispose()


@pytest.fixture(scope="session")
def strict(hook_db_dir: Path, hook_dns: LoopbackDnsServer, hooks: Services) -> Iterator[Services]:
    """The same database and clock, under the production policy (no allowed networks)."""
    network = RecordingNetwork()
    svc = build_services(hook_settings(hook_db_dir, hook_dns, allowed_target_networks=()), clock=hooks.clock,
                         migrate=False, webhook_network=network)
    yield svc
    svc.db.dispose()


@pytest.fixture(scope="session")
def hooks_live(hooks: Services) -> Iterator[LiveServer]:
    with LiveServer(create_app(hooks.settings, services=hooks), hooks.settings) as server:
        yield server


@pytest.fixture
def owner(hooks: Services, hooks_live: LiveServer) -> Iterator[Tenant]:
    t = new_tenant(hooks, hooks_live.url)
    yield t
    t.http.close()


@pytest.fixture
def other_owner(hooks: Services, hooks_live: LiveServer) -> Iterator[Tenant]:
    t = new_tenant(hooks, hooks_live.url, label="stranger")
    yield t
    t.http.close()


@pytest.fixture
def clock(hooks: Services) -> ManualClock:
    assert isinstance(hooks.clock, ManualClock)
    return hooks.clock


@pytest.fixture
def worker(hooks: Services) -> Worker:
    return Worker(hooks.jobs, hooks.clock)


def add_webhook(t: Tenant, url: str, **extra: Any) -> tuple[dict[str, Any], str]:
    """An endpoint for `report.received` unless `events` says otherwise: an upload may also open
    alerts (new sources), whose deliveries would otherwise join every count."""
    extra.setdefault("events", ["report.received"])
    data = t.data(t.post(f"/api/organizations/{t.org_id}/webhooks", json={"url": url, **extra}), 201)
    return data["webhook"], data["secret"]


def upload_report(t: Tenant) -> dict[str, Any]:
    t.create_domain("example.com")
    r = t.post(f"/api/organizations/{t.org_id}/reports", content=REPORT.read_bytes(),
               headers={"Content-Type": "application/xml"})
    return t.data(r, 201)  # type: ignore[no-any-return]
