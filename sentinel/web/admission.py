"""Admission control for slow work: caps on how much of it may be in flight at once.

Uploads and verifications run on a pool of their own (web.executors), scans their database
steps on it and their DNS on the event loop; these caps decide, before any work is taken
on, whether one more may start: per organization (429 RATE_LIMITED,
the organization is asking too much) and, for uploads, per process (503
SERVICE_UNAVAILABLE, the server is busy). Counted per organization the token is bound
to, the one whose plan the rate limiter charges. A request counts from the moment its
token is accepted (before its body is read) until its response is sent.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from sentinel.errors import RateLimited, ServiceUnavailable

# Seconds to suggest: a scan or an upload usually finishes within a few.
RETRY_AFTER = 2

_WHAT = {"scan": "scans or verifications", "upload": "report uploads"}


@dataclass
class Admission:
    """Per-kind caps: `per_organization[kind]` and, optionally, `in_flight[kind]`."""

    per_organization: dict[str, int]
    in_flight: dict[str, int] = field(default_factory=dict)
    _by_org: Counter[tuple[str, str]] = field(default_factory=Counter)
    _total: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def admit(self, kind: str, organization_id: str) -> Iterator[None]:
        """Hold one slot of `kind` for the organization while the block runs.

        Raises RateLimited when the organization has its cap in flight, ServiceUnavailable
        when the process has its cap of this kind in flight; neither starts any work.
        """
        key = (kind, organization_id)
        what = _WHAT.get(kind, kind)
        with self._lock:
            org_cap = self.per_organization.get(kind)
            if org_cap is not None and self._by_org[key] >= org_cap:
                raise RateLimited(
                    f"At most {org_cap} {what} per organization may run at once; retry when one has finished.",
                    headers={"Retry-After": str(RETRY_AFTER)},
                )
            total_cap = self.in_flight.get(kind)
            if total_cap is not None and self._total[kind] >= total_cap:
                raise ServiceUnavailable(
                    f"The server is busy with {total_cap} {what}; retry shortly.",
                    headers={"Retry-After": str(RETRY_AFTER)},
                )
            self._by_org[key] += 1
            self._total[kind] += 1
        try:
            yield
        finally:
            with self._lock:
                self._by_org[key] -= 1
                if self._by_org[key] <= 0:
                    del self._by_org[key]
                self._total[kind] -= 1

    def busy(self, kind: str) -> int:
        """How many of `kind` are in flight now (queued or running)."""
        with self._lock:
            return self._total[kind]


class AdmitBeforeBody:
    """ASGI step after the bearer-security step and before any body is read: an operation
    marked slow work takes its admission slot here and holds it to the end of the response.

    Admitting before the body means a refused upload costs no body bytes: 38 uploads at
    once from one organization used to be read whole (200 MB through the event loop)
    before 36 of them were told 429.
    """

    def __init__(self, app: ASGIApp, admission: Admission, kinds: Mapping[str, str]) -> None:
        self.app = app
        self.admission = admission
        # operationId -> kind, filled by the resolver as it resolves the handlers.
        self.kinds = kinds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extensions = scope.get("extensions", {}) if scope["type"] == "http" else {}
        kind = self.kinds.get(extensions.get("connexion_routing", {}).get("operation_id", ""))
        token_info = extensions.get("connexion_context", {}).get("token_info") or {}
        principal = token_info.get("principal") if isinstance(token_info, dict) else None
        if kind is None or principal is None:
            await self.app(scope, receive, send)
            return
        with self.admission.admit(kind, principal.organization_id):
            await self.app(scope, receive, send)
