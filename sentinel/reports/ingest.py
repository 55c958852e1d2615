"""Store a DMARC aggregate report: parse first, then one short write transaction.

The file is read and checked while no transaction is open: its records go to a
temporary file of compact rows (memory holds one batch). Only a file read to its end
is stored, in one transaction that inserts the rows, adds the rollups by aggregate
queries and records the event; a file that turns out to be broken halfway
(InvalidReport) leaves no trace and never held the write lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sentinel.clock import Clock, IdGenerator
from sentinel.dns.dkim import is_valid_selector
from sentinel.domains.names import normalize_domain
from sentinel.domains.service import MAX_SELECTORS
from sentinel.errors import NotFound, SentinelError, ValidationError
from sentinel.events import record_event
from sentinel.store.bulk import RowSpool, insert_many
from sentinel.store.db import Database
from sentinel.store.models import DmarcRecord, DmarcReport, Domain, Organization

from . import rollups
from .api import header_to_api, skipped_to_api
from .limits import DEFAULT_LIMITS, ParseLimits
from .model import Record
from .parser import ReportReader, open_report
from .source import ReportSource
from .views import RECORD_COLUMNS, record_row, summary_view

RECORDS: Table = DmarcRecord.__table__  # type: ignore[assignment]
AfterStore = Callable[[Session, DmarcReport], object]
#: Rows per staged batch and per INSERT: a record row is at most ~40 KB (ParseLimits
#: caps auth results and text), so a batch stays within a few MB.
BATCH = 250
# Reporter names and report ids are cut to this (the unique key must stay indexable).
_KEY_LENGTH = 255


@dataclass(frozen=True)
class IngestResult:
    """The stored report's summary, and whether it had been stored before."""

    report: dict[str, Any]
    duplicate: bool


def _candidates(policy_domain: str) -> list[str]:
    """The policy domain and each of its parents, longest first."""
    try:
        name = normalize_domain(policy_domain)
    except SentinelError:
        name = policy_domain.strip().rstrip(".").lower()
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or [name]


def find_domain(session: Session, organization_id: str, policy_domain: str) -> Domain:
    """The organization's domain that is the policy domain or its closest parent.

    Raises ValidationError naming the domain when the organization monitors neither.
    """
    candidates = _candidates(policy_domain)
    rows = session.scalars(
        select(Domain).where(Domain.organization_id == organization_id, Domain.name.in_(candidates))
    ).all()
    if not rows:
        message = (
            f"The report is about '{policy_domain}', which this organization does not monitor "
            "(nor any parent of it); add the domain first."
        )
        raise ValidationError.field("domain", message)
    return max(rows, key=lambda d: len(d.name))


class SelectorCollector:
    """DKIM selectors that passed for exactly the monitored domain.

    Only d=<domain> selectors are kept because a scan probes <selector>._domainkey.<domain>;
    only passing ones, because a failing signature may carry a forged selector and a pass
    proves the key is published.
    """

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.found: dict[str, None] = {}

    def add(self, record: Record) -> None:
        for result in record.dkim_results:
            if result.result == "pass" and result.selector and result.domain == self.domain:
                selector = result.selector.strip()
                if not is_valid_selector(selector):
                    continue
                selector = selector.lower()
                if selector not in self.found and len(self.found) < MAX_SELECTORS:
                    self.found[selector] = None

    def merge_into(self, domain: Domain) -> bool:
        known = list(domain.learned_selectors or [])
        new = [s for s in self.found if s not in known]
        if not new:
            return False
        # A new list object: SQLAlchemy does not see in-place changes to JSON values.
        domain.learned_selectors = (known + new)[:MAX_SELECTORS]
        return True


