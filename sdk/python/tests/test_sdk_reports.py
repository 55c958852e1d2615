"""reports.upload with the shared fixture reports in each format: XML, gzip, zip and e-mail, given
as a path, bytes or a file; the media type is chosen from the content."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sdk_testing import FIXTURES, OWNER_TOKEN, Recorder

from mailsentinel import InvalidReportError, MailSentinel
from mailsentinel._upload import report_media_type

XML = FIXTURES / "veeam.com!example.com!1530133200!1530219600.xml"
GZIP = FIXTURES / "nice-input.xml.gz"
ZIP = FIXTURES / "estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip"
EML = FIXTURES / "Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml"
GZIP_EML = FIXTURES / "mimecast-weird-gzip.eml"


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        (XML, "application/xml"),
        (FIXTURES / "rfc9990-sample.xml", "application/xml"),  # no XML declaration
        (GZIP, "application/gzip"),
        (FIXTURES / "fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz", "application/gzip"),
        (ZIP, "application/zip"),
        (EML, "message/rfc822"),
        (GZIP_EML, "message/rfc822"),
        (FIXTURES / "twilight.eml", "message/rfc822"),
    ],
)
def test_media_type_from_content(path: Path, media_type: str) -> None:
    assert report_media_type(path.read_bytes()) == media_type


def test_media_type_of_other_bytes() -> None:
    assert report_media_type(b"\xef\xbb\xbf<?xml version='1.0'?><feedback/>") == "application/xml"
    assert report_media_type(b"\x00\x01binary") == "application/octet-stream"


@pytest.fixture
def recorded(mock_url: str) -> Iterator[tuple[MailSentinel, Recorder]]:
    recorder = Recorder()
    with httpx.Client(event_hooks={"request": [recorder.on_request]}) as http:
        yield MailSentinel(api_key=OWNER_TOKEN, base_url=mock_url, http_client=http), recorder


def test_upload_each_format(recorded: tuple[MailSentinel, Recorder], org_id: str) -> None:
    client, recorder = recorded
    for name in ("borschow.com", "ab.id.au"):  # the e-mails' policy domains
        client.domains.create(org_id, domain=name)
    with GZIP.open("rb") as gz:
        uploads = [
            client.reports.upload(org_id, str(XML)),  # a path as str
            client.reports.upload(org_id, gz),  # a binary file
            client.reports.upload(org_id, ZIP),  # a Path
            client.reports.upload(org_id, EML.read_bytes()),  # bytes
            client.reports.upload(org_id, GZIP_EML),
        ]
    assert [u["duplicate"] for u in uploads] == [False] * 5
    assert [u["report"]["domain"] for u in uploads] == [
        "example.com", "example.com", "example.com", "borschow.com", "ab.id.au",
    ]
    sent = [r.headers["Content-Type"] for r in recorder.requests if r.url.path.endswith("/reports")]
    assert sent == ["application/xml", "application/gzip", "application/zip", "message/rfc822", "message/rfc822"]
    again = client.reports.upload(org_id, XML, content_type="text/xml")
    assert again["duplicate"] is True and again["report"]["id"] == uploads[0]["report"]["id"]
    assert recorder.requests[-1].headers["Content-Type"] == "text/xml"
    raw = client.with_raw_response.reports.upload(org_id, XML)
    assert raw.status_code == 200 and raw.parse()["duplicate"] is True


@pytest.mark.parametrize(
    "path",
    [FIXTURES / "empty.xml", FIXTURES.parent / "forensic" / "dmarc_ruf_report_linkedin.eml",
     FIXTURES.parent / "smtp_tls" / "rfc8460.json"],
)
def test_files_that_are_no_aggregate_report_are_invalid_report(client: MailSentinel, org_id: str, path: Path) -> None:
    with pytest.raises(InvalidReportError) as caught:
        client.reports.upload(org_id, path)
    assert caught.value.status == 422 and caught.value.code == "INVALID_REPORT" and caught.value.request_id
