"""The HTTPS seam for MTA-STS policies: ``HttpsFetcher`` and its implementations.

``HttpxFetcher`` resolves the host through the scan's ``DnsClient`` (never the system
resolver), refuses non-public addresses unless allowed (SSRF guard), connects to the
address with SNI and Host set to the name, verifies the certificate, follows no
redirects and caps time and body size. ``StaticFetcher`` serves fixed bodies (mock mode).
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlsplit

import httpx

from sentinel.dns.client import DnsClient

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_BODY = 64 * 1024  # RFC 8461 §3.3: policies are small; we cap what we read.


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one GET: ``status`` "ok" means a response arrived (any HTTP code)."""

    url: str
    status: Literal["ok", "error"]
    http_status: int | None = None
    content_type: str | None = None
    body: str | None = None
    error: str | None = None


class HttpsFetcher(Protocol):
    """Fetches one https URL; implementations never raise, failures are in the result."""

    async def get(self, url: str) -> FetchResult: ...


class StaticFetcher:
    """Serves bodies from a dict ``url -> body`` (404 for other URLs); no network."""

    def __init__(self, pages: Mapping[str, str], content_type: str = "text/plain") -> None:
        self.pages = dict(pages)
        self.content_type = content_type
        self.requested: list[str] = []

    async def get(self, url: str) -> FetchResult:
        self.requested.append(url)
        if url in self.pages:
            return FetchResult(url, "ok", 200, self.content_type, self.pages[url])
        return FetchResult(url, "ok", 404, "text/plain", "not found")


class HttpxFetcher:
    """httpx GETs to addresses found through the scan's DNS client.

    ``allow_networks`` lists networks exempt from the public-address rule (tests pass
    loopback); ``port`` overrides 443; ``ca_bundle`` replaces the system trust store.
    """

    def __init__(
        self,
        client: DnsClient,
        *,
        timeout: float = 5.0,
        max_bytes: int = MAX_BODY,
        ca_bundle: str | None = None,
        port: int | None = None,
        allow_networks: Iterable[str] = (),
    ) -> None:
        self.dns = client
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.port = port
        self.allowed: list[IPNetwork] = [ipaddress.ip_network(n) for n in allow_networks]
        self._ssl = ssl.create_default_context(cafile=ca_bundle)

    def with_dns(self, client: DnsClient) -> HttpxFetcher:
        """The same settings resolving through another client (the scan's memo)."""
        clone = HttpxFetcher.__new__(HttpxFetcher)
        clone.__dict__.update(self.__dict__)
        clone.dns = client
        return clone

    def _permitted(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        if any(ip in net for net in self.allowed):
            return True
        return ip.is_global

    async def _address(self, host: str) -> tuple[str | None, str | None]:
        a, aaaa = await asyncio.gather(self.dns.query(host, "A"), self.dns.query(host, "AAAA"))
        addresses = [*a.records, *aaaa.records]
        if not addresses:
            failed = a if a.failed else aaaa if aaaa.failed else None
            return None, failed.error if failed else f"{host} has no address record"
        permitted = [ip for ip in addresses if self._permitted(ip)]
        if not permitted:
            return None, f"{host} resolves only to non-public addresses; not fetched"
        return permitted[0], None

    async def get(self, url: str) -> FetchResult:
        """GET ``url`` (https only). Never raises."""
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            return FetchResult(url, "error", error="only https:// URLs are fetched")
        host = parts.hostname
        address, problem = await self._address(host)
        if address is None:
            return FetchResult(url, "error", error=problem)
        port = self.port or parts.port or 443
        netloc = f"[{address}]" if ":" in address else address
        target = f"https://{netloc}:{port}{parts.path or '/'}"
        if parts.query:
            target += f"?{parts.query}"
        try:
            async with httpx.AsyncClient(
                verify=self._ssl, timeout=self.timeout, follow_redirects=False, trust_env=False
            ) as http, http.stream(
                "GET", target, headers={"Host": host, "User-Agent": "MailSentinel/0.1"},
                extensions={"sni_hostname": host},
            ) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        return FetchResult(url, "error", response.status_code,
                                           error=f"response larger than {self.max_bytes} bytes")
                return FetchResult(
                    url, "ok", response.status_code, response.headers.get("content-type"),
                    body.decode("utf-8", errors="replace"),
                )
        except httpx.HTTPError as exc:
            return FetchResult(url, "error", error=f"HTTPS fetch failed: {exc or type(exc)}")
        except (OSError, ssl.SSLError) as exc:
            return FetchResult(url, "error", error=f"HTTPS fetch failed: {exc}")
