"""DNS scans and ownership verification."""

from __future__ import annotations

from starlette.responses import Response

from sentinel.web.api import cached, caller, ok, pages, services, slow_work


@slow_work("scan")
def scan_domain(domain_id: str) -> Response:
    return ok(services().scans.scan(caller(), domain_id))


def list_domain_scans(domain_id: str, page: int = 1, limit: int = 50) -> Response:
    return cached(services().scans.list_scans(caller(), domain_id, pages(page, limit)))


def get_scan(scan_id: str) -> Response:
    return cached(services().scans.get_scan(caller(), scan_id))


@slow_work("scan")
def verify_domain(domain_id: str) -> Response:
    return ok(services().scans.verify(caller(), domain_id))
