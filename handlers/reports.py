"""DMARC aggregate reports: upload, list, read, delete; a domain's stats and sources."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response

from sentinel.web.api import cached, caller, created, day, ok, pages, services, slow_work

# connexion logs a warning on every request to an operation that accepts several media
# types; the upload accepts seven by design.
logging.getLogger("connexion.operations.openapi3").addFilter(
    lambda record: "multiple content types" not in record.getMessage()
)


@slow_work("upload")
def upload_report(org_id: str, body: Any = None, file: Any = None) -> Response:
    # The multipart `file` part (a spooled temporary file), or else the raw body; an empty
    # body arrives as None and the parser explains why it is not a report.
    parts = file if isinstance(file, list) else [file] if file is not None else []
    source = parts[0].file if parts else body if isinstance(body, bytes | bytearray) else b""
    try:
        result = services().reports.upload(caller(), org_id, source)
    finally:
        for part in parts:
            part.file.close()
    data = {"report": result.report, "duplicate": result.duplicate}
    return ok(data) if result.duplicate else created(data)


def list_reports(
    page: int = 1,
    limit: int = 50,
    domain_id: str | None = None,
    organization_id: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    reporter: str | None = None,
) -> Response:
    return cached(
        services().reports.list_reports(
            caller(),
            pages(page, limit),
            domain_id=domain_id,
            organization_id=organization_id,
            start=day("from", from_),
            end=day("to", to),
            reporter=reporter,
        )
    )


def get_report(report_id: str, page: int = 1, limit: int = 50) -> Response:
    return cached(services().reports.get(caller(), report_id, pages(page, limit)))


def delete_report(report_id: str) -> Response:
    return ok(services().reports.delete(caller(), report_id))


def get_domain_stats(domain_id: str, from_: str | None = None, to: str | None = None) -> Response:
    return cached(services().reports.stats(caller(), domain_id, day("from", from_), day("to", to)))


def get_domain_sources(
    domain_id: str,
    from_: str | None = None,
    to: str | None = None,
    sort: str = "volume",
    page: int = 1,
    limit: int = 50,
) -> Response:
    return cached(
        services().reports.sources(caller(), domain_id, day("from", from_), day("to", to), sort, pages(page, limit))
    )
