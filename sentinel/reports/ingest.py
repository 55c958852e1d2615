"""Store a DMARC aggregate report: stage it first, then one short write transaction.

The file is read and checked while no transaction is open, by the parse port (worker
processes in the server, see workers.py): its record rows and rollup aggregates go to
staging files (staging.py) in the store's load format, and only a small summary comes
back. Only a file read to its end is stored, in one transaction that loads the rows,
adds the aggregates to the rollups (one upsert per aggregate row, no scan of the
records) and records the event; a file that turns out to be broken halfway
(InvalidReport) leaves no trace and never held the write lock.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sentinel.clock import Clock, IdGenerator
from sentinel.domains.names import normalize_domain
from sentinel.domains.service import MAX_SELECTORS
from sentinel.errors import InvalidReport, NotFound, SentinelError, ValidationError
from sentinel.events import record_event
from sentinel.store.db import Database
from sentinel.store.models import DmarcRecord, DmarcReport, Domain, Organization

from . import rollups, staging
from .api import header_to_api, skipped_to_api
from .limits import DEFAULT_LIMITS, ParseLimits, exceeded
from .source import ReportSource
from .staging import Header, SelectorCollector, Staged
from .views import summary_view
from .workers import InThread, Parsing

RECORDS: Table = DmarcRecord.__table__  # type: ignore[assignment]
# Runs in the storing transaction once the report and its rollups are written (alert rules).
AfterStore = Callable[[Session, DmarcReport], object]
# Reporter names and report ids are cut to this (the unique key must stay indexable).
_KEY_LENGTH = 255
# Bytes copied at a time when an upload is written to the staging directory.
_COPY_CHUNK = 1024 * 1024

__all__ = ["IngestResult", "ReportIngestor", "SelectorCollector", "find_domain"]


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


def merge_selectors(domain: Domain, found: list[str]) -> bool:
    """Add newly learned selectors to the domain's list (capped); whether any was new."""
    known = list(domain.learned_selectors or [])
    new = [s for s in found if s not in known]
    if not new:
        return False
    # A new list object: SQLAlchemy does not see in-place changes to JSON values.
    domain.learned_selectors = (known + new)[:MAX_SELECTORS]
    return True


@contextmanager
def _staging_area(source: ReportSource) -> Iterator[tuple[Path, Path]]:
    """A private directory for one upload, and the path of the report file in it (the caller's
    own path when it gave one). Removed, with everything staged in it, on the way out."""
    directory = Path(tempfile.mkdtemp(prefix="mailsentinel-staging-"))
    try:
        if isinstance(source, os.PathLike):
            path = Path(source)
        else:
            path = directory / "upload"
            with path.open("wb") as out:
                if isinstance(source, bytes | bytearray | memoryview):
                    out.write(source)
                elif hasattr(source, "read"):
                    shutil.copyfileobj(source, out, _COPY_CHUNK)
                else:
                    raise TypeError("a report source must be bytes, a binary stream or a path, "
                                    f"not {type(source).__name__}")
        yield directory, path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class ReportIngestor:
    """Parses and stores reports for an organization; the web layer checks roles first."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        ids: IdGenerator,
        limits: ParseLimits = DEFAULT_LIMITS,
        parsing: Parsing | None = None,
        after_store: AfterStore | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids
        self.limits = limits
        # Where files are read: worker processes in the server, else the caller's thread.
        self.parsing: Parsing = parsing or InThread()
        # Runs in the storing transaction once the report and its rollups are written (alert rules).
        self.after_store = after_store

    def ingest(self, organization_id: str, source: ReportSource) -> IngestResult:
        """Store one report file (bytes, stream or path) for an organization.

        Raises InvalidReport (the file is not a readable report or exceeds a ParseLimits
        bound; nothing is stored), ValidationError (no monitored domain matches),
        NotFound (no such organization), ServiceUnavailable (no parser free in time).
        """
        seconds = self.limits.max_seconds
        started = time.monotonic()
        with _staging_area(source) as (directory, path), self._one_time_bound():
            # A short read first: a duplicate or an unmonitored domain is answered
            # without reading the records.
            header = self.parsing.run(staging.read_header, (str(path), self.limits), seconds)
            with self.db.transaction() as session:
                existing = self._check(session, organization_id, header)
                if existing is not None:
                    return IngestResult(summary_view(existing), duplicate=True)
                domain_name = find_domain(session, organization_id, header.policy.domain).name
            report_id = self.ids.new("rpt")
            # Both reads share the one time bound (a header after the records costs a whole read).
            left = max(0.0, seconds - (time.monotonic() - started))
            staged = self.parsing.run(
                staging.stage_report,
                (str(path), replace(self.limits, max_seconds=left), report_id, domain_name,
                 self.db.engine.dialect.name, str(directory)),
                left,
            )
            try:
                with self.db.transaction() as session:
                    return self._store(session, organization_id, report_id, staged, domain_name)
            except IntegrityError:
                # A concurrent upload of the same report committed first.
                with self.db.transaction() as session:
                    found = self._existing(session, organization_id, staged.header)
                    if found is None:
                        raise
                    return IngestResult(summary_view(found), duplicate=True)

    @contextmanager
    def _one_time_bound(self) -> Iterator[None]:
        """A refusal for time names the configured bound, whichever read ran out of it."""
        try:
            yield
        except InvalidReport as exc:
            if not any(d.field == "limits.max_seconds" for d in exc.details):
                raise
            raise exceeded("max_seconds", f"Reading the report took more than {self.limits.max_seconds:g} "
                           "seconds (ParseLimits.max_seconds); refused.") from None

    def _check(self, session: Session, organization_id: str, header: Header) -> DmarcReport | None:
        """The stored copy of this report, if any. Raises NotFound, ValidationError."""
        if session.get(Organization, organization_id) is None:
            raise NotFound(f"Organization '{organization_id}' was not found.")
        return self._existing(session, organization_id, header)

    def _existing(self, session: Session, organization_id: str, header: Header) -> DmarcReport | None:
        meta = header.metadata
        return session.scalar(
            select(DmarcReport).where(
                DmarcReport.organization_id == organization_id,
                DmarcReport.org_name == meta.org_name[:_KEY_LENGTH],
                DmarcReport.external_id == meta.report_id[:_KEY_LENGTH],
            )
        )

    def _store(self, session: Session, organization_id: str, report_id: str, staged: Staged,
               selectors_for: str) -> IngestResult:
        # Checked again: the organization, the domain or the report may have changed
        # while the file was being read.
        existing = self._check(session, organization_id, staged.header)
        if existing is not None:
            return IngestResult(summary_view(existing), duplicate=True)
        meta, policy = staged.header.metadata, staged.header.policy
        domain = find_domain(session, organization_id, policy.domain)
        header = header_to_api(meta, policy)
        header.update(
            skipped=skipped_to_api(staged.skipped),
            skippedCount=staged.skipped_count,
            skippedByReason=dict(staged.skipped_by_reason),
            warnings=list(staged.warnings),
            extensions=staged.extensions,
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
            record_count=staged.record_count,
            message_count=staged.message_count,
            dmarc_pass_count=staged.dmarc_pass_count,
            header=header,
        )
        session.add(report)
        # Written now, so a concurrent duplicate fails here rather than after all the records.
        session.flush()
        staged.records.load(session, RECORDS, staged.format)
        rollups.add_staged(session, rollups.ReportKey(report.id, domain.id, report.day, report.org_name), staged)
        if selectors_for == domain.name:
            merge_selectors(domain, staged.selectors)
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

