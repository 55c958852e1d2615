"""Hostile input is refused cleanly, after bounded work and without side effects."""

from __future__ import annotations

import gzip
import http.server
import io
import os
import threading
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from sentinel.errors import InvalidReport
from sentinel.reports import ParseLimits, parse_report

from .support import FILES, report_xml

MIB = 1024 * 1024


def test_billion_laughs_is_refused_before_parsing() -> None:
    # Refused from the prolog: libxml2 never sees the entity declarations.
    with pytest.raises(InvalidReport, match=r"declares a DOCTYPE \(line 2\)"):
        parse_report(FILES / "billion-laughs.xml")


def test_external_file_entity_is_refused() -> None:
    with pytest.raises(InvalidReport, match="DOCTYPE") as err:
        parse_report(FILES / "xxe-file.xml")
    assert "root:" not in err.value.message


def test_doctype_after_bom_and_comments_is_refused() -> None:
    data = (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- hi -->\n<!-- there -->\n"
            b"<!doctype feedback SYSTEM 'file:///etc/passwd'>\n") + report_xml(1).split(b"?>", 1)[1]
    with pytest.raises(InvalidReport, match=r"DOCTYPE \(line 4\)"):
        parse_report(data)


def test_doctype_hidden_behind_a_long_prolog_is_refused() -> None:
    data = b"<?xml version='1.0'?>" + b"<!--" + b"x" * 70_000 + b"-->" + report_xml(1)
    with pytest.raises(InvalidReport, match="no root element in its first 65536 bytes"):
        parse_report(data)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b"<!ENTITY leak 'fetched'>" if self.path.endswith(".dtd") else b"secret"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("template", [
    '<!DOCTYPE feedback [<!ENTITY x SYSTEM "{url}/secret">]>',
    '<!DOCTYPE feedback SYSTEM "{url}/external.dtd">',
    '<!DOCTYPE feedback [<!ENTITY % p SYSTEM "{url}/param.dtd"> %p;]>',
])
def test_external_http_entities_are_never_fetched(
        loopback_server: tuple[str, list[str]], template: str) -> None:
    url, hits = loopback_server
    body = report_xml(1).decode().replace("<org_name>Generated", "<org_name>&x;")
    declaration, rest = body.split("?>", 1)
    data = f"{declaration}?>\n{template.format(url=url)}{rest}".encode()
    with pytest.raises(InvalidReport, match="DOCTYPE"):
        parse_report(data)
    with pytest.raises(InvalidReport, match="DOCTYPE"):
        parse_report(gzip.compress(data))
    assert hits == []


def test_undeclared_entity_is_not_expanded() -> None:
    data = report_xml(1).replace(b"<org_name>Generated", b"<org_name>&bogus;Generated")
    report = parse_report(data)
    # Recovery drops the unknown reference (and libxml2 the text around it).
    assert report.metadata.org_name in ("Generated", "generated.example")
    assert report.record_count == 1
    assert "recovery mode" in report.warnings[0]


def _gzip_stream(prefix: bytes, filler: bytes, total: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(prefix)]
    block = filler * (MIB // len(filler))
    for _ in range(total // MIB):
        parts.append(packer.compress(block))
    parts.append(packer.flush())
    return b"".join(parts)


def test_gzip_bomb_is_stopped_at_the_size_cap() -> None:
    bomb = _gzip_stream(b"<feedback>", b" ", 200 * MIB)
    assert len(bomb) < 300_000
    limits = ParseLimits(max_decompressed_bytes=4 * MIB, max_element_bytes=64 * MIB)
    with pytest.raises(InvalidReport, match=r"inflates to more than 4 MiB.*compression bomb"):
        parse_report(bomb, limits)


class _Counting(io.BytesIO):
    """A source that counts the bytes the parser took from it."""

    taken = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_gzip_bomb_with_default_limits_stops_within_its_first_element() -> None:
    bomb = _gzip_stream(b"<feedback><report_metadata>", b"<a/>", 200 * MIB)
    source = _Counting(bomb)
    with pytest.raises(InvalidReport, match="larger than 64 KiB") as err:
        parse_report(source)
    assert err.value.details[0].field == "limits.max_element_bytes"
    # A few chunks of the 200 KB file were read, not the 200 MiB it inflates to.
    assert source.taken < 64 * 1024


def test_zip_bomb_member_is_refused_by_its_declared_size() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", b"<feedback>" + b" " * (8 * MIB))
    with pytest.raises(InvalidReport, match=r"declares .* bytes.*zip bomb"):
        parse_report(buffer.getvalue(), ParseLimits(max_decompressed_bytes=2 * MIB))


def test_zip_member_lying_about_its_size_is_still_capped() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml.gz", _gzip_stream(b"<feedback>", b" ", 16 * MIB))
    limits = ParseLimits(max_decompressed_bytes=4 * MIB, max_element_bytes=64 * MIB)
    with pytest.raises(InvalidReport, match="inflates to more than 4 MiB"):
        parse_report(buffer.getvalue(), limits)


def test_zip_with_many_members_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(1000):
            archive.writestr(f"m{i}.txt", b"x")
    with pytest.raises(InvalidReport, match="has 1000 members; at most 64"):
        parse_report(buffer.getvalue())


def test_zip_slip_names_are_harmless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.txt", b"not a report")
        archive.writestr("/tmp/../../../" + str(tmp_path / "abs.xml"), b"<x/>")
        archive.writestr("..\\..\\win.xml", report_xml(2))
    report = parse_report(buffer.getvalue())
    assert report.record_count == 2
    assert sorted(os.listdir(tmp_path)) == ["a"]
    assert os.listdir(work) == []


def test_control_characters_in_member_names_are_not_echoed() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil\x1b[31mname.txt", b"plain")
    with pytest.raises(InvalidReport) as err:
        parse_report(buffer.getvalue())
    assert "\x1b" not in err.value.message
    assert "evil?[31mname.txt" in err.value.message


def test_nested_containers_are_capped() -> None:
    data = report_xml(1)
    for _ in range(6):
        data = gzip.compress(data)
    with pytest.raises(InvalidReport, match="nested more than 4 containers deep"):
        parse_report(data)


def test_deep_xml_nesting_is_refused() -> None:
    deep = b"<x>\n" * 300 + b"</x>" * 300
    data = report_xml(1).replace(b"</feedback>", deep + b"</feedback>")
    with pytest.raises(InvalidReport, match="nests deeper than 256 elements"):
        parse_report(data)


def test_giant_record_is_refused() -> None:
    giant = b"<record>" + b"<x/>" * 400_000 + b"</record>"
    data = report_xml(1).replace(b"</feedback>", giant + b"</feedback>")
    with pytest.raises(InvalidReport, match="larger than 64 KiB"):
        parse_report(data)


def test_oversized_email_is_refused() -> None:
    message = b"From: a@b.example\r\nSubject: big\r\n\r\n" + b"x" * (2 * MIB)
    with pytest.raises(InvalidReport, match="larger than 1 MiB"):
        parse_report(message, ParseLimits(max_message_bytes=MIB))
