"""Authoritative answers from zone files, with no network: ``ZoneSet`` and ``ZoneClient``.

``ZoneSet`` implements the lookup half of an authoritative server (RFC 1034 §4.3.2:
exact match, CNAME following, empty non-terminals, wildcards). ``ZoneClient`` is the
``DnsClient`` the mock server mode uses; the loopback test server answers from the
same ``ZoneSet`` over the wire.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.name
import dns.node
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

from sentinel.dns.client import DnsAnswer, answer_from_rrsets

MAX_CNAME_HOPS = 8
ZONE_SUFFIXES = (".zone", ".db", ".txt")


@dataclass
class ZoneLookup:
    """What an authoritative server would answer: rcode text, answer and CNAME RRsets."""

    rcode: str  # "NOERROR" | "NXDOMAIN"
    answer: dns.rrset.RRset | None = None
    cnames: list[dns.rrset.RRset] = field(default_factory=list)
    in_zone: bool = True


class ZoneSet:
    """A set of loaded zones answering questions the way their authoritative server would."""

    def __init__(self, zones: Iterable[dns.zone.Zone]) -> None:
        self._zones = sorted(zones, key=lambda z: len(z.origin or dns.name.root), reverse=True)
        self._by_origin = {z.origin: z for z in reversed(self._zones)}
        self._existing: set[dns.name.Name] = set()
        for zone in self._zones:
            assert zone.origin is not None
            for rel in zone.nodes:
                name = rel.derelativize(zone.origin)
                while len(name) >= len(zone.origin):
                    self._existing.add(name)
                    if name == zone.origin:
                        break
                    name = name.parent()

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> ZoneSet:
        """Load zones from zone-file text; each must carry ``$ORIGIN`` or an SOA owner.

        Raises dns.exception.DNSException (a SyntaxError subclass) on a malformed zone.
        """
        return cls(_zone_from_text(text) for text in texts)

    def replaced(self, text: str) -> tuple[ZoneSet, str]:
        """A copy with the zone in `text` instead of the loaded one of the same origin (or added);
        returns it and that origin. Raises dns.exception.DNSException on a malformed zone."""
        zone = _zone_from_text(text)
        kept = [z for z in self._zones if z.origin != zone.origin]
        return ZoneSet([*kept, zone]), str(zone.origin).rstrip(".")

    @property
    def origins(self) -> list[str]:
        return sorted(str(z.origin).rstrip(".") for z in self._zones)

    @classmethod
    def from_paths(cls, paths: Iterable[Path | str]) -> ZoneSet:
        """Load zone files; raises OSError or dns.exception.DNSException."""
        return cls(_zone_from_text(Path(p).read_text(encoding="utf-8")) for p in paths)

    @classmethod
    def from_directory(cls, path: Path | str) -> ZoneSet:
        """Load every ``*.zone``/``*.db``/``*.txt`` file of a directory."""
        files = sorted(p for p in Path(path).iterdir() if p.suffix in ZONE_SUFFIXES)
        return cls.from_paths(files)

    def _zone_for(self, name: dns.name.Name) -> dns.zone.Zone | None:
        """The zone with the longest origin containing ``name`` (walks up the labels)."""
        while True:
            zone = self._by_origin.get(name)
            if zone is not None:
                return zone
            if name == dns.name.root or len(name) == 0:
                return None
            name = name.parent()

    def lookup(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> ZoneLookup:
        """Answer one question from the zones; NXDOMAIN for names outside all of them."""
        cnames: list[dns.rrset.RRset] = []
        name = qname
        for _ in range(MAX_CNAME_HOPS + 1):
            zone = self._zone_for(name)
            if zone is None:
                return ZoneLookup("NXDOMAIN", None, cnames, in_zone=bool(cnames))
            node = zone.get_node(name) or self._wildcard(zone, name)
            if node is None:
                rcode = "NOERROR" if name in self._existing else "NXDOMAIN"
                return ZoneLookup(rcode, None, cnames)
            rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if rdataset is not None:
                rrset = dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))
                return ZoneLookup("NOERROR", rrset, cnames)
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None or rdtype == dns.rdatatype.CNAME:
                return ZoneLookup("NOERROR", None, cnames)
            cnames.append(dns.rrset.from_rdata_list(name, cname.ttl, list(cname)))
            name = cname[0].target
        return ZoneLookup("NOERROR", None, cnames)

    def _wildcard(self, zone: dns.zone.Zone, name: dns.name.Name) -> dns.node.Node | None:
        """The wildcard node covering ``name`` at its closest encloser (RFC 4592 §3.3.1)."""
        assert zone.origin is not None
        if name in self._existing:
            return None
        encloser = name.parent()
        while len(encloser) >= len(zone.origin):
            if encloser in self._existing:
                return zone.get_node(dns.name.Name((b"*", *encloser.labels)))
            encloser = encloser.parent()
        return None


def _zone_from_text(text: str) -> dns.zone.Zone:
    return dns.zone.from_text(text, origin=None, relativize=False, check_origin=False)


class ZoneClient:
    """A ``DnsClient`` answering from zone files, for the mock mode: no network at all."""

    def __init__(self, zones: ZoneSet, authenticated: bool = False) -> None:
        self.zones = zones
        self.authenticated = authenticated

    @classmethod
    def from_directory(cls, path: Path | str) -> ZoneClient:
        """Load every zone file of a directory; raises OSError or dns.exception.DNSException."""
        return cls(ZoneSet.from_directory(path))

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> ZoneClient:
        return cls(ZoneSet.from_texts(texts))

    async def query(self, name: str, rdtype: str) -> DnsAnswer:
        rdtype = rdtype.upper()
        try:
            qname = dns.name.from_text(name)
            qtype = dns.rdatatype.from_text(rdtype)
        except dns.exception.DNSException as exc:
            return DnsAnswer(name, rdtype, "error", error=f"invalid DNS question: {exc}")
        result = self.zones.lookup(qname, qtype)
        if result.rcode == "NXDOMAIN":
            return DnsAnswer(name, rdtype, "nxdomain")
        return answer_from_rrsets(name, rdtype, result.answer, result.cnames, self.authenticated)


__all__ = ["ZoneClient", "ZoneLookup", "ZoneSet"]
