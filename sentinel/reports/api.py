"""The report as the API shows it (API.md "Report object"): camelCase, RFC 3339 UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import PolicyPublished, Record, Report, ReportMetadata, SkippedRecord


def rfc3339(moment: datetime) -> str:
    """A UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def reasons_to_api(record: Record) -> list[dict[str, Any]]:
    return [{"type": r.type, "comment": r.comment} for r in record.reasons]


def auth_results_to_api(record: Record) -> dict[str, Any]:
    return {
        "dkim": [
            {"domain": d.domain, "selector": d.selector, "result": d.result, "humanResult": d.human_result}
            for d in record.dkim_results
        ],
        "spf": [
            {"domain": s.domain, "scope": s.scope, "result": s.result, "humanResult": s.human_result}
            for s in record.spf_results
        ],
    }


def record_to_api(record: Record) -> dict[str, Any]:
    """One record as the API shows it (stored records add their ``index``)."""
    return {
        "sourceIp": record.source_ip,
        "count": record.count,
        "disposition": record.disposition,
        "dkim": record.dkim,
        "spf": record.spf,
        "dmarcPass": record.dmarc_pass,
        "dkimAligned": record.dkim_aligned,
        "spfAligned": record.spf_aligned,
        "headerFrom": record.header_from,
        "envelopeFrom": record.envelope_from,
        "envelopeTo": record.envelope_to,
        "reasons": reasons_to_api(record),
        "authResults": auth_results_to_api(record),
    }


def policy_to_api(policy: PolicyPublished) -> dict[str, Any]:
    return {
        "domain": policy.domain,
        "adkim": policy.adkim,
        "aspf": policy.aspf,
        "p": policy.p,
        "sp": policy.sp,
        "np": policy.np,
        "pct": policy.pct,
        "fo": policy.fo,
        "testing": policy.testing,
        "discoveryMethod": policy.discovery_method,
    }


def header_to_api(metadata: ReportMetadata, policy: PolicyPublished) -> dict[str, Any]:
    """The report's fields that are known before its records are read."""
    return {
        "reportId": metadata.report_id,
        "orgName": metadata.org_name,
        "email": metadata.email,
        "extraContactInfo": metadata.extra_contact_info,
        "domain": policy.domain,
        "dateRange": {"begin": rfc3339(metadata.begin), "end": rfc3339(metadata.end)},
        "policyPublished": policy_to_api(policy),
        "generator": metadata.generator,
        "schemaVersion": metadata.schema_version,
        "reporterErrors": list(metadata.errors),
    }


def skipped_to_api(skipped: list[SkippedRecord]) -> list[dict[str, Any]]:
    return [{"index": s.index, "reason": s.reason} for s in skipped]


def to_api(report: Report) -> dict[str, Any]:
    """The whole report object of API.md, records included (storage adds ``id``)."""
    out = header_to_api(report.metadata, report.policy)
    out.update(
        recordCount=report.record_count,
        messageCount=report.message_count,
        dmarcPassCount=report.dmarc_pass_count,
        skippedCount=report.skipped_count,
        skippedByReason=dict(report.skipped_by_reason),
        skipped=skipped_to_api(report.skipped),
        warnings=list(report.warnings),
        extensions=list(report.extensions),
        records=[record_to_api(r) for r in report.records],
    )
    return out
