"""The MTA-STS fetch through the pinned connect: refused forms never get a connection.

Proof has two sides. A loopback listener on the fetcher's port counts accepts: a
correctly allowed host (``direct``) reaches it, so a count of zero for the others means
something. And a tripwire on ``socket.connect`` records every stream connection the
process attempts and refuses (without sending anything) those to non-loopback addresses:
``64:ff9b::7f00:1`` would never reach a loopback listener, so only the tripwire can show
that no attempt was made, and it keeps this test from sending a packet off the machine
even against code that would try. 127.0.0.0/8 is allowed throughout, so only the policy's
decoding of the embedded address can refuse the two hosts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import Iterator

import pytest

from sentinel.dns.client import make_dns_client
from sentinel.dns.https import HttpxFetcher
from sentinel.dns.scanner import Scanner
from sentinel.net import AddressPolicy
from sentinel.net.pinned import OutboundError, pinned_request
from tests.dns.https_server import LoopbackHttpsServer
from tests.support.dns_server import LoopbackDnsServer

ZONE = """
$ORIGIN pin.example.net.
$TTL 300
@               SOA   ns1 hostmaster 1 3600 600 86400 300
@               NS    ns1
ns1             A     127.0.0.53
_mta-sts.nat64  TXT   "v=STSv1; id=1"
mta-sts.nat64   AAAA  64:ff9b::7f00:1
_mta-sts.mapped TXT   "v=STSv1; id=1"
mta-sts.mapped  AAAA  ::ffff:127.0.0.1
_mta-sts.mixed  TXT   "v=STSv1; id=1"
mta-sts.mixed   AAAA  64:ff9b::7f00:1
mta-sts.mixed   AAAA  ::ffff:127.0.0.1
mta-sts.mixed   AAAA  2002:7f00:1::1
mta-sts.mixed   AAAA  2001:0:4136:e378:8000:63bf:80ff:fffe
_mta-sts.direct TXT   "v=STSv1; id=1"
mta-sts.direct  A     127.0.0.1
"""
ALLOW = ["127.0.0.0/8"]


class CountingListener:
    """A TCP listener on 127.0.0.1 that accepts, counts and closes every connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


def _loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else None
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every stream connect the process attempts; non-loopback ones fail without a packet."""
    seen: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(sock: socket.socket, address: object) -> None:
        if sock.type == socket.SOCK_STREAM:
            seen.append(address)
        if not _loopback(address):
            raise ConnectionRefusedError(f"tripwire: no connection to {address} off loopback")

    def connect(sock: socket.socket, address: object) -> None:
        guard(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: object) -> int:
        guard(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return seen


@pytest.fixture(scope="module")
def dns_server() -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer(ZONE) as server:
        yield server


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    srv = CountingListener()
    yield srv
    srv.close()


def _scan(dns_server: LoopbackDnsServer, listener: CountingListener, domain: str) -> dict:
    client = make_dns_client([dns_server.nameserver], timeout=0.5, lifetime=1.0)
    fetcher = HttpxFetcher(client, port=listener.port, allow_networks=ALLOW, timeout=2.0)
    return Scanner(client, fetcher).scan_sync(domain)


@pytest.mark.parametrize(("domain", "words"), [
    ("nat64.pin.example.net", "64:ff9b::7f00:1 is a NAT64 address (RFC 6052) embedding 127.0.0.1"),
    ("mapped.pin.example.net", "is an IPv4-mapped address (RFC 4291 §2.5.5.2) embedding 127.0.0.1"),
])
def test_embedded_loopback_is_refused_before_any_connection(dns_server, listener, attempts,
                                                            domain, words):
    scan = _scan(dns_server, listener, domain)
    assert attempts == []
    assert listener.accepted == 0
    mta_sts = scan["mtaSts"]
    assert mta_sts["valid"] is False
    assert words in mta_sts["policyError"], mta_sts["policyError"]
    assert "not fetched" in mta_sts["policyError"]
    assert "MTA_STS_POLICY_UNAVAILABLE" in {i["code"] for i in scan["issues"]}


def test_every_embedding_form_is_refused_and_named(dns_server, listener, attempts):
    mta_sts = _scan(dns_server, listener, "mixed.pin.example.net")["mtaSts"]
    error = mta_sts["policyError"]
    for form in ("NAT64", "IPv4-mapped", "6to4", "Teredo"):
        assert form in error, error
    assert attempts == [] and listener.accepted == 0


def test_a_vetted_address_does_reach_the_listener(dns_server, listener, attempts):
    """The control: with the same setup an allowed address is connected to, once, pinned."""
    mta_sts = _scan(dns_server, listener, "direct.pin.example.net")["mtaSts"]
    assert mta_sts["valid"] is False  # the listener speaks no TLS
    assert "HTTPS fetch failed" in mta_sts["policyError"]
    assert attempts == [("127.0.0.1", listener.port)]
    assert listener.accepted == 1


def test_pinned_request_refuses_without_connecting(dns_server, listener, attempts):
    """The seam webhooks will use: a POST to a refused name raises ``refused``."""
    client = make_dns_client([dns_server.nameserver], timeout=0.5, lifetime=1.0)
    policy = AddressPolicy(ALLOW)
    with pytest.raises(OutboundError) as caught:
        asyncio.run(pinned_request(
            "POST", "https://mta-sts.nat64.pin.example.net/hook", dns=client, policy=policy,
            content=b"{}", port=listener.port, schemes=("https", "http")))
    assert caught.value.kind == "refused" and "NAT64" in caught.value.message
    with pytest.raises(OutboundError) as caught:
        asyncio.run(pinned_request("GET", "http://mta-sts.direct.pin.example.net/", dns=client,
                                   policy=policy, port=listener.port))
    assert caught.value.kind == "url"
    assert attempts == [] and listener.accepted == 0


def test_pinned_connect_keeps_the_name_for_host_and_certificate(dns_server, attempts, tmp_path):
    """Connected to the vetted 127.0.0.1, yet Host and certificate check use the name: a
    certificate valid for 127.0.0.1 but not for the name is refused before any request."""
    client = make_dns_client([dns_server.nameserver], timeout=0.5, lifetime=1.0)
    url = "https://mta-sts.direct.pin.example.net/.well-known/mta-sts.txt"
    with LoopbackHttpsServer({"/.well-known/mta-sts.txt": "policy"}, ["mta-sts.direct.pin.example.net"],
                             tmp_path) as srv:
        fetcher = HttpxFetcher(client, ca_bundle=str(srv.ca_file), port=srv.port, allow_networks=ALLOW)
        fetched = asyncio.run(fetcher.get(url))
    assert (fetched.status, fetched.http_status, fetched.body) == ("ok", 200, "policy")
    assert srv.requests == [("mta-sts.direct.pin.example.net", "/.well-known/mta-sts.txt")]
    assert attempts == [("127.0.0.1", srv.port)]
    other = tmp_path / "other"
    other.mkdir()
    with LoopbackHttpsServer({"/.well-known/mta-sts.txt": "policy"}, ["elsewhere.example.org"], other) as srv:
        fetcher = HttpxFetcher(client, ca_bundle=str(srv.ca_file), port=srv.port, allow_networks=ALLOW)
        fetched = asyncio.run(fetcher.get(url))
    assert fetched.status == "error" and "certificate" in (fetched.error or "").lower(), fetched
    assert srv.requests == []
