"""Report builders and upload helpers for the Reports API tests."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from sentinel.app import Services
from sentinel.store.models import (
    DmarcRecord,
    DmarcReport,
    Domain,
    Event,
    ReportDaySource,
    ReportDaySourceName,
    ReportDayStat,
    ReportSource,
)
from tests.support.api import Tenant, add_member_with_token, client

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "reports"
AGGREGATE = FIXTURES / "aggregate"
PARSER_FILES = Path(__file__).resolve().parents[1] / "reports" / "files"

MEDIA_TYPES = {".xml": "application/xml", ".gz": "application/gzip", ".zip": "application/zip",
               ".eml": "message/rfc822"}


@dataclass(frozen=True)
class Rec:
    """One record of a generated report."""

    ip: str
    count: int
    disposition: str = "none"
    dkim: tuple[tuple[str, str, str], ...] = ()  # (domain, selector, result)
    spf: tuple[str, str] = ("example.com", "pass")  # (domain, result)
    header_from: str = "example.com"


def report_xml(reporter: str, report_id: str, begin: int, records: list[Rec], *, domain: str = "example.com",
               end: int | None = None, truncate: bool = False) -> bytes:
    """A report as a receiver would write it; `truncate` cuts it off inside its last record."""
    end = begin + 86399 if end is None else end
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<feedback>\n<report_metadata>'
        f"<org_name>{reporter}</org_name><email>dmarc@{reporter.lower().replace(' ', '')}.example</email>"
        f"<report_id>{report_id}</report_id><date_range><begin>{begin}</begin><end>{end}</end></date_range>"
        f"</report_metadata>\n<policy_published><domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf>"
        "<p>reject</p></policy_published>\n"
    ]
    for r in records:
        dkim = "".join(f"<dkim><domain>{d}</domain><selector>{s}</selector><result>{res}</result></dkim>"
                       for d, s, res in r.dkim)
        parts.append(
            f"<record><row><source_ip>{r.ip}</source_ip><count>{r.count}</count><policy_evaluated>"
            f"<disposition>{r.disposition}</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>"
            f"<identifiers><header_from>{r.header_from}</header_from></identifiers>"
            f"<auth_results>{dkim}<spf><domain>{r.spf[0]}</domain><result>{r.spf[1]}</result></spf>"
            "</auth_results></record>\n"
        )
    data = "".join(parts) + "</feedback>\n"
    if truncate:
        data = data[: data.rindex("<record>") + 40]
    return data.encode()


def many_records(n: int) -> list[Rec]:
    return [Rec(f"10.0.{i // 256}.{i % 256}", 1 + i % 3, dkim=(("example.com", "s1", "pass"),)) for i in range(n)]


def upload(t: Tenant | httpx.Client, org_id: str, data: bytes, media_type: str = "application/xml") -> httpx.Response:
    return t.post(f"/api/organizations/{org_id}/reports", content=data, headers={"content-type": media_type})


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


def member_client(owner: Tenant, services: Services, base_url: str, role: str,
                  scopes: str | None = None) -> httpx.Client:
    """A new user with `role` in the owner's organization, and a client using their token."""
    _user, secret = add_member_with_token(owner, services, role, scopes.split(",") if scopes else None)
    return client(base_url, secret)


def stored_rows(services: Services, org_id: str) -> dict[str, int]:
    """How many rows an organization has in every report table and the outbox (reads only)."""
    with services.db.transaction() as session:
        report_ids = select(DmarcReport.id).where(DmarcReport.organization_id == org_id)
        domain_ids = select(Domain.id).where(Domain.organization_id == org_id)

        def rows(model: Any, *where: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return {
            "reports": rows(DmarcReport, DmarcReport.organization_id == org_id),
            "records": rows(DmarcRecord, DmarcRecord.report_id.in_(report_ids)),
            "stats": rows(ReportDayStat, ReportDayStat.domain_id.in_(domain_ids)),
            "sources": rows(ReportDaySource, ReportDaySource.domain_id.in_(domain_ids)),
            "totals": rows(ReportSource, ReportSource.domain_id.in_(domain_ids)),
            "names": rows(ReportDaySourceName, ReportDaySourceName.domain_id.in_(domain_ids)),
            "events": rows(Event, Event.organization_id == org_id, Event.type == "report.received"),
        }


def all_records_count(services: Services) -> int:
    with services.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(DmarcRecord)) or 0)


NOTHING = {"reports": 0, "records": 0, "stats": 0, "sources": 0, "totals": 0, "names": 0, "events": 0}
