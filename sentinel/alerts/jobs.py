"""Worker jobs of continuous monitoring, each `name` + `run_once(now) -> items handled`
(the worker's Job protocol): scheduled rescans and the time-based rules.

Claims live in the database, so any number of workers can run the same jobs: a domain is
claimed by a conditional UPDATE (due, and not claimed or its lease expired), which on
SQLite and PostgreSQL alike succeeds for exactly one of the workers racing for it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_, select, update

from sentinel.errors import NotFound
from sentinel.scans.service import ScanService
from sentinel.store.db import Database
from sentinel.store.models import Domain
from sentinel.worker import Job

from .engine import AlertEngine
from .schedule import first_scan_at

log = logging.getLogger("sentinel.alerts.jobs")
DOMAINS: Table = Domain.__table__  # type: ignore[assignment]


def _due(now: datetime) -> ColumnElement[bool]:
    c = DOMAINS.c
    return and_(
        c.verified_at.is_not(None),
        c.scan_interval_hours > 0,
        c.next_scan_at <= now,
        or_(c.scan_claimed_until.is_(None), c.scan_claimed_until < now),
    )


class ScheduledScans:
    """Rescans each verified domain every `scanIntervalHours`; scans are stored like manual ones."""

    name = "scheduled_scans"

    def __init__(
        self, db: Database, scans: ScanService, batch: int = 10, lease: timedelta = timedelta(minutes=15)
    ) -> None:
        self.db = db
        self.scans = scans
        self.batch = batch
        # How long a claim holds: a worker that dies mid-scan frees its domain after this.
        self.lease = lease

    def plan(self, now: datetime, limit: int = 500) -> int:
        """Give verified domains without a scheduled rescan one (spread over an interval from now)."""
        c = DOMAINS.c
        with self.db.transaction() as session:
            rows = session.execute(
                select(c.id, c.scan_interval_hours)
                .where(c.verified_at.is_not(None), c.scan_interval_hours > 0, c.next_scan_at.is_(None))
                .limit(limit)
            ).all()
            for domain_id, hours in rows:
                session.execute(
                    update(DOMAINS)
                    .where(c.id == domain_id, c.next_scan_at.is_(None))
                    .values(next_scan_at=first_scan_at(domain_id, now, hours))
                )
            return len(rows)

    def due(self, now: datetime, limit: int | None = None) -> list[str]:
        """IDs of the domains due for a rescan, longest overdue first."""
        c = DOMAINS.c
        stmt = select(c.id).where(_due(now)).order_by(c.next_scan_at, c.id).limit(limit or self.batch)
        with self.db.reading() as connection:
            return [row[0] for row in connection.execute(stmt)]

    def claim(self, domain_id: str, now: datetime) -> bool:
        """Take a due domain for `lease`; False when another worker has it or it is no longer due."""
        with self.db.transaction() as session:
            done: Any = session.execute(
                update(DOMAINS).where(DOMAINS.c.id == domain_id, _due(now)).values(scan_claimed_until=now + self.lease)
            )
            return bool(done.rowcount == 1)

    def run_once(self, now: datetime) -> int:
        self.plan(now)
        scanned = 0
        for domain_id in self.due(now):
            if not self.claim(domain_id, now):
                continue
            try:
                # Stores the scan, sets the next due time, drops the claim, evaluates the rules.
                self.scans.scan_now(domain_id)
            except NotFound:
                continue
            except Exception:
                # The claim expires after its lease and another run tries again.
                log.exception("scheduled scan of %s failed", domain_id)
                continue
            scanned += 1
        return scanned


class TimeRules:
    """The rules only time can trigger (reports_stopped), evaluated at most every `every`."""

    name = "time_rules"

    def __init__(self, db: Database, engine: AlertEngine, every: timedelta = timedelta(minutes=10)) -> None:
        self.db = db
        self.engine = engine
        self.every = every
        self._last: datetime | None = None

    def run_once(self, now: datetime) -> int:
        if self._last is not None and self._last <= now < self._last + self.every:
            return 0
        self._last = now
        with self.db.transaction() as session:
            return self.engine.check_reporters(session, now)


def monitoring_jobs(db: Database, scans: ScanService, engine: AlertEngine) -> list[Job]:
    """The jobs the worker runs for alerts and continuous monitoring."""
    return [ScheduledScans(db, scans), TimeRules(db, engine)]
