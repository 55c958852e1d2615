"""Where a webhook may be delivered: the URL rules and sentinel.net's address policy.

Only ``https://`` URLs, or plain ``http://`` when every address of the host lies inside a
network the operator allowed (MAILSENTINEL_ALLOWED_TARGET_NETWORKS, for local testing).
The host is resolved through the server's DNS client (``localhost`` names answer with
loopback, RFC 6761 §6.3, so the policy refuses them like any loopback address) and every
address is vetted by ``AddressPolicy``; checked at creation and again at every attempt,
which connects to the very address checked (``sentinel.net.pinned``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sentinel.errors import ValidationError
from sentinel.net.pinned import Answer, OutboundError, Resolution, Resolver, resolve_vetted
from sentinel.net.policy import AddressPolicy, Verdict

MAX_URL = 2048


class ListedOnly(AddressPolicy):
    """``base``'s verdicts, further limited to addresses inside its allowed networks:
    the policy for plain-http URLs (and for the mock, which only ever reaches loopback)."""

    def __init__(self, base: AddressPolicy, why: str) -> None:
        self.allowed = base.allowed
        self._base = base
        self._why = why

    def check(self, address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> Verdict:
        verdict = self._base.check(address)
        if not verdict:
            return verdict
        ip = ipaddress.ip_address(verdict.address)
        if any(net.version == ip.version and ip in net for net in self.allowed):
            return verdict
        return Verdict(verdict.address, False, f"{verdict.address} {self._why}")


@dataclass(frozen=True)
class _Fixed:
    records: tuple[str, ...]
    failed: bool = False
    error: str | None = None


class LocalhostAware:
    """A resolver answering ``localhost`` and ``*.localhost`` with loopback (RFC 6761 §6.3)
    and asking `inner` for every other name."""

    def __init__(self, inner: Resolver) -> None:
        self.inner = inner

    async def query(self, name: str, rdtype: str) -> Answer:
        bare = name.rstrip(".").lower()
        if bare == "localhost" or bare.endswith(".localhost"):
            return _Fixed(("127.0.0.1",) if rdtype == "A" else ("::1",) if rdtype == "AAAA" else ())
        return await self.inner.query(name, rdtype)


@dataclass(frozen=True)
class Targets:
    """The address rules of one server: its policy and resolver."""

    dns: Resolver
    policy: AddressPolicy

    def policy_for(self, url: str) -> AddressPolicy:
        if urlsplit(url).scheme.lower() == "http":
            return ListedOnly(self.policy, "is outside MAILSENTINEL_ALLOWED_TARGET_NETWORKS; plain http:// is only "
                                           "delivered there (use https://)")
        return self.policy

    async def vet(self, url: str) -> Resolution:
        """Resolve and vet the URL's host. Raises OutboundError (``url``, ``dns``, ``refused``)."""
        host = urlsplit(url).hostname
        if not host:
            raise OutboundError("url", "the URL has no host")
        return await resolve_vetted(self.dns, host, self.policy_for(url))


def clean_url(url: str) -> str:
    """The URL as stored; raises ValidationError for a URL that can never be delivered to."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a port out of range
    except ValueError as exc:
        raise ValidationError.field("url", f"The URL cannot be parsed: {exc}.") from None
    if port == 0:
        raise ValidationError.field("url", "The URL's port must be between 1 and 65535.")
    if parts.scheme.lower() not in ("https", "http"):
        raise ValidationError.field("url", "Only https:// URLs are delivered to (http:// only inside the server's "
                                           "allowed networks).")
    if not parts.hostname:
        raise ValidationError.field("url", "The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError.field("url", "Credentials in the URL are not supported; put a token in its path "
                                           "or query instead.")
    if len(text) > MAX_URL or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in text):
        raise ValidationError.field("url", f"The URL must be at most {MAX_URL} characters without spaces or "
                                           "control characters.")
    return text


def refusal(exc: OutboundError) -> ValidationError:
    """The VALIDATION_ERROR telling why a URL's host cannot be delivered to."""
    if exc.kind == "dns":
        return ValidationError.field("url", f"The URL's host could not be resolved: {exc.message}.")
    return ValidationError.field("url", f"The URL cannot be delivered to: {exc.message}.")
