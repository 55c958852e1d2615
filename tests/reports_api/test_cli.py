"""`mailsentinel parse` and `mailsentinel ingest` on the fixture files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sentinel.app import Services
from sentinel.cli import main
from sentinel.pagination import PageRequest
from sentinel.settings import Settings
from tests.support.api import Tenant

from .support import AGGREGATE, PARSER_FILES, Rec, report_xml

pytestmark = pytest.mark.db


def test_parse_json_lists_reports_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    files = [AGGREGATE / "nice-input.xml.gz", AGGREGATE / "empty.xml", PARSER_FILES / "billion-laughs.xml"]
    assert main(["parse", "--json", *map(str, files)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [(r["file"], r["recordCount"], r["messageCount"]) for r in out["reports"]] == [(str(files[0]), 20, 3047)]
    assert [(e["file"], e["code"]) for e in out["errors"]] == [(str(files[1]), "INVALID_REPORT"),
                                                              (str(files[2]), "INVALID_REPORT")]


def test_parse_text_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(AGGREGATE / "zoho.com!example.com!1581753600!1581840000.xml")]) == 0
    out = capsys.readouterr().out
    assert "8 records, 9 messages" in out and "pass DMARC" in out


def test_ingest_files_and_directories(tmp_path: Path, tenant: Tenant, services: Services, settings: Settings,
                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    tenant.create_domain("example.com")
    folder = tmp_path / "reports"
    (folder / "nested").mkdir(parents=True)
    shutil.copy(AGGREGATE / "nice-input.xml", folder / "a.xml")
    shutil.copy(AGGREGATE / "nice-input.xml.zip", folder / "nested" / "same-again.zip")
    shutil.copy(AGGREGATE / "empty.xml", folder / "broken.xml")
    (folder / ".hidden").write_bytes(b"ignored")
    single = tmp_path / "single.xml"
    single.write_bytes(report_xml("Cli", "cli-1", 1718236800, [Rec("192.0.2.1", 4)]))
    monkeypatch.setenv("MAILSENTINEL_DATABASE_URL", settings.database_url)
    assert main(["ingest", str(folder), str(single), "--org", tenant.org_id]) == 1
    out = capsys.readouterr().out
    assert "Ingested 2 reports (21 records), 1 duplicate, 1 failed." in out
    assert "broken.xml: Not a DMARC aggregate report: the file is empty." in out
    principal = services.tokens.authenticate(tenant.token)
    listed = services.reports.list_reports(principal, PageRequest())
    assert sorted(r["reportId"] for r in listed["reports"]) == ["11038226378739404135", "cli-1"]
    assert main(["ingest", str(single), "--org", "org_doesnotexist"]) == 2


def test_parse_counts_every_skipped_record_and_lists_a_sample(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    data = report_xml("Skip", "s-1", 1718236800, [Rec("192.0.2.1", 2)]).decode()
    bad = "".join(f"<record><row><source_ip>x{i}</source_ip><count>1</count></row></record>" for i in range(150))
    path = tmp_path / "skips.xml"
    path.write_text(data.replace("</feedback>", bad + "</feedback>"))
    assert main(["parse", str(path)]) == 0
    assert "1 record, 2 messages, 100.0% pass DMARC, 150 records skipped (150 invalid_source_ip)" in \
        capsys.readouterr().out
    assert main(["parse", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)["reports"][0]
    assert (report["skippedCount"], len(report["skipped"])) == (150, 100)
    assert report["skippedByReason"] == {"invalid_source_ip": 150}


def test_parse_jsonl_writes_records_then_the_report_then_errors(capsys: pytest.CaptureFixture[str]) -> None:
    files = [AGGREGATE / "nice-input.xml.gz", AGGREGATE / "empty.xml"]
    assert main(["parse", "--jsonl", *map(str, files)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["kind"] for line in lines] == ["record"] * 20 + ["report", "error"]
    assert sum(line["count"] for line in lines[:20]) == lines[20]["messageCount"] == 3047
    assert {line["file"] for line in lines[:21]} == {str(files[0])} and "records" not in lines[20]
    assert (lines[21]["file"], lines[21]["code"]) == (str(files[1]), "INVALID_REPORT")
    assert main(["parse", "--json", str(files[0])]) == 0
    report = json.loads(capsys.readouterr().out)["reports"][0]
    assert report["records"] == [{k: v for k, v in line.items() if k not in ("kind", "file", "reportId")}
                                 for line in lines[:20]]


def test_ingest_of_a_file_broken_halfway_stores_nothing_of_it(tmp_path: Path, tenant: Tenant, services: Services,
                                                              settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import func, select

    from sentinel.store.models import DmarcReport, ReportDaySource, ReportSource

    tenant.create_domain("example.com")
    whole = report_xml("Cli", "cli-broken", 1718236800, [Rec(f"192.0.2.{i}", 3) for i in range(1, 200)])
    broken = tmp_path / "broken.xml"
    broken.write_bytes(whole[: len(whole) * 2 // 3])  # ends in the middle of a record
    monkeypatch.setenv("MAILSENTINEL_DATABASE_URL", settings.database_url)
    assert main(["ingest", str(broken), "--org", tenant.org_id]) == 1
    out = capsys.readouterr().out
    assert "Ingested 0 reports (0 records), 0 duplicate, 1 failed." in out and "truncated" in out
    domains = tenant.data(tenant.get(f"/api/organizations/{tenant.org_id}/domains"))["domains"]
    domain_ids = [d["id"] for d in domains]
    # No report row (its records go with it: ON DELETE CASCADE, and they are written only with it).
    with services.db.transaction() as session:
        reports = session.scalars(select(DmarcReport.id).where(DmarcReport.organization_id == tenant.org_id)).all()
        assert reports == []
        for model in (ReportDaySource, ReportSource):
            assert session.scalar(select(func.count()).select_from(model).where(model.domain_id.in_(domain_ids))) == 0
