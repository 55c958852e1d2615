"""Uploading reports through the live server: formats, duplicates, domains, refusals, atomicity."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sentinel.app import Services
from sentinel.reports import parse_report, rollups
from sentinel.store.models import Event
from tests.support.api import Tenant, error_of, new_tenant
from tests.support.server import LiveServer

from .support import (
    AGGREGATE,
    FIXTURES,
    MEDIA_TYPES,
    NOTHING,
    PARSER_FILES,
    Rec,
    all_records_count,
    gz,
    many_records,
    report_xml,
    stored_rows,
    upload,
)

pytestmark = pytest.mark.db

REPORTS = sorted(p for p in AGGREGATE.iterdir() if p.stat().st_size > 0)
DAY = 1718236800  # 2024-06-13T00:00:00Z


@pytest.mark.parametrize("path", REPORTS, ids=[p.name[:60] for p in REPORTS])
def test_every_fixture_report_uploads_in_its_own_format(path: Path, services: Services, live: LiveServer) -> None:
    t = new_tenant(services, live.url)
    expected = parse_report(path)
    t.create_domain(expected.policy.domain)
    r = upload(t, t.org_id, path.read_bytes(), MEDIA_TYPES[path.suffix])
    report = t.data(r, 201)["report"]
    assert (report["recordCount"], report["messageCount"], report["dmarcPassCount"]) == (
        expected.record_count, expected.message_count, expected.dmarc_pass_count)
    assert report["reportId"] == expected.metadata.report_id
    full = t.data(t.get(f"/api/reports/{report['id']}", params={"limit": 100}))
    assert full["pagination"]["total"] == expected.record_count
    assert [rec["sourceIp"] for rec in full["report"]["records"]] == [rec.source_ip for rec in expected.records][:100]
    t.http.close()


def test_multipart_upload_and_raw_types_that_are_accepted(tenant: Tenant) -> None:
    tenant.create_domain("example.com")
    data = report_xml("Multi", "m-1", DAY, [Rec("192.0.2.1", 3)])
    r = tenant.post(f"/api/organizations/{tenant.org_id}/reports", files={"file": ("report.xml.gz", gz(data))})
    assert tenant.data(r, 201)["report"]["messageCount"] == 3
    for i, media in enumerate(["text/xml", "application/octet-stream", "application/xml; charset=utf-8"]):
        body = report_xml("Multi", f"m-raw-{i}", DAY, [Rec("192.0.2.1", 1)])
        assert upload(tenant, tenant.org_id, body, media).status_code == 201, media


def test_duplicates_are_stored_once_whatever_the_format(tenant: Tenant, other: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    data = report_xml("Dup Mail", "dup-1", DAY, [Rec("192.0.2.1", 5)])
    first = tenant.data(upload(tenant, tenant.org_id, data), 201)
    assert first["duplicate"] is False
    again = tenant.data(upload(tenant, tenant.org_id, gz(data), "application/gzip"), 200)
    assert again["duplicate"] is True and again["report"]["id"] == first["report"]["id"]
    assert stored_rows(services, tenant.org_id) == {**NOTHING, "reports": 1, "records": 1, "stats": 1,
                                                    "sources": 1, "totals": 1, "names": 1, "events": 1}
    stats = tenant.data(tenant.get(f"/api/domains/{first['report']['domainId']}/stats"))
    assert stats["summary"]["messages"] == 5
    # Uniqueness is per organization: another organization stores its own copy.
    other.create_domain("example.com")
    assert other.data(upload(other, other.org_id, data), 201)["report"]["id"] != first["report"]["id"]


def test_attached_to_the_closest_monitored_parent(tenant: Tenant) -> None:
    parent = tenant.create_domain("example.com")
    report = tenant.data(upload(tenant, tenant.org_id, report_xml(
        "P", "p-1", DAY, [Rec("192.0.2.1", 1, header_from="mail.example.com")], domain="mail.example.com")), 201)
    assert report["report"]["domainId"] == parent["id"] and report["report"]["domain"] == "mail.example.com"
    child = tenant.create_domain("mail.example.com")
    second = tenant.data(upload(tenant, tenant.org_id, report_xml(
        "P", "p-2", DAY, [Rec("192.0.2.1", 1)], domain="deep.mail.example.com")), 201)
    assert second["report"]["domainId"] == child["id"]


def test_no_matching_domain_is_a_validation_error_naming_it(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    r = upload(tenant, tenant.org_id, report_xml("N", "n-1", DAY, [Rec("192.0.2.1", 1)], domain="example.org"))
    error = error_of(r, 400, "VALIDATION_ERROR")
    assert "example.org" in error["message"]
    assert stored_rows(services, tenant.org_id) == NOTHING


def _chunks(total: int) -> Iterator[bytes]:
    chunk = b"<" * (1 << 20)
    for _ in range(total >> 20):
        yield chunk


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_100_mb_body_is_refused_with_413(tenant: Tenant, declared: bool) -> None:
    headers = {"content-type": "application/xml"}
    if declared:
        headers["content-length"] = str(100 << 20)
    r = tenant.post(f"/api/organizations/{tenant.org_id}/reports", content=_chunks(100 << 20), headers=headers)
    error_of(r, 413, "PAYLOAD_TOO_LARGE")


def test_other_media_types_are_415(tenant: Tenant) -> None:
    for media in ["text/plain", "application/json", "image/png"]:
        error_of(upload(tenant, tenant.org_id, b"<feedback/>", media), 415, "UNSUPPORTED_MEDIA_TYPE")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


HOSTILE = {
    "billion laughs": (PARSER_FILES / "billion-laughs.xml").read_bytes(),
    "external entity": (PARSER_FILES / "xxe-file.xml").read_bytes(),
    "empty": b"",
    "not xml": b"\x00\x01binary junk",
    "html": b"<html><body>hello</body></html>",
    "forensic report": (FIXTURES / "forensic" / "dmarc_ruf_report_linkedin.eml").read_bytes(),
    "tls report": (FIXTURES / "smtp_tls" / "rfc8460.json").read_bytes(),
    "zip with too many members": _zip({f"r{i}.xml": b"<feedback/>" for i in range(80)}),
    "zip slip names only": _zip({"../../etc/passwd": b"root:x:0:0"}),
    "gzip of junk": gz(b"definitely not a report" * 100),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_or_foreign_files_are_422_and_store_nothing(name: str, tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    error = error_of(upload(tenant, tenant.org_id, HOSTILE[name], "application/octet-stream"), 422, "INVALID_REPORT")
    assert error["message"]
    assert stored_rows(services, tenant.org_id) == NOTHING


def test_a_report_broken_after_two_batches_leaves_nothing(tenant: Tenant, services: Services) -> None:
    tenant.create_domain("example.com")
    before = all_records_count(services)
    data = report_xml("Cut", "cut-1", DAY, many_records(2500), truncate=True)
    error = error_of(upload(tenant, tenant.org_id, data), 422, "INVALID_REPORT")
    assert "truncated" in error["message"]
    assert stored_rows(services, tenant.org_id) == NOTHING
    assert all_records_count(services) == before


def test_a_failure_after_the_records_rolls_everything_back(
    tenant: Tenant, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant.create_domain("example.com")

    def broken(*args: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(rollups, "add_staged", broken)
    r = upload(tenant, tenant.org_id, report_xml("Late", "late-1", DAY, many_records(1500)))
    error_of(r, 500, "INTERNAL_ERROR")
    assert stored_rows(services, tenant.org_id) == NOTHING
    monkeypatch.undo()
    assert upload(tenant, tenant.org_id, report_xml("Late", "late-1", DAY, many_records(1500))).status_code == 201


def test_the_event_is_in_the_outbox(tenant: Tenant, services: Services) -> None:
    domain = tenant.create_domain("example.com")
    report = tenant.data(upload(tenant, tenant.org_id, report_xml("Ev", "ev-1", DAY, [Rec("192.0.2.1", 7)])), 201)
    with services.db.transaction() as session:
        events = session.scalars(select(Event).where(Event.organization_id == tenant.org_id,
                                                     Event.type == "report.received")).all()
    assert len(events) == 1
    data = events[0].data
    assert data["reportId"] == report["report"]["id"] and data["domainId"] == domain["id"]
    assert (data["orgName"], data["reporterReportId"], data["messageCount"]) == ("Ev", "ev-1", 7)


def test_passing_dkim_selectors_of_the_domain_are_learned(tenant: Tenant) -> None:
    domain = tenant.create_domain("example.com", dkimSelectors=["manual"])
    records = [
        Rec("192.0.2.1", 1, dkim=(("example.com", "Sel1", "pass"), ("esp.net", "k1", "pass"))),
        Rec("192.0.2.2", 1, dkim=(("example.com", "forged", "fail"),)),
        Rec("192.0.2.3", 1, dkim=(("mail.example.com", "sub", "pass"), ("example.com", "manual", "pass"))),
    ]
    tenant.data(upload(tenant, tenant.org_id, report_xml("Sel", "sel-1", DAY, records)), 201)
    tenant.data(upload(tenant, tenant.org_id, report_xml("Sel", "sel-2", DAY, [
        Rec("192.0.2.4", 1, dkim=(("example.com", "sel1", "pass"), ("example.com", "sel2", "pass")))])), 201)
    view = tenant.data(tenant.get(f"/api/domains/{domain['id']}"))["domain"]
    assert view["learnedDkimSelectors"] == ["sel1", "manual", "sel2"]
    assert view["dkimSelectors"] == ["manual"]
