"""Stored reports as the API shows them (API.md "Report object"), rebuilt from their rows."""

from __future__ import annotations

from typing import Any

from sentinel.clock import isoformat
from sentinel.store.models import DmarcRecord, DmarcReport

from .limits import DEFAULT_LIMITS
from .staging import RECORD_COLUMNS as RECORD_COLUMNS
from .staging import record_row as record_row


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
