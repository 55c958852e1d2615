"""DNS scans and ownership verification."""

from __future__ import annotations

from starlette.responses import Response

from sentinel.web.api import cached, caller, ok, pages, services, slow_work


@slow_work("scan")
async def scan_domain(domain_id: str) -> Response:
    # DNS on the event loop, the database on the slow pool: a scan waiting for answers
    # holds no thread (ScanService.scan_async).
    composed = services()
    return ok(await composed.scans.scan_async(caller(), domain_id, composed.slow))


def list_domain_scans(domain_id: str, page: int = 1, limit: int = 50) -> Response:
    return cached(services().scans.list_scans(caller(), domain_id, pages(page, limit)))


def get_scan(scan_id: str) -> Response:
    return cached(services().scans.get_scan(caller(), scan_id))


@slow_work("scan")
def verify_domain(domain_id: str) -> Response:
    return ok(services().scans.verify(caller(), domain_id))
