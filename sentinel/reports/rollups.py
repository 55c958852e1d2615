"""Rollups of stored reports: what the stats and sources endpoints read.

A report adds its tallies to four tables (three daily, one all-time per sending IP) in
the transaction that stores it, and takes them away again in the transaction that
deletes it. Storing adds the aggregates the staging step computed while reading the file
(staging.Tallies): loaded into temporary tables, then one upsert per aggregate row, so
the write transaction never scans the records. Deleting subtracts the same aggregates
computed by queries (GROUP BY) over the report's stored records, inside the database;
tests check the two agree, so the rollups always equal the sum of the stored records and
neither direction loads a record into Python.

Why no sum can overflow 64 bits, on SQLite or PostgreSQL:
  * the parser refuses a report counting more than M = ParseLimits.max_messages =
    10^12 < 2^40 messages, so every record, and every aggregate over one report, is < 2^40;
  * stored rollup values saturate: daily rows (stats, sources, names) at DAY_CAP = 2^40,
    all-time totals at TOTAL_CAP = 2^62, report counts at REPORTS_CAP = 2^30 (a 32-bit
    column). The update is CASE WHEN t.x > CAP - e.x THEN CAP ELSE t.x + e.x END with
    0 <= t.x <= CAP and |e.x| < 2^40, so every intermediate value is below 2^63;
  * reads sum a domain's daily rows across days only: report days lie between
    1970-01-01 and 9999-12-31, fewer than 2^22 days, so such a SUM is below
    2^22 * 2^40 = 2^62. The per-(day, reporter) stats groups are single rows (the
    primary key), summed in Python.
A saturated value means "at least this much"; taking a report out of one leaves it
non-negative (it is min(true sum, CAP) - x >= 0 as x <= true sum and x < CAP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Date,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    case,
    cast,
    delete,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sentinel.store.models import DmarcRecord, ReportDaySource, ReportDaySourceName, ReportDayStat, ReportSource

from . import staging
from .staging import DISPOSITIONS as DISPOSITIONS
from .staging import DKIM_DOMAIN as DKIM_DOMAIN
from .staging import HEADER_FROM as HEADER_FROM
from .staging import Staged

STATS: Table = ReportDayStat.__table__  # type: ignore[assignment]
SOURCES: Table = ReportDaySource.__table__  # type: ignore[assignment]
NAMES: Table = ReportDaySourceName.__table__  # type: ignore[assignment]
TOTALS: Table = ReportSource.__table__  # type: ignore[assignment]
RECORDS: Table = DmarcRecord.__table__  # type: ignore[assignment]

_NAME_LENGTH = staging.NAME_LENGTH

DAY_CAP = 2**40
TOTAL_CAP = 2**62
REPORTS_CAP = 2**30

STAT_KEYS = ("domain_id", "day", "reporter")
SOURCE_KEYS = ("domain_id", "day", "source_ip")
TOTAL_KEYS = ("domain_id", "source_ip")
NAME_KEYS = ("domain_id", "day", "source_ip", "kind", "name")


def report_day(begin: datetime, end: datetime) -> date:
    """The UTC day a report is counted on: the middle of its date range.

    Reporters in other time zones send ranges such as 22:00Z..21:59Z; the middle
    falls on the day they mean, where the beginning would not.
    """
    if end <= begin:
        return begin.date()
    return (begin + (end - begin) / 2).date()


@dataclass(frozen=True, slots=True)
class ReportKey:
    """Which stored report, and the domain, day and reporter its tallies count for."""

    report_id: str
    domain_id: str
    day: date
    reporter: str


def apply(session: Session, key: ReportKey) -> None:
    """Add a stored report's records (already inserted) to the rollups."""
    _upsert_all(session, key, 1)


# The staged aggregates, loaded into temporary tables of the store transaction's connection.
_STAGED = MetaData()
STAGED_SOURCES = Table(
    "staged_sources", _STAGED,
    Column("source_ip", String(45)), *(Column(c, BigInteger) for c in staging.SOURCE_COLUMNS[1:]),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)
STAGED_NAMES = Table(
    "staged_names", _STAGED,
    Column("source_ip", String(45)), Column("kind", String(1)), Column("name", String(255)),
    Column("messages", BigInteger),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)


def add_staged(session: Session, key: ReportKey, staged: Staged) -> None:
    """Add a staged report's aggregates (staging.Tallies) to the rollups: one upsert per
    aggregate row, whatever the number of records."""
    connection = session.connection()
    domain, day = literal(key.domain_id, String), literal(key.day, Date)
    values: list[ColumnElement[Any]] = [domain, day, literal(key.reporter, String), literal(1, Integer)]
    values += [literal(v, BigInteger) for v in staged.stats]
    stats = select(*values).where(true())
    _upsert(session, STATS, STAT_KEYS, stats, {"reports": REPORTS_CAP}, DAY_CAP)
    # Temporary tables of this transaction: a rollback drops them on both databases, and
    # PostgreSQL's ON COMMIT DROP a commit; SQLite's are dropped below.
    for table in (STAGED_SOURCES, STAGED_NAMES):
        table.create(connection)
    staged.sources.load(session, STAGED_SOURCES, staged.format)
    staged.names.load(session, STAGED_NAMES, staged.format)
    s, n = STAGED_SOURCES.c, STAGED_NAMES.c
    # The same ORDER BY (in the database's collation) as retract's, so the rows of one
    # (domain, day) are always locked in one order.
    sources = (select(domain, day, s.source_ip, s.messages, s.dmarc_pass, s.dkim_aligned, s.spf_aligned)
               .where(true()).order_by(s.source_ip))
    _upsert(session, SOURCES, SOURCE_KEYS, sources, {}, DAY_CAP)
    totals = (select(domain, s.source_ip, s.messages, s.dmarc_pass, s.dmarc_fail, s.dkim_aligned, s.spf_aligned)
              .where(true()).order_by(s.source_ip))
    _upsert(session, TOTALS, TOTAL_KEYS, totals, {}, TOTAL_CAP)
    names = (select(domain, day, n.source_ip, n.kind, n.name, n.messages)
             .where(true()).order_by(n.source_ip, n.kind, n.name))
    _upsert(session, NAMES, NAME_KEYS, names, {}, DAY_CAP)
    if connection.dialect.name != "postgresql":
        for table in (STAGED_SOURCES, STAGED_NAMES):
            table.drop(connection)


