"""Alerts against real components: a loopback DNS server whose zone the test rewrites,
services on the session's database (SQLite or PostgreSQL), a live HTTP server, and a
clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from sentinel.app import Services, build_services, create_app
from sentinel.clock import ManualClock
from sentinel.settings import Settings
from sentinel.store.models import Event
from tests.support.api import Tenant, new_tenant
from tests.support.dns_server import LoopbackDnsServer
from tests.support.server import LiveServer

FILES = Path(__file__).resolve().parent / "files"
START = datetime(2026, 1, 16, 8, 0, tzinfo=UTC)

SPF = "v=spf1 mx -all"
DMARC = "v=DMARC1; p=reject; rua=mailto:dmarc@watch.example.com"


def zone(token: str = "", spf: str = SPF, dmarc: str = DMARC, extra: str = "") -> str:
    return f"""$ORIGIN watch.example.com.
$TTL 300
@        SOA  ns1 hostmaster 1 3600 600 86400 300
@        NS   ns1
ns1      A    127.0.0.53
@        MX   10 mx
mx       A    127.0.0.25
@        TXT  "{spf}"
_dmarc   TXT  "{dmarc}"
_mailsentinel TXT "mailsentinel-verify={token}"
custom._domainkey TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
{extra}
"""


@dataclass
class Stack:
    dns: LoopbackDnsServer
    services: Services
    live: LiveServer
    clock: ManualClock
    tenants: list[Tenant] = field(default_factory=list)

    def publish(self, text: str) -> None:
        """Replace what the DNS server answers."""
        self.dns.publish([text])

    def tenant(self) -> Tenant:
        t = new_tenant(self.services, self.live.url)
        self.tenants.append(t)
        return t

    def events(self, org_id: str, event_type: str) -> list[Event]:
        with self.services.db.transaction() as session:
            return list(
                session.scalars(
                    select(Event)
                    .where(Event.organization_id == org_id, Event.type == event_type)
                    .order_by(Event.created_at, Event.id)
                )
            )


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    clock = ManualClock(START)
    with LoopbackDnsServer([zone()]) as dns:
        services = build_services(settings.with_overrides(nameservers=(dns.nameserver,)), clock=clock)
        with LiveServer(create_app(services.settings, services=services)) as live:
            built = Stack(dns, services, live, clock)
            yield built
            for t in built.tenants:
                t.http.close()
        services.db.dispose()
