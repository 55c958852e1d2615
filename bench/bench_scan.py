"""Scan benchmark: MailSentinel vs checkdmarc on generated domains through a slow local DNS.

Generates realistic zones for 32 domains (DMARC with external rua, SPF includes three
deep through shared provider zones, DKIM selectors, MX, MTA-STS with an HTTPS policy,
TLS-RPT, BIMI), serves them from the loopback DNS server of the tests with a fixed
20 ms added to every answer, and scans every domain with both tools in the same run:
per-domain medians, then the whole set (MailSentinel concurrently, checkdmarc as its
``check_domains`` does it). Nothing leaves loopback: a socket guard refuses any other
address and any system name resolution.

Run: ``.venv-bench/bin/python bench/bench_scan.py [--domains N] [--rounds R]``
Targets: >= 8x per domain (median of medians), >= 30x on the whole set.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import ipaddress
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DELAY_MS = 20
TARGET_PER_DOMAIN = 8.0
TARGET_WHOLE_SET = 30.0


# --- nothing leaves loopback -------------------------------------------------------------
def _loopback_only() -> None:
    """Refuse connections/datagrams to non-loopback addresses and system name lookups."""

    def check(address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        try:
            ok = ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            ok = False
        if not ok:
            raise OSError(f"bench guard: refusing non-loopback address {host!r}")

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host is not None:
            check((host.decode() if isinstance(host, bytes) else host, 0))
        return real_getaddrinfo(host, *args, **kwargs)

    for name in ("connect", "connect_ex"):
        real = getattr(socket.socket, name)

        def guarded(self, address, _real=real):  # type: ignore[no-untyped-def]
            if self.family in (socket.AF_INET, socket.AF_INET6):
                check(address)
            return _real(self, address)

        setattr(socket.socket, name, guarded)
    real_sendto = socket.socket.sendto

    def sendto(self, data, *args):  # type: ignore[no-untyped-def]
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(args[-1])
        return real_sendto(self, data, *args)

    socket.socket.sendto = sendto  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


_loopback_only()

import dns.nameserver  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from sentinel.dns import HttpxFetcher, Scanner, make_dns_client  # noqa: E402
from tests.dns.https_server import LoopbackHttpsServer  # noqa: E402
from tests.support.dns_server import LoopbackDnsServer  # noqa: E402

PROVIDERS = ["mailhost-one.com", "mailhost-two.com", "mailhost-three.com"]
SELECTORS = ["selector1", "google", "s1", "k1"]


def _key_txt() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    text = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    return " ".join(f'"{text[i:i + 200]}"' for i in range(0, len(text), 200))


def _head(origin: str) -> str:
    return (f"$ORIGIN {origin}.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
            "@ NS ns1\nns1 A 127.0.0.53\n")


def provider_zone(index: int, name: str, domains: list[str]) -> str:
    """A mail provider: SPF include two deep, and the DMARC report receiver."""
    lines = [_head(name),
             f'_spf TXT "v=spf1 include:_netblocks.{name} include:_netblocks2.{name} ~all"',
             f'_netblocks TXT "v=spf1 ip4:127.{index}.0.0/16 ip4:127.{index}.1.0/24 ~all"',
             f'_netblocks2 TXT "v=spf1 ip6:::1 a:relay.{name} ~all"',
             f"relay A 127.{index}.2.1", "mx1 A 127.0.0.25", "mx2 A 127.0.0.26"]
    lines += [f'{d}._report._dmarc TXT "v=DMARC1"' for d in domains]
    return "\n".join(lines) + "\n"


def domain_zone(i: int, name: str, key: str) -> str:
    provider = PROVIDERS[i % len(PROVIDERS)]
    selector = SELECTORS[i % len(SELECTORS)]
    policy = ["reject", "quarantine", "none"][i % 3]
    lines = [
        _head(name),
        "@ A 127.0.10.1",
        "@ MX 10 mx1", "@ MX 20 mx2", "mx1 A 127.0.10.2", "mx2 A 127.0.10.3",
        f'@ TXT "v=spf1 mx a include:_spf.{name} include:_spf.{provider} -all"',
        f'@ TXT "google-site-verification=bench{i:03d}"',
        f'_spf TXT "v=spf1 ip4:127.0.{i}.0/24 include:_spf2.{name} ~all"',
        f'_spf2 TXT "v=spf1 ip4:127.1.{i}.0/24 -all"',
        f'_dmarc TXT "v=DMARC1; p={policy}; sp={policy}; adkim=r; aspf=r; fo=1; '
        f'rua=mailto:dmarc@{name},mailto:agg@{provider}; ruf=mailto:dmarc@{name}"',
        f"{selector}._domainkey TXT {key}",
        f'_mta-sts TXT "v=STSv1; id=2024{i:04d}"',
        "mta-sts A 127.0.0.1",
        f'_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@{name}"',
    ]
    if i % 2 == 0:
        lines.append(f'default._bimi TXT "v=BIMI1; l=https://{name}/logo.svg"')
    return "\n".join(lines) + "\n"


def build(count: int) -> tuple[list[str], list[str]]:
    domains = [f"bench-{i:02d}-mailsentinel.com" for i in range(count)]
    keys = [_key_txt() for _ in range(4)]
    zones = [domain_zone(i, d, keys[i % len(keys)]) for i, d in enumerate(domains)]
    zones += [provider_zone(i + 1, p, domains) for i, p in enumerate(PROVIDERS)]
    return domains, zones


def policy_pages(domains: list[str]) -> dict[object, str]:
    return {
        (f"mta-sts.{d}", "/.well-known/mta-sts.txt"):
            f"version: STSv1\nmode: enforce\nmx: *.{d}\nmax_age: 604800\n"
        for d in domains
    }


def _serve(zones: list[str], domains: list[str], tmp: str, conn) -> None:  # type: ignore[no-untyped-def]
    """Child process: the DNS and HTTPS servers, so their work does not share our GIL."""
    with LoopbackDnsServer(zones, delay_ms=DELAY_MS) as dns_srv, LoopbackHttpsServer(
        policy_pages(domains), [f"mta-sts.{d}" for d in domains], Path(tmp)
    ) as https_srv:
        conn.send((dns_srv.port, https_srv.port, str(https_srv.ca_file)))
        conn.recv()  # until the parent says stop


class Servers:
    """The loopback DNS server (20 ms per answer) and the MTA-STS HTTPS server in a child
    process, as a real resolver and web server would be."""

    def __init__(self, zones: list[str], domains: list[str], tmp: str) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._proc = multiprocessing.get_context("fork").Process(
            target=_serve, args=(zones, domains, tmp, child), daemon=True)
        self.address = "127.0.0.1"
        self.port = self.https_port = 0
        self.ca_file = ""

    @property
    def nameserver(self) -> str:
        return f"{self.address}:{self.port}"

    def __enter__(self) -> Servers:
        self._proc.start()
        self.port, self.https_port, self.ca_file = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._proc.join(5)


# --- the two contenders ----------------------------------------------------------------------
def sentinel_scanner(servers: Servers) -> Scanner:
    client = make_dns_client([servers.nameserver], timeout=2.0, lifetime=5.0)
    fetcher = HttpxFetcher(client, ca_bundle=servers.ca_file, port=servers.https_port,
                           allow_networks=["127.0.0.0/8"])
    return Scanner(client, fetcher)


def checkdmarc_scan(domains: list[str], ip: str, port: int) -> object:
    import checkdmarc
    import checkdmarc.utils

    # checkdmarc caches answers process-wide; each measured run starts cold, as ours does.
    checkdmarc.utils.DNS_CACHE.clear()
    return checkdmarc.check_domains(
        domains, nameservers=[dns.nameserver.Do53Nameserver(ip, port)], timeout=2.0)


def timed(fn, *args):  # type: ignore[no-untyped-def]
    # Same hygiene for both tools: start each measurement from a collected, frozen heap so
    # neither pays for the other's garbage.
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="scans per domain per tool")
    args = parser.parse_args()
    domains, zones = build(args.domains)
    print(f"{len(domains)} domains, {len(zones)} zones, {DELAY_MS} ms per DNS answer, "
          f"{args.rounds} rounds per domain\n")
    with tempfile.TemporaryDirectory() as tmp, Servers(zones, domains, tmp) as servers:
        ip, port = servers.address, servers.port
        scanner = sentinel_scanner(servers)
        checkdmarc_scan(domains[:1], ip, port)  # warm imports, PSL loading
        scanner.scan_sync(domains[0])

        rows = []
        for domain in domains:
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(timed(scanner.scan_sync, domain)[0])
                theirs.append(timed(checkdmarc_scan, [domain], ip, port)[0])
            rows.append((domain, statistics.median(ours), statistics.median(theirs)))
        check = scanner.scan_sync(domains[0])
        assert check["spf"]["dnsLookups"] >= 8 and check["mtaSts"]["valid"], check["mtaSts"]

        async def all_at_once() -> list[dict[str, object]]:
            return list(await asyncio.gather(*(scanner.scan(d) for d in domains)))

        ours_all, results = timed(asyncio.run, all_at_once())
        theirs_all, _ = timed(checkdmarc_scan, domains, ip, port)
        assert all(r["spf"]["status"] == "ok" for r in results)

    print(f"{'domain':34} {'MailSentinel':>13} {'checkdmarc':>11} {'ratio':>7}")
    for domain, ours_t, theirs_t in rows:
        print(f"{domain:34} {ours_t * 1000:10.0f} ms {theirs_t * 1000:8.0f} ms "
              f"{theirs_t / ours_t:6.1f}x")
    med_ours = statistics.median(r[1] for r in rows)
    med_theirs = statistics.median(r[2] for r in rows)
    per_domain = med_theirs / med_ours
    whole = theirs_all / ours_all
    print(f"\nper-domain median: MailSentinel {med_ours * 1000:.0f} ms, checkdmarc "
          f"{med_theirs * 1000:.0f} ms -> {per_domain:.1f}x (target >= {TARGET_PER_DOMAIN:.0f}x)")
    print(f"whole set of {len(domains)}: MailSentinel (concurrent) {ours_all * 1000:.0f} ms, "
          f"checkdmarc {theirs_all * 1000:.0f} ms -> {whole:.1f}x "
          f"(target >= {TARGET_WHOLE_SET:.0f}x)")
    met = per_domain >= TARGET_PER_DOMAIN and whole >= TARGET_WHOLE_SET
    print("targets met" if met else "TARGETS NOT MET")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
