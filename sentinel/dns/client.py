"""The one DNS seam: a typed ``DnsClient`` protocol and its resolver-backed implementation.

Every part of the scanner asks DNS through ``DnsClient.query`` and gets a ``DnsAnswer``
back; nothing raises on a DNS failure. dnspython's taxonomy decides the status:
NXDOMAIN is ``nxdomain`` and NoAnswer is ``nodata`` (nothing published: a finding), while
timeouts, SERVFAIL and unreachable servers are ``error`` (could not find out).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from typing import Literal, Protocol

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.name
import dns.nameserver
import dns.rdata
import dns.rdatatype
import dns.resolver
import dns.rrset

from sentinel.errors import ValidationError

AnswerStatus = Literal["ok", "nxdomain", "nodata", "error"]

#: EDNS0 payload we advertise so that large TXT sets (SPF, DKIM) stay on UDP (RFC 6891 §6.2.5).
EDNS_PAYLOAD = 4096


@dataclass(frozen=True)
class DnsAnswer:
    """The outcome of one DNS question.

    ``records`` holds presentation text: for TXT the character-strings of each record
    joined without separators and decoded (RFC 7208 §3.3), for names the target without
    the trailing dot. ``cnames`` lists the CNAME targets followed to reach the answer.
    """

    name: str
    rdtype: str
    status: AnswerStatus
    records: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()
    authenticated: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def missing(self) -> bool:
        """True when DNS said clearly that nothing is published (NXDOMAIN or no data)."""
        return self.status in ("nxdomain", "nodata")

    @property
    def failed(self) -> bool:
        return self.status == "error"


class DnsClient(Protocol):
    """Anything that can answer one DNS question; implementations never raise on DNS failure."""

    async def query(self, name: str, rdtype: str) -> DnsAnswer: ...


def rdata_text(rdata: dns.rdata.Rdata) -> str:
    """Presentation text of one record, TXT joined and decoded, names without the final dot."""
    rdtype = rdata.rdtype
    if rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        strings: list[bytes] = list(rdata.strings)  # type: ignore[attr-defined]
        return b"".join(strings).decode("utf-8", errors="replace")
    if rdtype == dns.rdatatype.MX:
        exchange = rdata.exchange.to_text(omit_final_dot=True)  # type: ignore[attr-defined]
        return f"{rdata.preference} {exchange or '.'}"  # type: ignore[attr-defined]
    if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR):
        target: dns.name.Name = rdata.target  # type: ignore[attr-defined]
        return target.to_text(omit_final_dot=True) or "."
    return rdata.to_text()


def answer_from_rrsets(
    name: str,
    rdtype: str,
    answer: dns.rrset.RRset | None,
    cnames: list[dns.rrset.RRset],
    authenticated: bool,
) -> DnsAnswer:
    """Build a ``DnsAnswer`` from the answer RRset and the CNAME RRsets that led to it."""
    chain = tuple(rdata_text(rr[0]) for rr in cnames if len(rr))
    if answer is None or len(answer) == 0:
        return DnsAnswer(name, rdtype, "nodata", cnames=chain, authenticated=authenticated)
    records = tuple(rdata_text(rd) for rd in answer)
    return DnsAnswer(name, rdtype, "ok", records, chain, authenticated)


class ResolverClient:
    """A ``DnsClient`` over one explicitly configured ``dns.asyncresolver.Resolver``."""

    def __init__(self, resolver: dns.asyncresolver.Resolver) -> None:
        self._resolver = resolver

    @property
    def resolver(self) -> dns.asyncresolver.Resolver:
        return self._resolver

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        """Ask one question; never raises (failures come back as ``status="error"``)."""
        rdtype = rdtype.upper()
        try:
            qname = dns.name.from_text(name)
        except dns.exception.DNSException as exc:
            return DnsAnswer(name, rdtype, "error", error=f"invalid DNS name: {exc}")
        try:
            # The lifetime is a hard bound: dnspython sleeps its back-off (0.1 s, doubling)
            # before it checks the lifetime, so an unanswered question took the lifetime
            # plus the last back-off (5.4 s instead of 5), and a scan of a lame zone with it.
            async with asyncio.timeout(self._resolver.lifetime):
                # resolve() retries over TCP by itself when a UDP answer comes back truncated.
                answer = await self._resolver.resolve(
                    qname, rdtype, raise_on_no_answer=False, search=False
                )
        except dns.resolver.NXDOMAIN:
            return DnsAnswer(name, rdtype, "nxdomain")
        except dns.resolver.NoAnswer:
            return DnsAnswer(name, rdtype, "nodata")
        except (dns.resolver.LifetimeTimeout, TimeoutError):
            return DnsAnswer(name, rdtype, "error", error=f"DNS timeout asking {name} {rdtype}")
        except dns.resolver.NoNameservers as exc:
            message = _no_nameservers_message(name, rdtype, exc)
            return DnsAnswer(name, rdtype, "error", error=message)
        except dns.exception.DNSException as exc:
            message = f"DNS error asking {name} {rdtype}: {exc}"
            return DnsAnswer(name, rdtype, "error", error=message)
        except OSError as exc:
            return DnsAnswer(name, rdtype, "error", error=f"network error asking {name}: {exc}")
        chaining = answer.chaining_result
        authenticated = bool(answer.response.flags & dns.flags.AD)
        return answer_from_rrsets(name, rdtype, chaining.answer, chaining.cnames, authenticated)


def _no_nameservers_message(name: str, rdtype: str, exc: dns.resolver.NoNameservers) -> str:
    errors = exc.kwargs.get("errors") or []
    reasons = sorted({str(err[3]) for err in errors if len(err) > 3})
    why = "; ".join(reasons) if reasons else "no nameserver answered"
    return f"DNS failure asking {name} {rdtype}: {why}"


@dataclass(frozen=True)
class Nameserver:
    """One configured nameserver address and port."""

    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def _parse_one(entry: str) -> Nameserver:
    text = entry.strip()
    port = 53
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError("bad bracketed IPv6 address")
        if rest:
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = int(port_text)
    else:
        host = text
    address = str(ipaddress.ip_address(host))
    if not 0 < port < 65536:
        raise ValueError("port out of range")
    return Nameserver(address, port)


def parse_nameservers(text: str | list[str]) -> list[Nameserver]:
    """Parse ``ip[:port]`` entries (comma-separated text or a list), e.g. ``[::1]:5353``.

    Raises ValidationError naming the first entry that is not an IP address with an
    optional port between 1 and 65535.
    """
    entries = text.split(",") if isinstance(text, str) else list(text)
    result: list[Nameserver] = []
    for entry in entries:
        if not entry.strip():
            continue
        try:
            result.append(_parse_one(entry))
        except ValueError:
            raise ValidationError.field(
                "nameservers",
                f"'{entry.strip()[:60]}' is not a nameserver: use IP[:PORT], "
                "with IPv6 in brackets when a port is given ([::1]:5353).",
            ) from None
    if not result and (text if isinstance(text, str) else entries):
        raise ValidationError.field("nameservers", "No nameserver given.")
    return result


def make_resolver(
    nameservers: list[str] | None, timeout: float = 2.0, lifetime: float = 5.0
) -> dns.asyncresolver.Resolver:
    """The one resolver factory: explicit servers (else the system's), timeouts and EDNS0.

    Raises ValidationError for malformed nameserver entries.
    """
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(ns.address, ns.port)
            for ns in parse_nameservers(list(nameservers))
        ]
    else:
        resolver = dns.asyncresolver.Resolver(configure=True)
    resolver.timeout = timeout
    resolver.lifetime = lifetime
    resolver.retry_servfail = False
    resolver.use_edns(0, 0, EDNS_PAYLOAD)
    # Ask for the AD bit so a validating resolver tells us the answer was DNSSEC-verified.
    resolver.flags = dns.flags.RD | dns.flags.AD
    return resolver


def make_dns_client(
    nameservers: list[str] | None, timeout: float = 2.0, lifetime: float = 5.0
) -> ResolverClient:
    """A ``ResolverClient`` for the given ``ip[:port]`` servers (or the system's).

    Raises ValidationError for malformed nameserver entries.
    """
    return ResolverClient(make_resolver(nameservers, timeout, lifetime))


@dataclass
class MemoClient:
    """Per-scan memo: a name and type asked twice (even concurrently) goes out once."""

    inner: DnsClient
    asked: list[tuple[str, str]] = field(default_factory=list)
    _pending: dict[tuple[str, str], asyncio.Future[DnsAnswer]] = field(default_factory=dict)

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        key = (name.rstrip(".").lower(), rdtype.upper())
        future = self._pending.get(key)
        if future is None:
            self.asked.append(key)
            future = asyncio.ensure_future(self._ask(key))
            self._pending[key] = future
        return await asyncio.shield(future)

    async def _ask(self, key: tuple[str, str]) -> DnsAnswer:
        try:
            return await self.inner.query(*key)
        except Exception as exc:  # a DnsClient must not raise; contain a faulty one anyway
            return DnsAnswer(key[0], key[1], "error", error=f"DNS client failure: {exc}")
