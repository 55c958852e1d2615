"""The HTTPS seam for MTA-STS policies: ``HttpsFetcher`` and its implementations.

``HttpxFetcher`` fetches through ``sentinel.net`` (the one outbound policy): the host is
resolved through the scan's ``DnsClient`` (never the system resolver), every address is
vetted by ``AddressPolicy`` (SSRF guard), the connection goes to a vetted address only with
SNI and Host set to the name, the certificate is verified, no redirect is followed and time
and body size are capped. ``StaticFetcher`` serves fixed bodies (mock mode).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from sentinel.dns.client import DnsClient
from sentinel.net.pinned import OutboundError, pinned_request
from sentinel.net.policy import AddressPolicy

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
    """GETs over ``sentinel.net.pinned.pinned_request``, resolving through the scan's DNS client.

    ``allow_networks`` lists networks exempt from the public-address rule (tests pass
    loopback); ``port`` overrides 443; ``ca_bundle`` replaces the system trust store.
    Raises ValidationError when an ``allow_networks`` entry is not a network.
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
        self.policy = AddressPolicy(allow_networks)
        self._ssl = ssl.create_default_context(cafile=ca_bundle)

    def with_dns(self, client: DnsClient) -> HttpxFetcher:
        """The same settings resolving through another client (the scan's memo)."""
        clone = HttpxFetcher.__new__(HttpxFetcher)
        clone.__dict__.update(self.__dict__)
        clone.dns = client
        return clone

    async def get(self, url: str) -> FetchResult:
        """GET ``url`` (https only). Never raises."""
        try:
            response = await pinned_request(
                "GET", url, dns=self.dns, policy=self.policy, timeout=self.timeout,
                max_bytes=self.max_bytes, ssl_context=self._ssl, port=self.port)
        except OutboundError as exc:
            if exc.kind in ("connect", "timeout", "protocol"):
                return FetchResult(url, "error", exc.http_status,
                                   error=f"HTTPS fetch failed: {exc.message}")
            return FetchResult(url, "error", exc.http_status, error=exc.message)
        return FetchResult(url, "ok", response.status, response.header("content-type"),
                           response.body.decode("utf-8", errors="replace"))
