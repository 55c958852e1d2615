"""One delivery attempt: a signed POST over sentinel.net's pinned connection, judged.

A 2xx within the timeout is a success; anything else (another status, a redirect, which
is never followed, a timeout, a refused or failed connection) is a failure to retry.
At most 64 KiB of the response body is read; the first 2 KiB are kept.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import httpcore

from sentinel.events.schedule import parse_retry_after
from sentinel.events.targets import Targets
from sentinel.net.pinned import OutboundError, pinned_request

READ_BYTES = 64 * 1024
KEPT_BYTES = 2048


@dataclass(frozen=True)
class AttemptResult:
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    body: str | None
    address: str | None
    retry_after: float | None = None

    @property
    def gone(self) -> bool:
        """410 Gone: the receiver says the endpoint no longer exists."""
        return self.status_code == 410


class Sender:
    """Sends attempts for one server: its targets, timeout, CA bundle and network backend."""

    def __init__(self, targets: Targets, timeout: float, ca_bundle: str | None = None,
                 network: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.targets = targets
        self.timeout = timeout
        self.network = network
        self._ssl = ssl.create_default_context(cafile=ca_bundle)

    async def attempt(self, url: str, headers: Sequence[tuple[str, str]], body: bytes, now: datetime
                      ) -> AttemptResult:
        """POST `body` to `url` once. Never raises for network trouble: it is in the result."""
        start = time.perf_counter()
        try:
            response = await pinned_request(
                "POST", url, dns=self.targets.dns, policy=self.targets.policy_for(url),
                headers=headers, content=body, timeout=self.timeout,
                max_bytes=READ_BYTES, ssl_context=self._ssl, schemes=("https", "http"),
                inner=self.network, truncate=True)
        except OutboundError as exc:
            return AttemptResult(False, exc.http_status, _ms(start), exc.message[:1000], None, None)
        kept = response.body[:KEPT_BYTES].decode("utf-8", errors="replace")
        status = response.status
        latency = _ms(start)
        if 200 <= status < 300:
            return AttemptResult(True, status, latency, None, kept, response.address)
        if 300 <= status < 400:
            location = response.header("location") or "none"
            error = f"answered {status}; redirects are not followed (Location: {location[:300]})"
        else:
            error = f"answered {status}"
        retry_after = parse_retry_after(response.header("retry-after"), now) if status in (429, 503) else None
        return AttemptResult(False, status, latency, error, kept, response.address, retry_after)


def _ms(start: float) -> int:
    return max(0, round((time.perf_counter() - start) * 1000))
