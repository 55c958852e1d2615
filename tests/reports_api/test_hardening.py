"""Hostile uploads through the live server: bounded work, memory and lock time, no 500s."""

from __future__ import annotations

import base64
import gzip
import json
import threading
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sentinel.app import Services
from sentinel.errors import InvalidReport
from sentinel.reports import ParseLimits
from sentinel.reports.ingest import ReportIngestor
from sentinel.store.models import DmarcRecord, DmarcReport
from tests.support.api import Tenant, error_of

from .support import NOTHING, Rec, gz, many_records, report_xml, stored_rows, upload

pytestmark = pytest.mark.db

DAY = 1718236800  # 2024-06-13T00:00:00Z
MIB = 1024 * 1024


def _with_skipped(n: int) -> bytes:
    data = report_xml("Skippy", "skip-1", DAY, [Rec("192.0.2.1", 2), Rec("192.0.2.2", 3)]).decode()
    bad = "".join(f"<record><row><source_ip>nope-{i}</source_ip><count>1</count></row></record>\n"
                  for i in range(n))
    return data.replace("</feedback>", bad + "</feedback>").encode()


def test_skipped_records_are_stored_as_a_bounded_sample(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    summary = tenant.data(upload(tenant, tenant.org_id, gz(_with_skipped(5000)), "application/gzip"), 201)["report"]
    assert (summary["recordCount"], summary["skippedCount"]) == (2, 5000)
    listed = tenant.data(tenant.get("/api/reports", params={"organizationId": tenant.org_id}))["reports"]
    assert [r["skippedCount"] for r in listed] == [5000]
    full = tenant.data(tenant.get(f"/api/reports/{summary['id']}", params={"limit": 1}))["report"]
    assert full["skippedCount"] == 5000
    assert full["skippedByReason"] == {"invalid_source_ip": 5000}
    assert [s["index"] for s in full["skipped"]] == list(range(2, 102))
    # What lists and reads load is the same size as for a report with 100 skipped records.
    with services.db.transaction() as session:
        header = session.scalar(select(DmarcReport.header).where(DmarcReport.id == summary["id"]))
    assert len(json.dumps(header)) < 16_000


class _Watched:
    """The services' parse port, noting how many database connections are out around each call."""

    def __init__(self, services: Services) -> None:
        self.inner = services.reports.ingestor.parsing
        self.pool = services.db.engine.pool
        self.seen: list[tuple[str, int]] = []

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...], seconds: float) -> Any:
        self.seen.append((fn.__name__, self.pool.checkedout()))  # type: ignore[attr-defined]
        try:
            return self.inner.run(fn, args, seconds)
        finally:
            self.seen.append((fn.__name__, self.pool.checkedout()))  # type: ignore[attr-defined]

    def close(self) -> None:
        pass


