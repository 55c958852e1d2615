"""The scan: every check of a domain run concurrently through one memoised DNS client.

``Scanner.scan`` returns the API's scan object (camelCase, JSON-serialisable). DNS
failures are reported inside the part they affect; the scan itself does not raise on
them. Wall time approaches the longest dependency chain (usually the SPF include depth
times the round trip), since independent questions are asked at once and a question
asked twice within a scan goes out once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sentinel.aio import run_sync
from sentinel.dns.bimi import check_bimi
from sentinel.dns.client import DnsClient, MemoClient
from sentinel.dns.dkim import COMMON_SELECTORS, check_dkim
from sentinel.dns.dmarc_check import check_dmarc
from sentinel.dns.dnssec import check_dnssec
from sentinel.dns.findings import JSON, Issue
from sentinel.dns.https import HttpsFetcher, HttpxFetcher
from sentinel.dns.mtasts import check_mta_sts, mx_coverage
from sentinel.dns.mx import check_mx
from sentinel.dns.spf_tree import check_spf
from sentinel.dns.tlsrpt import check_tls_rpt
from sentinel.domains.names import normalize_domain, organizational_domain

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def utc_now() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """``2026-01-02T03:04:05Z`` (RFC 3339, UTC, whole seconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Scanner:
    """Scans domains through one DNS client and an optional HTTPS fetcher (for MTA-STS)."""

    def __init__(
        self,
        client: DnsClient,
        https: HttpsFetcher | None = None,
        clock: Callable[[], datetime] = utc_now,
        *,
        common_selectors: Sequence[str] = COMMON_SELECTORS,
        bimi_selector: str = "default",
    ) -> None:
        self.client = client
        self.https = https
        self.clock = clock
        self.common_selectors = tuple(common_selectors)
        self.bimi_selector = bimi_selector

    async def scan(self, domain: str, selectors: Sequence[str] = ()) -> dict[str, Any]:
        """Scan one domain; returns the scan object.

        Raises sentinel.errors.ValidationError when ``domain`` is not a valid domain name;
        never raises on DNS or HTTPS failures.
        """
        name = normalize_domain(domain)
        scanned_at = self.clock()
        started = time.perf_counter()
        memo = MemoClient(self.client)
        https = self.https.with_dns(memo) if isinstance(self.https, HttpxFetcher) else self.https
        parts = await asyncio.gather(
            check_dmarc(memo, name),
            check_spf(memo, name),
            check_dkim(memo, name, selectors, self.common_selectors),
            check_mx(memo, name),
            check_mta_sts(memo, https, name),
            check_tls_rpt(memo, name),
            check_bimi(memo, name, self.bimi_selector),
            check_dnssec(memo, name, organizational_domain(name)),
        )
        (dmarc, dmarc_i), (spf, spf_i), (dkim, dkim_i), (mx, mx_i), (sts, sts_i), \
            (tls, tls_i), (bimi, bimi_i), (dnssec, dnssec_i) = parts
        sts_i = sts_i + mx_coverage(sts, [h["host"] for h in mx["hosts"]])
        bimi_i = bimi_i + _bimi_needs_enforcement(bimi, dmarc)
        issues: list[Issue] = [*dmarc_i, *spf_i, *dkim_i, *mx_i, *sts_i, *tls_i, *bimi_i,
                               *dnssec_i]
        issues.sort(key=lambda i: _SEVERITY_ORDER[i.severity])
        return {
            "domain": name,
            "scannedAt": rfc3339(scanned_at),
            "durationMs": round((time.perf_counter() - started) * 1000),
            "dnsQueries": len(memo.asked),
            "dmarc": dmarc,
            "spf": spf,
            "dkim": dkim,
            "mx": mx,
            "mtaSts": sts,
            "tlsRpt": tls,
            "bimi": bimi,
            "dnssec": dnssec,
            "issues": [i.as_dict() for i in issues],
        }

    def scan_sync(self, domain: str, selectors: Sequence[str] = ()) -> dict[str, Any]:
        """``scan`` on a fresh event loop, for worker threads and the CLI.

        Raises ValidationError for an invalid domain name; must not be called from a
        thread that is already running an event loop.
        """
        return run_sync(self.scan(domain, selectors))


def _bimi_needs_enforcement(bimi: JSON, dmarc: JSON) -> list[Issue]:
    """BIMI is only shown for domains whose DMARC policy is enforced (quarantine/reject)."""
    if not bimi["found"]:
        return []
    if dmarc.get("effectivePolicy") in ("quarantine", "reject") and not dmarc.get("testing"):
        return []
    issue = Issue("warning", "BIMI_DMARC_NOT_ENFORCED", "A BIMI record is published but the "
                  "DMARC policy is not enforced (p=quarantine or p=reject without testing), so "
                  "mailbox providers will not show the logo.")
    bimi["warnings"].append(issue.message)
    return [issue]
