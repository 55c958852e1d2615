"""DMARC aggregate reports: upload, list, read, delete; a domain's stats and sources."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from starlette.responses import Response

from sentinel.errors import ValidationError
from sentinel.web.api import cached, caller, created, ok, pages, services, slow_work

# connexion logs a warning on every request to an operation that accepts several media
# types; the upload accepts seven by design.
logging.getLogger("connexion.operations.openapi3").addFilter(
    lambda record: "multiple content types" not in record.getMessage()
)


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(name: str, value: str | None) -> date | None:
    """A `from`/`to` query value as a date; raises ValidationError naming the parameter."""
    if value is None:
        return None
    try:
        # RFC 3339 full-date only (the spec's `format: date`): fromisoformat alone also takes
        # 20240601 and 2024-W01-1.
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError.field(name, f"'{name}' must be a day written YYYY-MM-DD, not '{value[:40]}'.") from None


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
            start=_day("from", from_),
            end=_day("to", to),
            reporter=reporter,
        )
    )


def get_report(report_id: str, page: int = 1, limit: int = 50) -> Response:
    return cached(services().reports.get(caller(), report_id, pages(page, limit)))


def delete_report(report_id: str) -> Response:
    return ok(services().reports.delete(caller(), report_id))


def get_domain_stats(domain_id: str, from_: str | None = None, to: str | None = None) -> Response:
    return cached(services().reports.stats(caller(), domain_id, _day("from", from_), _day("to", to)))


def get_domain_sources(
    domain_id: str,
    from_: str | None = None,
    to: str | None = None,
    sort: str = "volume",
    page: int = 1,
    limit: int = 50,
) -> Response:
    return cached(
        services().reports.sources(caller(), domain_id, _day("from", from_), _day("to", to), sort, pages(page, limit))
    )
