"""Uploads are parsed in worker processes and staged with their aggregates; the store
transaction loads rows and upserts aggregates without reading the records back."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, event, select

from sentinel.app import Services
from sentinel.errors import InvalidReport
from sentinel.reports import DEFAULT_LIMITS, rollups, staging
from sentinel.reports.ingest import ReportIngestor
from sentinel.reports.workers import NICENESS, InThread, ParseProcesses
from sentinel.store.models import (
    DmarcRecord,
    DmarcReport,
    ReportDaySource,
    ReportDaySourceName,
    ReportDayStat,
    ReportSource,
)
from tests.support.api import Tenant

from .support import AGGREGATE, Rec, report_xml, upload

DAY = 1718236800  # 2024-06-13T00:00:00Z
ROLLUPS = (ReportDayStat, ReportDaySource, ReportDaySourceName, ReportSource)


@pytest.fixture
def processes() -> Iterator[ParseProcesses]:
    pool = ParseProcesses(1, grace=0.2)
    yield pool
    pool.close()


def test_a_parse_past_its_time_ends_with_its_process_and_the_next_one_runs(processes: ParseProcesses) -> None:
    first = processes.run(os.getpid, (), 5)
    assert first != os.getpid()
    with pytest.raises(InvalidReport) as err:
        processes.run(time.sleep, (60,), 0.3)
    assert err.value.details[0].field == "limits.max_seconds"
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # that process is gone
    second = processes.run(os.getpid, (), 5)
    assert second not in (first, os.getpid())


def test_a_worker_that_dies_is_replaced(processes: ParseProcesses) -> None:
    with pytest.raises(RuntimeError, match="ended unexpectedly"):
        processes.run(os._exit, (3,), 5)
    assert processes.run(os.getpid, (), 5) != os.getpid()


def test_workers_run_at_a_lower_priority_and_refusals_cross_as_they_are(
    processes: ParseProcesses, tmp_path: Any
) -> None:
    pid = processes.run(os.getpid, (), 5)
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
    path = tmp_path / "not-a-report.xml"
    path.write_bytes(b"<?xml version='1.0'?><html><body>hello</body></html>")
    with pytest.raises(InvalidReport) as in_process:
        processes.run(staging.read_header, (str(path), DEFAULT_LIMITS), 5)
    with pytest.raises(InvalidReport) as in_thread:
        InThread().run(staging.read_header, (str(path), DEFAULT_LIMITS), 5)
    assert in_process.value.message == in_thread.value.message


def _varied() -> bytes:
    """Repeated IPs, several and repeated DKIM domains per record, empty and over-long names,
    every disposition and an unknown one."""
    long_name = "x" * 300 + ".example"
    records = [
        Rec("192.0.2.1", 5, "none", (("example.com", "s1", "pass"), ("example.com", "s2", "fail"))),
        Rec("192.0.2.1", 7, "quarantine", (("other.example", "k", "pass"),), header_from="sub.example.com"),
        Rec("192.0.2.2", 11, "reject", ((long_name, "k", "pass"), ("", "k", "none"))),
        Rec("2001:db8::5", 13, "pass", (), header_from=long_name),
        Rec("192.0.2.2", 17, "bogus", (("example.com", "s1", "pass"),)),
        Rec("192.0.2.3", 19, "none", (("example.com", "s1", "fail"),), spf=("example.com", "fail")),
    ]
    return report_xml("Varied", "varied-1", DAY, records)


def _rollup_rows(services: Services, domain_id: str) -> dict[str, set[tuple[Any, ...]]]:
    with services.db.reading() as connection:
        return {
            model.__tablename__: {
                tuple(row) for row in connection.execute(select(model.__table__).where(model.domain_id == domain_id))
            }
            for model in ROLLUPS
        }


def _upload_all(tenant: Tenant) -> list[str]:
    names = ["!large-example.com!1711897200!1711983600.xml", "nice-input.xml",
             "zoho.com!example.com!1581753600!1581840000.xml", "usssa.com!example.com!1538784000!1538870399.xml",
             "rfc9990-example.net!example.com!1700000000!1700086399.xml"]
    ids = []
    for data in [(AGGREGATE / n).read_bytes() for n in names] + [_varied()]:
        ids.append(tenant.data(upload(tenant, tenant.org_id, data), 201)["report"]["id"])
    return ids


def test_staged_aggregates_equal_the_aggregates_of_the_stored_records(tenant: Tenant, services: Services) -> None:
    domain = tenant.create_domain("example.com")
    report_ids = _upload_all(tenant)
    staged = _rollup_rows(services, domain["id"])
    assert all(staged.values())
    # The same rollups again, from the stored records by the SQL aggregate queries (those
    # that take a report out again on delete).
    with services.db.transaction() as session:
        for model in ROLLUPS:
            session.execute(delete(model).where(model.domain_id == domain["id"]))
        for report in session.scalars(select(DmarcReport).where(DmarcReport.id.in_(report_ids))):
            rollups.apply(session, rollups.ReportKey(report.id, report.domain_id, report.day, report.org_name))
    assert _rollup_rows(services, domain["id"]) == staged


def test_the_store_transaction_never_reads_the_records_back(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    ingestor = ReportIngestor(services.db, services.clock, services.ids, parsing=InThread())
    event.listen(services.db.engine, "before_cursor_execute", seen)
    try:
        result = ingestor.ingest(tenant.org_id, _varied())
    finally:
        event.remove(services.db.engine, "before_cursor_execute", seen)
    assert result.report["recordCount"] == 6
    table = DmarcRecord.__tablename__
    touching = [s for s in statements if table in s]
    # The rows go in (INSERT on SQLite, COPY on PostgreSQL: not through the cursor); nothing
    # selects from them.
    assert all(s.lstrip().upper().startswith("INSERT INTO") for s in touching), touching
    assert not any("FROM " + table in s or f'FROM "{table}"' in s for s in statements)


def test_a_staged_file_gives_back_its_rows_batch_by_batch(tmp_path: Any) -> None:
    rows = [("rpt", i, "2001:db8::1", i * 7, None, True, "é" * (i % 5000), '{"a": [1]}') for i in range(1234)]
    out = staging.RowFile(tmp_path / "rows", ("a", "b", "c", "d", "e", "f", "g", "h"), copy=False)
    for row in rows:
        out.add(row)
    staged = out.close()
    batches = list(staged.batches())
    assert staged.rows == 1234 and [len(b) for b in batches] == [staging.BATCH] * 4 + [234]
    assert [tuple(r) for b in batches for r in b] == rows
    assert list(staging.RowFile(tmp_path / "empty", ("a",), copy=False).close().batches()) == []
