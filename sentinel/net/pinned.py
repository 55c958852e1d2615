"""Pinned outbound HTTP(S): resolve once, vet every address, connect to a vetted one only.

The fetch never asks the system resolver and never lets the HTTP stack pick an address:
the name is resolved through the caller's DNS client, each answer goes through
``AddressPolicy``, and the connection pool gets a network backend that knows only the
vetted addresses of that one name (any other host, a redirect target included, is
refused before a socket exists). The URL keeps the name, so the Host header, SNI and
certificate verification all use it. No proxies from the environment, no redirects.

``pinned_request`` is the seam for every fetch the server makes: MTA-STS and BIMI through
``sentinel.dns.https``, webhook deliveries with ``method="POST"``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlsplit

import httpcore

from sentinel.net.policy import AddressPolicy, Verdict

Failure = Literal["url", "refused", "dns", "connect", "timeout", "too_large", "protocol"]
_NETWORK_ERRORS = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol,
                   httpcore.ProxyError)


class Answer(Protocol):
    """What the policy needs of a DNS answer (``sentinel.dns.client.DnsAnswer`` fits)."""

    @property
    def records(self) -> tuple[str, ...]: ...
    @property
    def failed(self) -> bool: ...
    @property
    def error(self) -> str | None: ...


class Resolver(Protocol):
    """The DNS seam (``sentinel.dns.client.DnsClient`` fits); never the system resolver."""

    async def query(self, name: str, rdtype: str) -> Answer: ...


class OutboundError(Exception):
    """A fetch that did not produce a usable response; ``kind`` says which step failed."""

    def __init__(self, kind: Failure, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True)
class Resolution:
    """The vetted addresses of one host, and the verdicts on the ones refused."""

    host: str
    allowed: tuple[str, ...]
    refused: tuple[Verdict, ...] = ()


@dataclass(frozen=True)
class PinnedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    address: str = ""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


async def resolve_vetted(dns: Resolver, host: str, policy: AddressPolicy) -> Resolution:
    """Resolve ``host`` (A and AAAA, once) and vet every address.

    Raises OutboundError: ``dns`` when nothing could be resolved, ``refused`` when every
    address is refused (the message lists each verdict).
    """
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        a, aaaa = await asyncio.gather(dns.query(host, "A"), dns.query(host, "AAAA"))
        addresses = [*a.records, *aaaa.records]
        if not addresses:
            failed = a if a.failed else aaaa if aaaa.failed else None
            raise OutboundError("dns", (failed.error if failed else None)
                                or f"{host} has no address record")
    verdicts = [policy.check(address) for address in addresses]
    allowed = tuple(v.address for v in verdicts if v.allowed)
    refused = tuple(v for v in verdicts if not v.allowed)
    if not allowed:
        reasons = "; ".join(v.reason for v in refused)
        raise OutboundError("refused",
                            f"{host} resolves only to non-public addresses; not fetched ({reasons})")
    return Resolution(host, allowed, refused)


@dataclass
class PinnedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that connects ``host`` to its vetted addresses and nothing else.

    ``port`` overrides the URL's port (tests and ``MAILSENTINEL_MTA_STS_PORT``); ``inner``
    is the real backend (the boundary a test may wrap). ``connected`` records the address used.
    """

    resolution: Resolution
    port: int | None = None
    inner: httpcore.AsyncNetworkBackend = field(default_factory=httpcore.AnyIOBackend)
    connected: list[str] = field(default_factory=list)

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host.strip("[]").lower() != self.resolution.host.strip("[]").lower():
            raise OutboundError("refused", f"connection to {host} was not vetted; refused")
        last: Exception | None = None
        for address in self.resolution.allowed:
            try:
                stream = await self.inner.connect_tcp(
                    address, self.port or port, timeout=timeout, socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            self.connected.append(address)
            return stream
        assert last is not None  # Resolution.allowed is never empty
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundError("refused", "unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


async def pinned_request(
    method: str,
    url: str,
    *,
    dns: Resolver,
    policy: AddressPolicy,
    headers: Sequence[tuple[str, str]] = (),
    content: bytes | None = None,
    timeout: float = 5.0,
    max_bytes: int = 64 * 1024,
    ssl_context: ssl.SSLContext | None = None,
    port: int | None = None,
    schemes: Iterable[str] = ("https",),
    inner: httpcore.AsyncNetworkBackend | None = None,
    truncate: bool = False,
) -> PinnedResponse:
    """One request to ``url`` over a pinned, vetted connection; ``timeout`` bounds it all.

    Raises OutboundError (never anything else for network trouble): ``url`` for a scheme
    not in ``schemes`` or no host, ``dns``/``refused`` from resolve_vetted, ``connect``,
    ``timeout``, ``protocol``, and ``too_large`` past ``max_bytes`` of body (with
    ``truncate``, the body is cut at ``max_bytes`` instead and the rest never read).
    """
    parts = urlsplit(url)
    if parts.scheme not in set(schemes) or not parts.hostname:
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise OutboundError("url", f"only {allowed} URLs are fetched")
    try:
        async with asyncio.timeout(timeout):
            resolution = await resolve_vetted(dns, parts.hostname, policy)
            backend = PinnedBackend(resolution, port, inner or httpcore.AnyIOBackend())
            return await _send(method, url, backend, headers, content, timeout, max_bytes,
                               ssl_context or ssl.create_default_context(), truncate)
    except TimeoutError:
        raise OutboundError("timeout", f"no complete answer within {timeout:g} s") from None
    except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
        raise OutboundError("connect", f"could not connect: {exc or type(exc).__name__}") from None
    except httpcore.TimeoutException as exc:
        raise OutboundError("timeout", f"timed out: {exc or type(exc).__name__}") from None
    except (*_NETWORK_ERRORS, OSError, ssl.SSLError) as exc:
        raise OutboundError("protocol", f"{exc or type(exc).__name__}") from None


async def _send(method: str, url: str, backend: PinnedBackend,
                headers: Sequence[tuple[str, str]], content: bytes | None, timeout: float,
                max_bytes: int, context: ssl.SSLContext, truncate: bool = False) -> PinnedResponse:
    sent = [("User-Agent", "MailSentinel/0.1"), *headers]
    limits = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    async with httpcore.AsyncConnectionPool(
        ssl_context=context, network_backend=backend, max_connections=1, retries=0,
    ) as pool, pool.stream(method, url, headers=sent, content=content,
                           extensions={"timeout": limits}) as response:
        body = bytearray()
        async for chunk in response.aiter_stream():
            body.extend(chunk)
            if len(body) > max_bytes and truncate:
                del body[max_bytes:]
                break
            if len(body) > max_bytes:
                raise OutboundError("too_large", f"response larger than {max_bytes} bytes",
                                    response.status)
        return PinnedResponse(
            response.status,
            tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers),
            bytes(body), backend.connected[-1] if backend.connected else "")
