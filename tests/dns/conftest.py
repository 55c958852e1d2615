"""Fixtures for the DNS scanner tests: a loopback DNS server serving tests/dns/zones."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sentinel.dns.client import make_dns_client
from sentinel.dns.scanner import Scanner
from tests.support.dns_server import LoopbackDnsServer

ZONES = Path(__file__).parent / "zones"
ZONE_FILES = sorted(ZONES.glob("*.zone"))
FIXED_NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
#: What a dropped question costs (sf.example.org's TLS-RPT name). Answers on loopback take
#: microseconds, but on a loaded machine a thread may wait its turn: the lifetime gives every
#: question a second try instead of bounding how fast the server must be.
TIMEOUT, LIFETIME = 1.0, 2.0


@pytest.fixture(scope="session")
def dns_server() -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer(
        ZONE_FILES,
        servfail=["_dmarc.sf.example.org"],
        drop=["_smtp._tls.sf.example.org"],
        ad_zones=["example.com"],
    ) as server:
        yield server


@pytest.fixture
def scanner(dns_server: LoopbackDnsServer) -> Scanner:
    client = make_dns_client([dns_server.nameserver], timeout=TIMEOUT, lifetime=LIFETIME)
    return Scanner(client, None, clock=lambda: FIXED_NOW)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


@pytest.fixture
def client(dns_server: LoopbackDnsServer):  # type: ignore[no-untyped-def]
    return make_dns_client([dns_server.nameserver], timeout=TIMEOUT, lifetime=LIFETIME)


def codes(issues) -> set[str]:  # type: ignore[no-untyped-def]
    """The issue codes of a part's issue list or of a scan result's ``issues``."""
    return {i["code"] if isinstance(i, dict) else i.code for i in issues}
