"""Rollups of stored reports: what the stats and sources endpoints read.

A report adds its tallies to four tables (three daily, one all-time per sending IP) in
the transaction that stores it, and takes them away again in the transaction that
deletes it, so the rollups always equal the sum of the stored records. Reading a month
of stats then touches a few hundred rollup rows instead of every record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from sentinel.store.bulk import insert_many, subtract_many
from sentinel.store.models import ReportDaySource, ReportDaySourceName, ReportDayStat, ReportSource

from .model import Record

STATS: Table = ReportDayStat.__table__  # type: ignore[assignment]
SOURCES: Table = ReportDaySource.__table__  # type: ignore[assignment]
NAMES: Table = ReportDaySourceName.__table__  # type: ignore[assignment]
TOTALS: Table = ReportSource.__table__  # type: ignore[assignment]

DISPOSITIONS = ("none", "pass", "quarantine", "reject")
_DISPOSITION_INDEX = {name: i for i, name in enumerate(DISPOSITIONS)}
#: Header-From (h) and DKIM (d) domains remembered per (IP, day).
HEADER_FROM, DKIM_DOMAIN = "h", "d"
_NAME_LENGTH = 255

STAT_KEYS = ("domain_id", "day", "reporter")
STAT_COLUMNS = (*STAT_KEYS, "reports", "messages", "dmarc_pass", "dkim_aligned", "spf_aligned",
                *(f"disposition_{d}" for d in (*DISPOSITIONS, "other")))
SOURCE_KEYS = ("domain_id", "day", "source_ip")
SOURCE_COLUMNS = (*SOURCE_KEYS, "messages", "dmarc_pass", "dkim_aligned", "spf_aligned")
TOTAL_KEYS = ("domain_id", "source_ip")
TOTAL_COLUMNS = (*TOTAL_KEYS, "messages", "dmarc_pass", "dmarc_fail", "dkim_aligned", "spf_aligned")
NAME_KEYS = ("domain_id", "day", "source_ip", "kind", "name")
NAME_COLUMNS = (*NAME_KEYS, "messages")


def report_day(begin: datetime, end: datetime) -> date:
    """The UTC day a report is counted on: the middle of its date range.

    Reporters in other time zones send ranges such as 22:00Z..21:59Z; the middle
    falls on the day they mean, where the beginning would not.
    """
    if end <= begin:
        return begin.date()
    return (begin + (end - begin) / 2).date()


class ReportRollup:
    """One report's contribution to the rollups of its domain, day and reporter.

    Tallies are lists [messages, dmarc_pass, dkim_aligned, spf_aligned]: this runs once
    per record, so it stays plain.
    """

    def __init__(self, domain_id: str, day: date, reporter: str) -> None:
        self.domain_id = domain_id
        self.day = day
        self.reporter = reporter
        self.total = [0, 0, 0, 0]
        self.dispositions = [0] * (len(DISPOSITIONS) + 1)
        self.sources: dict[str, list[int]] = {}
        self.names: dict[tuple[str, str, str], int] = {}

    def add(self, record: Record) -> None:
        self.add_values(
            record.source_ip, record.count, record.disposition, record.dmarc_pass, record.dkim_aligned,
            record.spf_aligned, record.header_from, [d.domain for d in record.dkim_results if d.domain],
        )

    def add_values(
        self,
        ip: str,
        count: int,
        disposition: str | None,
        dmarc_pass: bool,
        dkim_aligned: bool,
        spf_aligned: bool,
        header_from: str,
        dkim_domains: Iterable[str],
    ) -> None:
        """Count one record (also used when a stored report is read back for deletion)."""
        passed, dkim, spf = count if dmarc_pass else 0, count if dkim_aligned else 0, count if spf_aligned else 0
        total = self.total
        total[0] += count
        total[1] += passed
        total[2] += dkim
        total[3] += spf
        self.dispositions[_DISPOSITION_INDEX.get(disposition or "", len(DISPOSITIONS))] += count
        tally = self.sources.get(ip)
        if tally is None:
            self.sources[ip] = [count, passed, dkim, spf]
        else:
            tally[0] += count
            tally[1] += passed
            tally[2] += dkim
            tally[3] += spf
        names = self.names
        key = (ip, HEADER_FROM, header_from[:_NAME_LENGTH])
        names[key] = names.get(key, 0) + count
        seen: set[str] = set()
        for name in dkim_domains:
            if name not in seen:
                seen.add(name)
                key = (ip, DKIM_DOMAIN, name[:_NAME_LENGTH])
                names[key] = names.get(key, 0) + count

    # Rows as the driver takes them (days as ISO text), sorted by key so that concurrent
    # writers lock rows in one order.

    def stat_rows(self) -> list[tuple[Any, ...]]:
        return [(self.domain_id, self.day.isoformat(), self.reporter, 1, *self.total, *self.dispositions)]

    def source_rows(self) -> list[tuple[Any, ...]]:
        domain_id, day = self.domain_id, self.day.isoformat()
        return [(domain_id, day, ip, *tally) for ip, tally in sorted(self.sources.items())]

    def total_rows(self) -> list[tuple[Any, ...]]:
        domain_id = self.domain_id
        return [
            (domain_id, ip, messages, passed, messages - passed, dkim, spf)
            for ip, (messages, passed, dkim, spf) in sorted(self.sources.items())
        ]

    def name_rows(self) -> list[tuple[Any, ...]]:
        domain_id, day = self.domain_id, self.day.isoformat()
        return [(domain_id, day, ip, kind, name, n) for (ip, kind, name), n in sorted(self.names.items())]


def apply(session: Session, rollup: ReportRollup) -> None:
    """Add a newly stored report to the rollups."""
    insert_many(session, STATS, STAT_COLUMNS, rollup.stat_rows(), add_on_conflict=STAT_KEYS)
    insert_many(session, SOURCES, SOURCE_COLUMNS, rollup.source_rows(), add_on_conflict=SOURCE_KEYS)
    insert_many(session, TOTALS, TOTAL_COLUMNS, rollup.total_rows(), add_on_conflict=TOTAL_KEYS)
    insert_many(session, NAMES, NAME_COLUMNS, rollup.name_rows(), add_on_conflict=NAME_KEYS)


def retract(session: Session, rollup: ReportRollup) -> None:
    """Take a deleted report out of the rollups, dropping rows left with nothing."""
    subtract_many(session, STATS, STAT_KEYS, STAT_COLUMNS, rollup.stat_rows())
    subtract_many(session, SOURCES, SOURCE_KEYS, SOURCE_COLUMNS, rollup.source_rows())
    subtract_many(session, TOTALS, TOTAL_KEYS, TOTAL_COLUMNS, rollup.total_rows())
    subtract_many(session, NAMES, NAME_KEYS, NAME_COLUMNS, rollup.name_rows())
    session.execute(delete(TOTALS).where(TOTALS.c.domain_id == rollup.domain_id, TOTALS.c.messages <= 0))
    for table, emptied in ((STATS, "reports"), (SOURCES, "messages"), (NAMES, "messages")):
        session.execute(
            delete(table).where(
                table.c.domain_id == rollup.domain_id, table.c.day == rollup.day, table.c[emptied] <= 0
            )
        )
