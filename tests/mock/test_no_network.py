"""Nothing the mock does leaves the machine: its ports are local, and a full workflow
(verify and scan every seeded domain, MTA-STS included) opens no socket beyond loopback."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpx
import pytest

from sentinel.app import Services
from sentinel.clock import ManualClock, SequentialIds
from sentinel.dns.https import StaticFetcher
from sentinel.dns.zones import ZoneClient
from sentinel.ratelimit.memory import MemoryWindows


def test_mock_ports(mock_services: Services) -> None:
    assert isinstance(mock_services.dns, ZoneClient)
    assert isinstance(mock_services.https, StaticFetcher)
    assert isinstance(mock_services.clock, ManualClock)
    assert isinstance(mock_services.ids, SequentialIds)
    assert mock_services.db.in_memory
    assert isinstance(getattr(mock_services.limiter, "storage", None), MemoryWindows)
    assert mock_services.scans.dns is mock_services.dns


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def outbound(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every non-loopback destination any socket tries to reach."""
    seen: list[Any] = []
    real_connect, real_connect_ex, real_sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            seen.append(address)
            raise OSError("outbound connection blocked by test")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            seen.append(address)
            return 111
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        address = args[-1]
        if not _is_loopback(address):
            seen.append(address)
            raise OSError("outbound datagram blocked by test")
        return real_sendto(self, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            seen.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return seen


def test_a_whole_workflow_stays_on_the_machine(outbound: list[Any], owner: httpx.Client) -> None:
    domains = owner.get("/api/domains").json()["data"]["domains"]
    for domain in domains:
        assert owner.post(f"/api/domains/{domain['id']}/verify").status_code == 200
        scan = owner.post(f"/api/domains/{domain['id']}/scan")
        assert scan.status_code in (200, 201), scan.text
    example = next(d for d in domains if d["domain"] == "example.com")
    result = owner.post(f"/api/domains/{example['id']}/scan").json()["data"]
    result = result.get("scan", result)
    assert result["mtaSts"]["found"] is True
    assert {i["severity"] for i in result["issues"]} <= {"warning", "info"}
    assert outbound == []
