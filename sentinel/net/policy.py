"""Which addresses an outbound fetch may reach: the one SSRF policy of the server.

Every fetch the server makes on behalf of a tenant (MTA-STS policies, BIMI logos, webhook
deliveries) connects only to addresses this module allows: globally reachable unicast,
minus every special-purpose range of the IANA IPv4 and IPv6 registries (RFC 6890), minus
every IPv6 form that embeds an IPv4 address and so may be translated to it (IPv4-mapped,
-compatible and -translated, NAT64, 6to4, Teredo). The tables are explicit rather than
``ipaddress.is_global`` alone because the latter differs between Python versions (3.11
calls ``64:ff9b::/96``, ``2002::/16`` and ``fec0::/10`` global).

``allow_networks`` (``MAILSENTINEL_ALLOWED_TARGET_NETWORKS``) is the one exception: an
address inside a listed network is allowed as written. An embedding form is never allowed
by the network of its embedded IPv4 address: ``64:ff9b::7f00:1`` stays refused with
``127.0.0.0/8`` listed, because the listing is about where we connect, and a translator
decides where that goes. An operator behind NAT64 may list ``64:ff9b::/96``; the embedded
IPv4 address must then pass this policy too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sentinel.errors import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Verdict:
    """The decision on one address; ``reason`` says why in words a user can act on."""

    address: str
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def _table(rows: Iterable[tuple[str, str]]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(net), label) for net, label in rows)


# IANA IPv4 Special-Purpose Address Registry (RFC 6890 and successors), most specific first.
# Ranges the registry marks globally reachable but that no web server lives in are refused
# as well (192.0.0.0/24 as a whole, the deprecated 6to4 relay anycast).
_IPV4_REFUSED = _table([
    ("0.0.0.0/8", "'this network' (RFC 791)"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared carrier-grade NAT space (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("255.255.255.255/32", "limited broadcast (RFC 919)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
])

# IANA IPv6 Special-Purpose Address Registry, most specific first. Embedding forms come
# first so that the reason names the IPv4 address inside.
_IPV6_REFUSED = _table([
    ("::/128", "the unspecified address (RFC 4291)"),
    ("::1/128", "loopback (RFC 4291)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("2001:2::/48", "benchmarking (RFC 5180)"),
    ("2001:10::/28", "ORCHID (RFC 4843)"),
    ("2001:20::/28", "ORCHIDv2 (RFC 7343)"),
    ("2001::/23", "IETF protocol assignments (RFC 2928)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "SRv6 SIDs (RFC 9602)"),
    ("fc00::/7", "unique local (RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291)"),
    ("fec0::/10", "site-local, deprecated (RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291)"),
])
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")  # all IANA ever allocates (RFC 4291 §2.4)


def _low32(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _nat64_48(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    # RFC 6052 §2.2 layout for a /48 prefix: bits 48-63 and 72-87 (bits 64-71 are "u").
    raw = ip.packed
    return ipaddress.IPv4Address(raw[6:8] + raw[9:11])


Decoder = Callable[[ipaddress.IPv6Address], "list[ipaddress.IPv4Address]"]

# (network, name, decoder of the IPv4 address(es) it may be translated to). Teredo's client
# address is stored bit-inverted (RFC 4380 §4); ``ipaddress`` undoes that.
_EMBEDDING: tuple[tuple[IPNetwork, str, Decoder], ...] = (
    (ipaddress.ip_network("::ffff:0:0/96"), "an IPv4-mapped address (RFC 4291 §2.5.5.2)",
     lambda ip: [_low32(ip)]),
    (ipaddress.ip_network("::ffff:0:0:0/96"), "an IPv4-translated address (RFC 2765)",
     lambda ip: [_low32(ip)]),
    (ipaddress.ip_network("64:ff9b::/96"), "a NAT64 address (RFC 6052)", lambda ip: [_low32(ip)]),
    (ipaddress.ip_network("64:ff9b:1::/48"), "a local-use NAT64 address (RFC 8215)",
     lambda ip: [_low32(ip), _nat64_48(ip)]),
    (ipaddress.ip_network("2002::/16"), "a 6to4 address (RFC 3056)",
     lambda ip: [ip.sixtofour] if ip.sixtofour else []),
    (ipaddress.ip_network("2001::/32"), "a Teredo address (RFC 4380)",
     lambda ip: [ip.teredo[1]] if ip.teredo else []),
    # Last: ::/96 holds ::1 and :: (refused above) and the mapped forms' neighbours.
    (ipaddress.ip_network("::/96"), "a deprecated IPv4-compatible address (RFC 4291 §2.5.5.1)",
     lambda ip: [_low32(ip)]),
)


def parse_networks(networks: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse allow-list entries such as ``127.0.0.0/8`` or ``::1``.

    Raises ValidationError naming the first unusable entry.
    """
    parsed: list[IPNetwork] = []
    for entry in networks:
        try:
            parsed.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValidationError(
                f"MAILSENTINEL_ALLOWED_TARGET_NETWORKS: {entry!r} is not an IP network."
            ) from None
    return tuple(parsed)