class ReportIngestor:
    """Parses and stores reports for an organization; the web layer checks roles first."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        ids: IdGenerator,
        limits: ParseLimits = DEFAULT_LIMITS,
        after_store: AfterStore | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids
        self.limits = limits
        # Runs in the storing transaction once the report and its rollups are written (alert rules).
        self.after_store = after_store

    def ingest(self, organization_id: str, source: ReportSource) -> IngestResult:
        """Store one report file (bytes, stream or path) for an organization.

        Raises InvalidReport (the file is not a readable report or exceeds a ParseLimits
        bound; nothing is stored), ValidationError (no monitored domain matches),
        NotFound (no such organization).
        """
        with open_report(source, self.limits) as reader:
            # A short read first: a duplicate or an unmonitored domain is answered
            # without reading the records.
            with self.db.transaction() as session:
                existing = self._check(session, organization_id, reader)
                if existing is not None:
                    return IngestResult(summary_view(existing), duplicate=True)
                domain_name = find_domain(session, organization_id, reader.policy.domain).name
            report_id = self.ids.new("rpt")
            with RowSpool(BATCH) as staged:
                selectors = SelectorCollector(domain_name)
                for record in reader:
                    staged.add(record_row(report_id, record))
                    selectors.add(record)
                try:
                    with self.db.transaction() as session:
                        return self._store(session, organization_id, reader, report_id, staged, selectors)
                except IntegrityError:
                    # A concurrent upload of the same report committed first.
                    with self.db.transaction() as session:
                        found = self._existing(session, organization_id, reader)
                        if found is None:
                            raise
                        return IngestResult(summary_view(found), duplicate=True)

    def _check(self, session: Session, organization_id: str, reader: ReportReader) -> DmarcReport | None:
        """The stored copy of this report, if any. Raises NotFound, ValidationError."""
        if session.get(Organization, organization_id) is None:
            raise NotFound(f"Organization '{organization_id}' was not found.")
        return self._existing(session, organization_id, reader)

    def _existing(self, session: Session, organization_id: str, reader: ReportReader) -> DmarcReport | None:
        meta = reader.metadata
        return session.scalar(
            select(DmarcReport).where(
                DmarcReport.organization_id == organization_id,
                DmarcReport.org_name == meta.org_name[:_KEY_LENGTH],
                DmarcReport.external_id == meta.report_id[:_KEY_LENGTH],
            )
        )

    def _store(self, session: Session, organization_id: str, reader: ReportReader, report_id: str,
               staged: RowSpool, selectors: SelectorCollector) -> IngestResult:
        # Checked again: the organization, the domain or the report may have changed
        # while the file was being read.
        existing = self._check(session, organization_id, reader)
        if existing is not None:
            return IngestResult(summary_view(existing), duplicate=True)
        meta, policy = reader.metadata, reader.policy
        domain = find_domain(session, organization_id, policy.domain)
        header = header_to_api(meta, policy)
        header.update(
            skipped=skipped_to_api(reader.skipped),
            skippedCount=reader.skipped_count,
            skippedByReason=dict(reader.skipped_by_reason),
            warnings=list(reader.warnings),
            extensions=reader.extensions,
        )
        report = DmarcReport(
            id=report_id,
            organization_id=organization_id,
            domain_id=domain.id,
            org_name=meta.org_name[:_KEY_LENGTH],
            external_id=meta.report_id[:_KEY_LENGTH],
            policy_domain=policy.domain[:253],
            begin_at=meta.begin,
            end_at=meta.end,
            day=rollups.report_day(meta.begin, meta.end),
            received_at=self.clock.now(),
            record_count=reader.record_count,
            message_count=reader.message_count,
            dmarc_pass_count=reader.dmarc_pass_count,
            header=header,
        )
        session.add(report)
        # Written now, so a concurrent duplicate fails here rather than after all the records.
        session.flush()
        for batch in staged.batches():
            insert_many(session, RECORDS, RECORD_COLUMNS, batch)
        rollups.apply(session, rollups.ReportKey(report.id, domain.id, report.day, report.org_name))
        if selectors.domain == domain.name:
            selectors.merge_into(domain)
        summary = summary_view(report)
        record_event(
            session,
            self.ids,
            self.clock,
            organization_id,
            "report.received",
            {
                "reportId": report.id,
                "domainId": domain.id,
                "domain": domain.name,
                "orgName": summary["orgName"],
                "reporterReportId": summary["reportId"],
                "dateRange": summary["dateRange"],
                "recordCount": report.record_count,
                "messageCount": report.message_count,
                "dmarcPassCount": report.dmarc_pass_count,
            },
        )
        # After report.received, so the outbox (and webhooks) tell of the report before its alerts.
        if self.after_store is not None:
            self.after_store(session, report)
        return IngestResult(summary, duplicate=False)