def test_no_connection_is_held_while_the_file_is_read(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    watched = _Watched(services)
    ingestor = ReportIngestor(services.db, services.clock, services.ids, parsing=watched)
    result = ingestor.ingest(tenant.org_id, report_xml("Watch", "watch-1", DAY, many_records(6000)))
    assert result.report["recordCount"] == 6000
    # The header, then the whole file, each read with no connection out.
    assert watched.seen == [("read_header", 0)] * 2 + [("stage_report", 0)] * 2


def _ingestor(services: Services, **limits: Any) -> ReportIngestor:
    return ReportIngestor(services.db, services.clock, services.ids, ParseLimits(**limits))


def test_record_and_time_bounds_refuse_and_store_nothing(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    data = report_xml("Bound", "bound-1", DAY, many_records(3000))
    for limits, bound in (({"max_records": 2500}, "limits.max_records"), ({"max_seconds": 0.0}, "limits.max_seconds")):
        with pytest.raises(InvalidReport) as err:
            _ingestor(services, **limits).ingest(tenant.org_id, data)
        assert err.value.details[0].field == bound
        assert stored_rows(services, tenant.org_id) == NOTHING


def _nested_bomb(padding: bytes) -> bytes:
    """gzip in gzip of a report whose records carry 60,000 bytes of padding each."""
    head = report_xml("Bomb", "bomb-1", DAY, []).replace(b"</feedback>\n", b"")
    padded = report_xml("Bomb", "bomb-1", DAY, [Rec("192.0.2.1", 1)]).split(b"<record>")[1].split(b"</record>")[0]
    one = b"<record>" + padded.replace(b"<row>", b"<row>" + padding) + b"</record>\n"
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    inner = packer.compress(head) + b"".join(packer.compress(one * 100) for _ in range(40)) + packer.flush()
    return gzip.compress(inner)


def test_compression_bombs_are_a_422_naming_the_bound(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    # 4,000 records padded to 60 KB: 240 MB of XML in 30 KB, under the element cap.
    bomb = _nested_bomb(b" " * 60_000)
    with pytest.raises(InvalidReport) as err:
        # The ratio bound lifted, so the byte bound is what stops it.
        _ingestor(services, max_decompressed_bytes=16 * MIB, max_inflation_ratio=100_000).ingest(tenant.org_id, bomb)
    assert err.value.details[0].field == "limits.max_decompressed_bytes"
    # Padded past the element cap, through the server with the default bounds.
    error = error_of(upload(tenant, tenant.org_id, _nested_bomb(b" " * 70_000), "application/gzip"), 422,
                     "INVALID_REPORT")
    assert error["details"][0]["field"] in {"limits.max_element_bytes", "limits.max_inflation_ratio"}
    assert stored_rows(services, tenant.org_id) == NOTHING


def _nested_mail(depth: int) -> bytes:
    parts = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth))
    tails = "".join(f"\r\n--b{i}--\r\n" for i in reversed(range(depth)))
    attachment = ("Content-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                  + base64.encodebytes(gz(report_xml("Mail", "mail-1", DAY, [Rec("192.0.2.1", 1)]))).decode())
    return f"From: a@b.example\r\nSubject: r\r\nMIME-Version: 1.0\r\n{parts}{attachment}{tails}".encode()


def test_deeply_nested_email_is_a_422(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    error = error_of(upload(tenant, tenant.org_id, _nested_mail(2000), "message/rfc822"), 422, "INVALID_REPORT")
    assert error["details"][0]["field"] == "limits.max_mime_parts"
    assert stored_rows(services, tenant.org_id) == NOTHING
    assert tenant.data(upload(tenant, tenant.org_id, _nested_mail(3), "message/rfc822"), 201)["report"]["recordCount"]


def test_a_report_counting_too_many_messages_is_refused(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    data = report_xml("Big", "big-1", DAY, [Rec("192.0.2.1", 600_000_000_000), Rec("192.0.2.2", 600_000_000_000)])
    error = error_of(upload(tenant, tenant.org_id, data), 422, "INVALID_REPORT")
    assert error["details"][0]["field"] == "limits.max_messages" and "1000000000000" in error["message"]
    assert stored_rows(services, tenant.org_id) == NOTHING


def test_poison_counts_cannot_break_later_reports(tenant: Tenant) -> None:
    domain = tenant.create_domain("example.com")
    # Each count is accepted by a naive reader (2^53); together they pass 2^63.
    poison = report_xml("Poison", "p-1", DAY, [Rec("192.0.2.66", 2**53)] * 1100)
    report = tenant.data(upload(tenant, tenant.org_id, poison), 201)["report"]
    assert (report["messageCount"], report["skippedCount"]) == (0, 1100)
    # Reports at the bound, for one IP and one day, from several reporters: the daily row
    # saturates, nothing overflows, and a genuine report still goes in.
    top = 10**12 - 1
    for i in range(3):
        data = report_xml(f"Max{i}", f"max-{i}", DAY, [Rec("192.0.2.66", top)])
        tenant.data(upload(tenant, tenant.org_id, data), 201)
    tenant.data(upload(tenant, tenant.org_id, report_xml("Real", "real-1", DAY, [Rec("192.0.2.66", 5)])), 201)
    day = {"from": "2024-06-13", "to": "2024-06-13"}
    ranged = tenant.data(tenant.get(f"/api/domains/{domain['id']}/sources", params=day))["sources"]
    assert [(s["sourceIp"], s["messages"]) for s in ranged] == [("192.0.2.66", 2**40)]
    alltime = tenant.data(tenant.get(f"/api/domains/{domain['id']}/sources"))["sources"]
    assert [(s["sourceIp"], s["messages"]) for s in alltime] == [("192.0.2.66", 3 * top + 5)]
    stats = tenant.data(tenant.get(f"/api/domains/{domain['id']}/stats"))["summary"]
    assert (stats["reports"], stats["messages"]) == (5, 3 * top + 5)
    assert isinstance(stats["dmarcPassRate"], float)


def _view(t: Tenant, domain_id: str) -> dict[str, Any]:
    """Everything the stats and sources endpoints say about a domain."""
    ranged = {"from": "2024-06-01", "to": "2024-06-30"}
    return {
        "stats": t.data(t.get(f"/api/domains/{domain_id}/stats")),
        "ranged": t.data(t.get(f"/api/domains/{domain_id}/stats", params=ranged)),
        "sources": t.data(t.get(f"/api/domains/{domain_id}/sources", params={"limit": 100})),
        "failures": t.data(t.get(f"/api/domains/{domain_id}/sources", params={"sort": "failures", "limit": 100})),
        "dated": t.data(t.get(f"/api/domains/{domain_id}/sources", params={**ranged, "limit": 100})),
    }


def test_delete_restores_stats_and_sources_exactly(tenant: Tenant) -> None:
    domain = tenant.create_domain("example.com")
    base = [Rec("192.0.2.1", 4, dkim=(("example.com", "s1", "pass"),)), Rec("198.51.100.7", 2, "quarantine")]
    tenant.data(upload(tenant, tenant.org_id, report_xml("Alpha", "a-1", DAY, base)), 201)
    before = _view(tenant, domain["id"])
    extra = [
        Rec("192.0.2.1", 5, "reject", dkim=(("example.com", "s1", "pass"), ("esp.example", "k", "fail"),
                                            ("esp.example", "k2", "pass"))),
        Rec("192.0.2.1", 1, "weird-word", header_from="news.example.com"),
        Rec("203.0.113.5", 7, dkim=(("other.example", "x", "pass"),), spf=("example.com", "fail")),
    ]
    added = tenant.data(upload(tenant, tenant.org_id, report_xml("Beta", "b-1", DAY, extra)), 201)["report"]
    assert _view(tenant, domain["id"]) != before
    tenant.data(tenant.delete(f"/api/reports/{added['id']}"))
    assert _view(tenant, domain["id"]) == before
    error_of(tenant.delete(f"/api/reports/{added['id']}"), 404, "NOT_FOUND")


def _traced_peak(action: Any) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_deleting_a_large_report_loads_no_records(tenant: Tenant, services: Services) -> None:
    domain = tenant.create_domain("example.com")
    report = tenant.data(upload(tenant, tenant.org_id, report_xml("Large", "l-1", DAY, many_records(20_000))),
                         201)["report"]
    # Traced, the delete is slow on a busy machine: the client's usual 30 s guard is not the point.
    peak = _traced_peak(lambda: tenant.data(tenant.delete(f"/api/reports/{report['id']}", timeout=300)))
    # The server runs in this process: its allocations are traced. 20,000 records read
    # back would be several MB; the aggregate queries need none of it.
    assert peak < 1 * MIB, peak
    with services.db.transaction() as session:
        assert session.scalar(select(DmarcRecord.position).where(DmarcRecord.report_id == report["id"])) is None
    assert tenant.data(tenant.get(f"/api/domains/{domain['id']}/sources"))["sources"] == []


def _many_signatures(records: int, per_record: int) -> bytes:
    signatures = tuple((f"d{i}.example", f"s{i}", "fail") for i in range(per_record))
    return report_xml("Sigs", "sigs-1", DAY, [Rec(f"10.1.{i // 256}.{i % 256}", 1, dkim=signatures)
                                               for i in range(records)])


def test_an_upload_with_many_signatures_per_record_stays_small(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    data = gz(_many_signatures(150, 700))
    assert len(data) < 2 * MIB
    responses = []
    peak = _traced_peak(lambda: responses.append(upload(tenant, tenant.org_id, data, "application/gzip")))
    report = tenant.data(responses[0], 201)["report"]
    assert report["recordCount"] == 150
    full = tenant.data(tenant.get(f"/api/reports/{report['id']}", params={"limit": 1}))["report"]
    assert len(full["records"][0]["authResults"]["dkim"]) == 16
    assert "were dropped" in full["warnings"][-1]
    assert peak < 16 * MIB, peak


@pytest.mark.parametrize(("label", "change", "status"), [
    ("lone surrogate in a record", ("<header_from>example.com", "<header_from>ex&#xD800;ample.com"), 201),
    ("NUL in the reporter", ("<org_name>Odd", "<org_name>Od&#0;d"), 201),
    ("raw NUL in a record", ("<header_from>example.com", "<header_from>ex\x00ample.com"), 201),
    ("control character", ("<org_name>Odd", "<org_name>Od&#x1;d"), 201),
    ("lone surrogate in the reporter", ("<org_name>Odd", "<org_name>Od&#xDFFF;d"), 422),
    ("scoped IPv6 source", ("<source_ip>192.0.2.9", "<source_ip>fe80::1%" + "z" * 56), 201),
    ("year 9999", (f"<end>{DAY + 86399}</end>", "<end>253402300799</end>"), 201),
    ("epoch", (f"<begin>{DAY}</begin>", "<begin>0</begin>"), 201),
    ("past year 9999", (f"<end>{DAY + 86399}</end>", "<end>9999-12-31T23:59:59-01:00</end>"), 422),
    ("negative date", (f"<begin>{DAY}</begin>", "<begin>-1</begin>"), 422),
])
def test_odd_characters_and_dates_are_stored_or_refused_cleanly(
        label: str, change: tuple[str, str], status: int, tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    text = report_xml("Odd", f"odd-{label}", DAY, [Rec("192.0.2.9", 1), Rec("192.0.2.10", 2)]).decode()
    assert change[0] in text
    data = text.replace(change[0], change[1], 1).encode()
    response = upload(tenant, tenant.org_id, data)
    if status == 422:
        error_of(response, 422, "INVALID_REPORT")
        assert stored_rows(services, tenant.org_id) == NOTHING
        return
    report = tenant.data(response, 201)["report"]
    full = tenant.data(tenant.get(f"/api/reports/{report['id']}"))["report"]
    assert "\x00" not in json.dumps(full)
    assert full["recordCount"] + full["skippedCount"] == 2
    listed = tenant.data(tenant.get("/api/reports", params={"organizationId": tenant.org_id}))
    assert listed["pagination"]["total"] == 1


def test_concurrent_deletes_of_one_report_retract_it_once(tenant: Tenant, live: Any) -> None:
    domain = tenant.create_domain("example.com")
    tenant.data(upload(tenant, tenant.org_id, report_xml("Keep", "k-1", DAY, [Rec("192.0.2.1", 3)])), 201)
    before = _view(tenant, domain["id"])
    for round_ in range(3):
        data = report_xml("Gone", f"g-{round_}", DAY, [*many_records(2000), Rec("192.0.2.1", 4)])
        report = tenant.data(upload(tenant, tenant.org_id, data), 201)["report"]
        barrier = threading.Barrier(2)
        statuses: list[int] = []
        threads = [threading.Thread(target=_delete_at_once, args=(live.url, tenant, report["id"], barrier, statuses))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200, 404]
        assert _view(tenant, domain["id"]) == before


def _delete_at_once(url: str, tenant: Tenant, report_id: str, barrier: threading.Barrier, statuses: list[int]) -> None:
    with httpx.Client(base_url=url, headers=tenant.http.headers, timeout=60) as http:
        barrier.wait()
        statuses.append(http.delete(f"/api/reports/{report_id}").status_code)
