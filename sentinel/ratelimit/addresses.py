"""The client address of a request, believing X-Forwarded-For only from trusted proxies. Pure logic."""

from __future__ import annotations

import functools
import ipaddress

from sentinel.errors import ValidationError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def parse_proxies(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """Trusted proxies as networks (a bare address is a /32 or /128); cached per setting.

    Raises ValidationError for an entry that is neither an address nor a network.
    """
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())
    except ValueError as exc:
        raise ValidationError(f"MAILSENTINEL_TRUSTED_PROXIES: {exc}") from None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(text: str, proxies: tuple[Network, ...]) -> bool:
    ip = _ip(text)
    return ip is not None and any(ip in net for net in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]) -> str:
    """The address failed authentications are counted against.

    The peer is the client unless it is a trusted proxy; then X-Forwarded-For is read
    from the right, skipping trusted proxies, because only the entries our own proxies
    appended can be believed; anything further left is whatever the client claimed.
    """
    peer = peer or "unknown"
    if not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            ip = _ip(hop)
            # Our proxies append real addresses; keep a garbled hop as it is, bounded.
            return str(ip) if ip is not None else hop[:64]
    return hops[0] if hops else peer


# Asked on every request (the failed-authentication window is read before the token is
# checked); the same few addresses come back again and again.
@functools.lru_cache(maxsize=4096)
def failure_bucket(address: str) -> str:
    """The key failed authentications are counted under for a client address.

    An IPv6 client routinely holds a whole /64 (SLAAC, privacy addresses), so counting per
    exact address would give one attacker 2^64 fresh windows; the /64 is one client. An
    IPv4-mapped IPv6 address is its IPv4 address. Anything unparsable is kept as it is.
    """
    ip = _ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip) if ip is not None else address