def retract(session: Session, key: ReportKey) -> None:
    """Take a report (its records still stored) out of the rollups, dropping emptied rows."""
    _upsert_all(session, key, -1)
    session.execute(delete(TOTALS).where(TOTALS.c.domain_id == key.domain_id, TOTALS.c.messages <= 0))
    for table, emptied in ((STATS, "reports"), (SOURCES, "messages"), (NAMES, "messages")):
        session.execute(
            delete(table).where(table.c.domain_id == key.domain_id, table.c.day == key.day, table.c[emptied] <= 0)
        )


def _when(flag: ColumnElement[Any], count: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((flag, count), else_=0)


def _sum(value: ColumnElement[Any], sign: int) -> ColumnElement[Any]:
    # Cast back from PostgreSQL's numeric SUM; one report's sums are below 2^40.
    return cast(func.coalesce(func.sum(value), 0) * sign, BigInteger)


def _upsert_all(session: Session, key: ReportKey, sign: int) -> None:
    r = RECORDS.c
    mine = r.report_id == key.report_id
    domain = literal(key.domain_id, String)
    day = literal(key.day, Date)
    passed, failed = _when(r.dmarc_pass, r.count), case((r.dmarc_pass, 0), else_=r.count)
    dkim, spf = _when(r.dkim_aligned, r.count), _when(r.spf_aligned, r.count)
    known = r.disposition.in_(DISPOSITIONS)
    dispositions = [_when(r.disposition == d, r.count) for d in DISPOSITIONS]
    other = case((known, 0), else_=r.count)  # NULL or an unknown word

    stats = select(
        domain, day, literal(key.reporter, String), literal(sign, Integer), _sum(r.count, sign),
        _sum(passed, sign), _sum(dkim, sign), _sum(spf, sign),
        *(_sum(d, sign) for d in dispositions), _sum(other, sign),
    ).where(mine)
    _upsert(session, STATS, STAT_KEYS, stats, {"reports": REPORTS_CAP}, DAY_CAP)

    sources = (
        select(domain, day, r.source_ip, _sum(r.count, sign), _sum(passed, sign), _sum(dkim, sign), _sum(spf, sign))
        .where(mine).group_by(r.source_ip).order_by(r.source_ip)
    )
    _upsert(session, SOURCES, SOURCE_KEYS, sources, {}, DAY_CAP)

    totals = (
        select(domain, r.source_ip, _sum(r.count, sign), _sum(passed, sign), _sum(failed, sign), _sum(dkim, sign),
               _sum(spf, sign))
        .where(mine).group_by(r.source_ip).order_by(r.source_ip)
    )
    _upsert(session, TOTALS, TOTAL_KEYS, totals, {}, TOTAL_CAP)

    header_from = func.substr(r.header_from, 1, _NAME_LENGTH)
    names = (
        select(domain, day, r.source_ip, literal(HEADER_FROM, String), header_from, _sum(r.count, sign))
        .where(mine).group_by(r.source_ip, header_from).order_by(r.source_ip, header_from)
    )
    _upsert(session, NAMES, NAME_KEYS, names, {}, DAY_CAP)

    signed = _dkim_domains(session, key.report_id).subquery()
    dkim_names = (
        select(domain, day, signed.c.source_ip, literal(DKIM_DOMAIN, String), signed.c.name,
               _sum(signed.c.count, sign))
        .where(true()).group_by(signed.c.source_ip, signed.c.name).order_by(signed.c.source_ip, signed.c.name)
    )
    _upsert(session, NAMES, NAME_KEYS, dkim_names, {}, DAY_CAP)


def _dkim_domains(session: Session, report_id: str) -> Select[Any]:
    """Each record's distinct DKIM d= domains, from its stored auth results (JSON)."""
    r = RECORDS.c
    if session.connection().dialect.name == "postgresql":
        items = func.json_array_elements(r.details["authResults"]["dkim"]).table_valued("value")
        name: ColumnElement[Any] = items.c.value.op("->>")(literal("domain", String))
    else:
        items = func.json_each(r.details, "$.authResults.dkim").table_valued("value")
        name = func.json_extract(items.c.value, "$.domain")
    name = func.substr(name, 1, _NAME_LENGTH)
    return (
        select(r.position, r.source_ip, r.count, name.label("name"))
        .select_from(RECORDS.join(items, true()))
        .where(r.report_id == report_id, name.is_not(None), name != "")
        .distinct()
    )


def _upsert(session: Session, table: Table, keys: tuple[str, ...], rows: Select[Any], caps: dict[str, int],
            cap: int) -> None:
    """INSERT ... SELECT rows; a row whose key exists adds to it, saturating at its cap."""
    dialect = session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = [c.name for c in table.columns]
    stmt = insert(table).from_select(columns, rows)
    updates: dict[str, Any] = {}
    for name in columns:
        if name in keys:
            continue
        limit = literal(caps.get(name, cap), BigInteger)
        stored, added = table.c[name], stmt.excluded[name]
        updates[name] = case((stored > limit - added, limit), else_=stored + added)
    session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates))