class AddressPolicy:
    """The outbound-address policy with its allow list parsed once."""

    def __init__(self, allow_networks: Iterable[str | IPNetwork] = ()) -> None:
        entries = list(allow_networks)
        texts = [e for e in entries if isinstance(e, str)]
        self.allowed: tuple[IPNetwork, ...] = (
            *(e for e in entries if not isinstance(e, str)), *parse_networks(texts))

    def check(self, address: str | IPAddress) -> Verdict:
        """Decide whether a connection to ``address`` may be made. Never raises."""
        text = str(address)
        if "%" in text:
            return Verdict(text, False, f"{text} is a scoped address; scoped addresses are "
                                        "never fetched")
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            return Verdict(text, False, f"{text!r} is not an IP address")
        return self._check(ip, depth=0)

    def _listed(self, ip: IPAddress) -> IPNetwork | None:
        return next((net for net in self.allowed
                     if net.version == ip.version and ip in net), None)

    def _check(self, ip: IPAddress, depth: int) -> Verdict:
        text = str(ip)
        listed = self._listed(ip)
        if isinstance(ip, ipaddress.IPv6Address):
            for net, name, decode in _EMBEDDING:
                if ip not in net or ip in (ipaddress.IPv6Address("::"),
                                           ipaddress.IPv6Address("::1")):
                    continue
                inner = decode(ip)
                shown = ", ".join(map(str, inner)) or "no usable IPv4 address"
                if listed is None or depth > 0:
                    return Verdict(text, False, f"{text} is {name} embedding {shown}; refused")
                for v4 in inner:
                    verdict = self._check(v4, depth + 1)
                    if not verdict:
                        return Verdict(text, False, f"{text} is {name} embedding {v4}, "
                                                    f"which is refused: {verdict.reason}")
                return Verdict(text, True, f"{text} is in the allowed network {listed} and "
                                           f"embeds the allowed {shown}")
        if listed is not None:
            return Verdict(text, True, f"{text} is in the allowed network {listed}")
        table = _IPV4_REFUSED if ip.version == 4 else _IPV6_REFUSED
        for net, label in table:
            if ip in net:
                return Verdict(text, False, f"{text} is {label}; refused")
        if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST:
            return Verdict(text, False, f"{text} is outside the global unicast space "
                                        f"{_GLOBAL_UNICAST}; refused")
        if not ip.is_global:  # belt and braces: whatever Python also knows to be special
            return Verdict(text, False, f"{text} is not globally reachable; refused")
        return Verdict(text, True, f"{text} is a public address")


def is_allowed(address: str | IPAddress, allow_networks: Iterable[str | IPNetwork] = ()
               ) -> Verdict:
    """The verdict on one address under ``allow_networks``: a pure function, no I/O.

    Raises ValidationError when an allow-list entry is not a network.
    """
    return AddressPolicy(allow_networks).check(address)
