"""The DNS seam: nameserver parsing, the resolver client over the wire, the zone client."""

from __future__ import annotations

import asyncio

import dns.nameserver
import pytest

from sentinel.dns import MemoClient, Scanner, ZoneClient, make_dns_client, parse_nameservers
from sentinel.dns.client import Nameserver
from sentinel.errors import ValidationError
from tests.dns.conftest import FIXED_NOW, ZONES, run


def test_parse_nameservers():
    assert parse_nameservers("127.0.0.1, 10.0.0.2:5353,[::1]:5353,::1") == [
        Nameserver("127.0.0.1", 53), Nameserver("10.0.0.2", 5353), Nameserver("::1", 5353),
        Nameserver("::1", 53)]
    assert str(Nameserver("::1", 5353)) == "[::1]:5353"


@pytest.mark.parametrize("bad", ["localhost", "1.2.3.4:0", "1.2.3.4:99999", "[::1", "1.2.3",
                                 "[::1]x", "1.2.3.4:port", ","])
def test_parse_nameservers_rejects(bad):
    with pytest.raises(ValidationError) as info:
        parse_nameservers(bad)
    assert info.value.details[0].field == "nameservers"


def test_make_dns_client_is_explicit():
    client = make_dns_client(["[::1]:5353", "127.0.0.1"], timeout=1.5, lifetime=3.0)
    resolver = client.resolver
    servers = resolver.nameservers
    assert all(isinstance(ns, dns.nameserver.Do53Nameserver) for ns in servers)
    assert [(ns.address, ns.port) for ns in servers] == [("::1", 5353), ("127.0.0.1", 53)]
    assert (resolver.timeout, resolver.lifetime) == (1.5, 3.0)
    assert resolver.payload >= 4096 and resolver.edns == 0


def test_answer_statuses_over_the_wire(client):
    ok = run(client.query("example.com", "MX"))
    assert ok.status == "ok"
    assert sorted(ok.records) == ["10 mx1.example.com", "20 mx2.example.com"]
    assert run(client.query("nothing.example.com", "TXT")).status == "nxdomain"
    assert run(client.query("mx1.example.com", "TXT")).status == "nodata"
    servfail = run(client.query("_dmarc.sf.example.org", "TXT"))
    assert servfail.status == "error" and "SERVFAIL" in servfail.error
    cname = run(client.query("alias.example.org", "A"))
    assert cname.records == ("127.0.0.30",) and cname.cnames == ("real.example.org",)
    assert run(client.query("example.com", "DNSKEY")).authenticated is True
    bad = run(client.query("a" * 70 + ".example.com", "A"))
    assert bad.status == "error"


def test_memo_asks_once_even_concurrently(client, dns_server):
    memo = MemoClient(client)

    async def twice():
        return await asyncio.gather(*(memo.query("Example.COM.", "txt") for _ in range(5)))

    before = len(dns_server.queries)
    answers = run(twice())
    assert len({a.records for a in answers}) == 1
    assert memo.asked == [("example.com", "TXT")]
    assert len(dns_server.queries) - before == 1


def test_zone_client_answers_without_network():
    zc = ZoneClient.from_directory(ZONES)
    assert sorted(run(zc.query("example.com", "MX")).records) == ["10 mx1.example.com",
                                                                  "20 mx2.example.com"]
    assert run(zc.query("nowhere.test", "A")).status == "nxdomain"
    assert run(zc.query("b.c.d.e.f.g.h.example.com", "A")).status == "nodata"  # empty non-terminal
    assert run(zc.query("x.example.com", "A")).status == "nxdomain"
    chased = run(zc.query("hosted._domainkey.keys.example.org", "TXT"))
    assert chased.cnames == ("hosted._domainkey.provider.example.net",)
    assert chased.records[0].startswith("v=DKIM1")


def test_zone_client_scan_matches_the_wire(scanner):
    offline = Scanner(ZoneClient.from_directory(ZONES), None, lambda: FIXED_NOW)
    for domain in ("example.com", "twelve.example.org", "keys.example.org"):
        a = offline.scan_sync(domain, ["rsa2048"])
        b = scanner.scan_sync(domain, ["rsa2048"])
        for part in ("dmarc", "spf", "dkim", "mx", "mtaSts", "tlsRpt", "bimi"):
            assert a[part] == b[part], (domain, part)
        assert a["dnssec"]["signed"] == b["dnssec"]["signed"]


def test_invalid_domain_raises_validation_error(scanner):
    with pytest.raises(ValidationError):
        scanner.scan_sync("not a domain")
