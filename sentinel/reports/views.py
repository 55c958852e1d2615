"""Stored reports as the API shows them (API.md "Report object"), rebuilt from their rows."""

from __future__ import annotations

from typing import Any

import orjson

from sentinel.clock import isoformat
from sentinel.store.models import DmarcRecord, DmarcReport

from .api import auth_results_to_api, reasons_to_api
from .limits import DEFAULT_LIMITS
from .model import Record

#: The `report_records` columns, in the order of ``record_row``'s values.
RECORD_COLUMNS = (
    "report_id", "position", "source_ip", "count", "disposition", "dkim", "spf", "dmarc_pass",
    "dkim_aligned", "spf_aligned", "header_from", "envelope_from", "envelope_to", "details",
)

def _dumps(details: dict[str, Any]) -> str:
    # orjson: ~5x the standard encoder on the one JSON column written per record.
    return orjson.dumps(details).decode("utf-8")


def record_row(report_id: str, r: Record) -> tuple[Any, ...]:
    """A `report_records` row for one parsed record; `details` holds what the columns do not."""
    details = {"reasons": reasons_to_api(r), "authResults": auth_results_to_api(r)}
    return (
        report_id, r.index, r.source_ip, r.count, r.disposition, r.dkim, r.spf, r.dmarc_pass,
        r.dkim_aligned, r.spf_aligned, r.header_from, r.envelope_from, r.envelope_to, _dumps(details),
    )


def record_view(row: DmarcRecord) -> dict[str, Any]:
    """One stored record, the same shape as ``record_to_api`` plus its `index` in the file."""
    details = row.details or {}
    return {
        "index": row.position,
        "sourceIp": row.source_ip,
        "count": row.count,
        "disposition": row.disposition,
        "dkim": row.dkim,
        "spf": row.spf,
        "dmarcPass": row.dmarc_pass,
        "dkimAligned": row.dkim_aligned,
        "spfAligned": row.spf_aligned,
        "headerFrom": row.header_from,
        "envelopeFrom": row.envelope_from,
        "envelopeTo": row.envelope_to,
        "reasons": details.get("reasons", []),
        "authResults": details.get("authResults", {"dkim": [], "spf": []}),
    }


def skipped_count(header: dict[str, Any]) -> int:
    """Every skipped record; headers stored before the count existed list them all."""
    count = header.get("skippedCount")
    return int(count) if count is not None else len(header.get("skipped", []))


def summary_view(report: DmarcReport) -> dict[str, Any]:
    """A stored report without its records: list items and upload answers."""
    header = report.header
    return {
        "id": report.id,
        "organizationId": report.organization_id,
        "domainId": report.domain_id,
        "domain": header["domain"],
        "reportId": header["reportId"],
        "orgName": header["orgName"],
        "email": header["email"],
        "dateRange": header["dateRange"],
        "policyPublished": header["policyPublished"],
        "recordCount": report.record_count,
        "messageCount": report.message_count,
        "dmarcPassCount": report.dmarc_pass_count,
        "skippedCount": skipped_count(header),
        "receivedAt": isoformat(report.received_at),
    }


def report_view(report: DmarcReport, records: list[DmarcRecord]) -> dict[str, Any]:
    """The whole report object with one page of its records."""
    header = dict(report.header)
    view: dict[str, Any] = {
        "id": report.id,
        "organizationId": report.organization_id,
        "domainId": report.domain_id,
        "receivedAt": isoformat(report.received_at),
    }
    view.update(header)
    view.update(
        recordCount=report.record_count,
        messageCount=report.message_count,
        dmarcPassCount=report.dmarc_pass_count,
        skippedCount=skipped_count(header),
        skippedByReason=header.get("skippedByReason", {}),
        skipped=header.get("skipped", [])[:DEFAULT_LIMITS.max_skipped_sample],
        warnings=header.get("warnings", []),
        extensions=header.get("extensions", []),
        records=[record_view(r) for r in records],
    )
    return view
