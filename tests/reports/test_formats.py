"""Containers recognised by content: gzip (nested), zip, e-mail; streaming API."""

from __future__ import annotations

import base64
import gzip
import io
import quopri
import subprocess
import sys
import textwrap
import zipfile
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from sentinel.errors import InvalidReport
from sentinel.reports import ParseLimits, open_report, parse_report, record_to_api, to_api

from .support import FILES, record, report_xml

XML = report_xml(5, report_id="formats-1")


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_names_do_not_matter(tmp_path: Path) -> None:
    odd = tmp_path / "report.txt"
    odd.write_bytes(gzip.compress(XML))
    assert parse_report(odd).metadata.report_id == "formats-1"


def test_gzip_inside_gzip() -> None:
    report = parse_report(gzip.compress(gzip.compress(XML)))
    assert report.record_count == 5


def test_concatenated_gzip_members() -> None:
    half = len(XML) // 2
    report = parse_report(gzip.compress(XML[:half]) + gzip.compress(XML[half:]))
    assert report.record_count == 5


def test_truncated_gzip_is_refused() -> None:
    data = gzip.compress(XML)
    with pytest.raises(InvalidReport, match="truncated"):
        parse_report(data[: len(data) // 2])


def test_report_may_be_any_zip_member() -> None:
    data = zip_of({"README.txt": b"hello", "docs/notes.json": b"{}",
                   "nested/report.xml.gz": gzip.compress(XML)})
    assert parse_report(data).record_count == 5


def test_zip_of_non_reports_is_refused() -> None:
    data = zip_of({"[Content_Types].xml": b"<Types/>", "a.txt": b"text"})
    with pytest.raises(InvalidReport, match="holds no DMARC report"):
        parse_report(data)


def test_zip_from_a_non_seekable_layer() -> None:
    # A zip inside gzip cannot be read in place; it is spooled aside first.
    report = parse_report(gzip.compress(zip_of({"r.xml": XML})))
    assert report.record_count == 5


def message_with(part: MIMEApplication | MIMEText, *, nest: int = 0) -> bytes:
    outer = MIMEMultipart("mixed")
    outer["Subject"] = "Report domain: example.com Submitter: generated.example"
    outer["From"] = "dmarc@generated.example"
    outer.attach(MIMEText("This is an aggregate report.", "plain"))
    inner: MIMEMultipart = outer
    for _ in range(nest):
        child = MIMEMultipart("alternative")
        child.attach(MIMEText("<html><body>report</body></html>", "html"))
        inner.attach(child)
        inner = child
    inner.attach(part)
    return outer.as_bytes()


def test_eml_with_base64_gzip_attachment() -> None:
    part = MIMEApplication(gzip.compress(XML), "gzip")
    part.add_header("Content-Disposition", "attachment", filename="r.xml.gz")
    assert parse_report(message_with(part)).record_count == 5


def test_eml_with_zip_in_nested_multipart() -> None:
    part = MIMEApplication(zip_of({"r.xml": XML}), "zip")
    assert parse_report(message_with(part, nest=3)).record_count == 5


def test_eml_with_quoted_printable_xml_body() -> None:
    body = quopri.encodestring(XML)
    message = (b"From: dmarc@generated.example\r\nSubject: DMARC report\r\n"
               b"MIME-Version: 1.0\r\nContent-Type: text/xml; charset=utf-8\r\n"
               b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + body)
    assert parse_report(message).record_count == 5


def test_eml_with_base64_xml_attachment_in_forwarded_message() -> None:
    attached = (b"Content-Type: application/xml\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + base64.encodebytes(XML))
    forwarded = (b"From: a@b.example\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
                 b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n" + attached
                 + b"\r\n--XX--\r\n")
    outer = (b"Return-Path: <x@y.example>\r\nFrom: x@y.example\r\nSubject: Fwd: report\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=YY\r\n\r\n"
             b"--YY\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--YY\r\n"
             b"Content-Type: message/rfc822\r\n\r\n" + forwarded + b"\r\n--YY--\r\n")
    assert parse_report(outer).record_count == 5


def test_eml_without_a_report() -> None:
    message = MIMEText("Hello, no report here.")
    message["Subject"] = "hello"
    with pytest.raises(InvalidReport, match=r"has no XML, gzip or zip report.*text/plain"):
        parse_report(message.as_bytes())


def test_html_is_not_a_report() -> None:
    with pytest.raises(InvalidReport, match=r"root element is <html>, not <feedback>"):
        parse_report(b"<!-- x --><html><body>hi</body></html>")


def test_binary_garbage_is_not_a_report() -> None:
    with pytest.raises(InvalidReport, match="neither XML, gzip, zip nor an e-mail"):
        parse_report(b"\x00\x01\x02garbage")


def test_truncated_xml_is_refused_with_its_line() -> None:
    data = XML[: XML.index(b"</record>", 400) + 3]
    with pytest.raises(InvalidReport, match=r"truncated: the XML ends at line \d+"):
        parse_report(data)


def test_stream_records_in_batches() -> None:
    data = report_xml(2500, report_id="batches")
    with open_report(data) as reader:
        assert reader.metadata.report_id == "batches"
        assert reader.policy.p == "reject"
        sizes = [len(batch) for batch in reader.batches(1000)]
        assert reader.finished
        assert reader.record_count == 2500
    assert sizes == [1000, 1000, 500]


def test_records_are_yielded_lazily() -> None:
    data = report_xml(100)
    with open_report(io.BytesIO(data)) as reader:
        first = next(iter(reader))
        assert reader.record_count == 1
        assert record_to_api(first)["sourceIp"] == "10.0.0.0"


def test_policy_after_records_is_read_in_a_second_pass() -> None:
    text = report_xml(3).decode()
    start, end = text.index("  <policy_published>"), text.index("</policy_published>\n") + 20
    policy = text[start:end]
    moved = (text[:start] + text[end:]).replace("</feedback>", policy + "</feedback>")
    report = parse_report(moved.encode())
    assert report.record_count == 3 and report.policy.p == "reject"


def test_record_count_cap() -> None:
    with pytest.raises(InvalidReport, match="more than 10 records"):
        parse_report(report_xml(11), ParseLimits(max_records=10))


def test_dmarcbis_file_from_disk_and_as_stream() -> None:
    path = FILES / "dmarcbis-namespaced.xml"
    with path.open("rb") as handle:
        assert to_api(parse_report(handle)) == to_api(parse_report(path))


# Peak RSS from VmHWM: ru_maxrss would include the (larger) pytest parent, as Linux
# carries it across fork and exec.
HUNDRED_MB = textwrap.dedent("""
    import sys
    from pathlib import Path
    from sentinel.reports import open_report
    with open_report(Path(sys.argv[1])) as reader:
        total = sum(1 for _ in reader)
    status = Path("/proc/self/status").read_text()
    peak_kb = int(status.split("VmHWM:")[1].split()[0])
    print(total, reader.message_count, reader.skipped == [], peak_kb // 1024)
""")


def test_100_mb_report_streams_in_flat_memory(tmp_path: Path) -> None:
    # ~2 KB records padded with a long human_result: 50,000 of them make 100 MB of XML.
    path = tmp_path / "big.xml.gz"
    pad = "x" * 1600
    chunk = "".join(record(i, pad=pad) for i in range(1000))
    head, tail = report_xml(0, report_id="big").decode().split("</feedback>")
    size = 0
    with gzip.open(path, "wt", compresslevel=1, encoding="utf-8") as out:
        out.write(head)
        for _ in range(50):
            out.write(chunk)
            size += len(chunk)
        out.write("</feedback>" + tail)
    assert size > 100_000_000
    result = subprocess.run([sys.executable, "-c", HUNDRED_MB, str(path)], check=True,
                            capture_output=True, text=True, timeout=120)
    records, messages, clean, rss_mb = result.stdout.split()
    assert int(records) == 50_000
    assert int(messages) == 50 * sum(i % 9 + 1 for i in range(1000))
    assert clean == "True"
    assert int(rss_mb) < 120
