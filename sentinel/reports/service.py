"""DMARC reports for API callers: upload, list, read, delete, and a domain's stats and sources.

Roles (API.md): viewers read; members upload; deleting a report needs admin, as it
changes the history every member sees. Another organization's report or domain is
NOT_FOUND, exactly as if it did not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, Table, delete, select, update
from sqlalchemy.orm import Session

from sentinel.accounts.principal import MANAGE, OPERATE, READ, Principal
from sentinel.clock import Clock, IdGenerator
from sentinel.domains.service import DomainService
from sentinel.errors import NotFound
from sentinel.pagination import PageRequest, page_meta, paginate
from sentinel.store.db import Database
from sentinel.store.models import DmarcRecord, DmarcReport

from . import analytics, rollups
from .ingest import AfterStore, IngestResult, ReportIngestor
from .limits import DEFAULT_LIMITS, ParseLimits
from .source import ReportSource
from .views import report_view, summary_view
from .workers import Parsing

REPORTS: Table = DmarcReport.__table__  # type: ignore[assignment]


class ReportService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        ids: IdGenerator,
        domains: DomainService,
        limits: ParseLimits = DEFAULT_LIMITS,
        parsing: Parsing | None = None,
        after_store: AfterStore | None = None,
    ) -> None:
        self.db = db
        self.domains = domains
        self.ingestor = ReportIngestor(db, clock, ids, limits, parsing, after_store)

    def upload(self, principal: Principal, org_id: str, source: ReportSource) -> IngestResult:
        """Store a report file for the organization (members and up, write scope).

        Raises NotFound, Forbidden, InvalidReport, ValidationError (no monitored domain matches).
        """
        principal.require_write()
        principal.require_role(org_id, OPERATE, "upload reports")
        return self.ingestor.ingest(org_id, source)

    def _load(self, session: Session, principal: Principal, report_id: str) -> DmarcReport:
        report = session.get(DmarcReport, report_id)
        if report is None or report.organization_id not in principal.roles:
            raise NotFound(f"Report '{report_id}' was not found.")
        return report

    def list_reports(
        self,
        principal: Principal,
        page: PageRequest,
        *,
        domain_id: str | None = None,
        organization_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
        reporter: str | None = None,
    ) -> dict[str, Any]:
        """Reports of every organization the caller belongs to, newest first.

        `from`/`to` select reports by the day they are counted on (`from` after `to` selects
        nothing). Raises NotFound for an organization or domain the caller cannot see.
        """
        org_ids = principal.organization_ids
        if organization_id is not None:
            principal.role_in(organization_id)
            org_ids = [organization_id]
        stmt: Select[Any] = select(DmarcReport).where(DmarcReport.organization_id.in_(org_ids))
        if start is not None:
            stmt = stmt.where(DmarcReport.day >= start)
        if end is not None:
            stmt = stmt.where(DmarcReport.day <= end)
        if reporter:
            stmt = stmt.where(DmarcReport.org_name == reporter)
        with self.db.transaction() as session:
            if domain_id is not None:
                self.domains.load(session, principal, domain_id)
                stmt = stmt.where(DmarcReport.domain_id == domain_id)
            stmt = stmt.order_by(DmarcReport.day.desc(), DmarcReport.begin_at.desc(), DmarcReport.id)
            rows, total = paginate(session, stmt, page)
            return {"reports": [summary_view(r[0]) for r in rows], "pagination": page_meta(page, total)}

    def get(self, principal: Principal, report_id: str, page: PageRequest) -> dict[str, Any]:
        """The report with one page of its records (in file order). Raises NotFound."""
        with self.db.transaction() as session:
            report = self._load(session, principal, report_id)
            records = session.scalars(
                select(DmarcRecord)
                .where(DmarcRecord.report_id == report.id)
                .order_by(DmarcRecord.position)
                .limit(page.limit)
                .offset(page.offset)
            ).all()
            return {"report": report_view(report, list(records)), "pagination": page_meta(page, report.record_count)}

    def delete(self, principal: Principal, report_id: str) -> dict[str, Any]:
        """Delete a report and take it out of the stats (admins). Raises NotFound, Forbidden.

        The rollups are adjusted by aggregate queries over the report's records, in SQL:
        no record is loaded, whatever the report's size.
        """
        principal.require_write()
        with self.db.transaction() as session:
            report = self._load(session, principal, report_id)
            principal.require_role(report.organization_id, MANAGE, "delete reports")
            # Claim the row with a write first: it takes SQLite's write lock and PostgreSQL's
            # row lock, so a concurrent delete of the same report waits here, then finds
            # nothing, and the report is never retracted twice.
            claimed = session.execute(
                update(REPORTS).where(REPORTS.c.id == report.id).values(record_count=REPORTS.c.record_count)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise NotFound(f"Report '{report_id}' was not found.")
            rollups.retract(session, rollups.ReportKey(report.id, report.domain_id, report.day, report.org_name))
            session.execute(delete(DmarcRecord).where(DmarcRecord.report_id == report.id))
            session.execute(delete(DmarcReport).where(DmarcReport.id == report.id))
        return {"id": report_id, "deleted": True}

    def stats(self, principal: Principal, domain_id: str, start: date | None, end: date | None) -> dict[str, Any]:
        """A domain's DMARC results over [start, end]. Raises NotFound."""
        with self.db.transaction() as session:
            domain = self.domains.load(session, principal, domain_id)
            principal.require_role(domain.organization_id, READ, "read report stats")
            return {"domain": domain.name, **analytics.domain_stats(session, domain.id, start, end)}

    def sources(
        self,
        principal: Principal,
        domain_id: str,
        start: date | None,
        end: date | None,
        sort: str,
        page: PageRequest,
    ) -> dict[str, Any]:
        """A domain's sending IPs over [start, end]. Raises NotFound, ValidationError (sort)."""
        with self.db.transaction() as session:
            domain = self.domains.load(session, principal, domain_id)
            principal.require_role(domain.organization_id, READ, "read report sources")
            return analytics.domain_sources(session, domain.id, start, end, sort, page)
