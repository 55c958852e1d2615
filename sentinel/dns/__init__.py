"""DNS scanning of a domain's e-mail authentication: DMARC, SPF, DKIM, MX, MTA-STS,
TLS-RPT, BIMI and DNSSEC. Pure of any web framework or database.

Entry points: ``make_dns_client`` / ``ZoneClient`` (the DNS seam), ``HttpxFetcher`` /
``StaticFetcher`` (the HTTPS seam), ``Scanner`` (the scan) and ``render_text``.
"""

from __future__ import annotations

from sentinel.dns.client import (
    DnsAnswer,
    DnsClient,
    MemoClient,
    Nameserver,
    ResolverClient,
    make_dns_client,
    parse_nameservers,
)
from sentinel.dns.https import FetchResult, HttpsFetcher, HttpxFetcher, StaticFetcher
from sentinel.dns.render import render_text
from sentinel.dns.scanner import Scanner
from sentinel.dns.zones import ZoneClient, ZoneSet

__all__ = [
    "DnsAnswer",
    "DnsClient",
    "FetchResult",
    "HttpsFetcher",
    "HttpxFetcher",
    "MemoClient",
    "Nameserver",
    "ResolverClient",
    "Scanner",
    "StaticFetcher",
    "ZoneClient",
    "ZoneSet",
    "make_dns_client",
    "parse_nameservers",
    "render_text",
]
