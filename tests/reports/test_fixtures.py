"""Every report in the shared fixture corpus parses with the right values."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sentinel.errors import InvalidReport
from sentinel.reports import parse_report, to_api

from .support import AGGREGATE, FIXTURES

with (FIXTURES / "MANIFEST.csv").open(encoding="utf-8", newline="") as _manifest:
    MANIFEST = list(csv.DictReader(_manifest))
BROKEN_REJECTED = {"empty.xml"}
RECOVERED = {"ikea.com!example.de!1538690400!1538776800.xml", "invalid_utf_8.xml",
             "invalid_xml.xml"}
AGGREGATES = [row["file"] for row in MANIFEST
              if row["category"] == "aggregate" and row["file"] not in BROKEN_REJECTED]
NOT_AGGREGATE = [f"{row['category']}/{row['file']}" for row in MANIFEST
                 if row["category"] != "aggregate"]


def parse(name: str) -> dict[str, object]:
    return to_api(parse_report(AGGREGATE / name))


def test_manifest_lists_every_file() -> None:
    listed = {(row["category"], row["file"]) for row in MANIFEST}
    on_disk = {(p.parent.name, p.name) for p in FIXTURES.glob("*/*")}
    assert listed == on_disk


@pytest.mark.parametrize("name", AGGREGATES)
def test_every_aggregate_fixture_parses(name: str) -> None:
    report = parse_report(AGGREGATE / name)
    assert report.record_count >= 1
    assert report.metadata.report_id
    assert report.metadata.org_name
    assert report.policy.domain in {"example.com", "example.de", "borschow.com",
                                    "ab.id.au", "indemed.com", "twlnet.com"}
    assert report.skipped == []
    assert bool(report.warnings) == (name in RECOVERED)


@pytest.mark.parametrize("path", NOT_AGGREGATE)
def test_forensic_and_tls_reports_are_refused(path: str) -> None:
    with pytest.raises(InvalidReport) as err:
        parse_report(FIXTURES / path)
    message = err.value.message
    assert "Not a DMARC aggregate report" in message
    if path.startswith("forensic/"):
        assert "failure (forensic) report" in message
    else:
        assert "SMTP TLS report" in message
    assert err.value.status == 422


def test_empty_file_is_refused() -> None:
    with pytest.raises(InvalidReport, match="the file is empty"):
        parse_report(AGGREGATE / "empty.xml")


def test_google_nice_input_values() -> None:
    data = parse("nice-input.xml")
    assert data["reportId"] == "11038226378739404135"
    assert data["orgName"] == "google.com"
    assert data["email"] == "noreply-dmarc-support@google.com"
    assert data["dateRange"] == {"begin": "2024-06-13T00:00:00Z", "end": "2024-06-13T23:59:59Z"}
    assert data["policyPublished"] == {
        "domain": "example.com", "adkim": "r", "aspf": "r", "p": "none", "sp": "none",
        "np": "none", "pct": 100, "fo": None, "testing": None, "discoveryMethod": None,
    }
    assert data["recordCount"] == 20
    assert data["messageCount"] == 3047
    records = data["records"]
    assert isinstance(records, list)
    second = records[1]
    assert second["sourceIp"] == "209.85.220.41"
    assert second["count"] == 2
    assert second["dkim"] == "pass" and second["spf"] == "fail"
    assert second["authResults"]["dkim"][0] == {
        "domain": "example.com", "selector": "awbr2rp4egb35wbg4umq4e5dcoe5kc4n",
        "result": "pass", "humanResult": None,
    }
    assert second["dkimAligned"] is True and second["spfAligned"] is False
    assert second["dmarcPass"] is True


@pytest.mark.parametrize("name", ["nice-input.xml.gz", "nice-input.xml.zip"])
def test_compressed_copies_match_the_xml(name: str) -> None:
    assert parse(name) == parse("nice-input.xml")


def test_changed_input_differs_only_in_org_name() -> None:
    changed, nice = parse("changed-input.xml"), parse("nice-input.xml")
    assert changed["orgName"] == "fred.com"
    assert {**changed, "orgName": "google.com"} == nice


def test_empty_org_name_is_taken_from_email() -> None:
    data = parse("!example.com!1538204542!1538463818.xml")
    assert data["orgName"] == "accurateplastics.com"
    assert data["schemaVersion"] is None
    rec = data["records"][0]
    assert rec["authResults"]["spf"] == [
        {"domain": None, "scope": None, "result": "none", "humanResult": None}]
    assert rec["dmarcPass"] is False


def test_large_report() -> None:
    data = parse("!large-example.com!1711897200!1711983600.xml")
    assert data["recordCount"] == 2286
    assert data["messageCount"] == 2286
    assert data["records"][0]["sourceIp"] == "12.20.121.1"


def test_google_eml_with_zip_attachment() -> None:
    data = parse("Report domain- borschow.com Submitter- google.com Report-ID- "
                 "949348866075514174.eml")
    assert data["reportId"] == "949348866075514174"
    assert data["domain"] == "borschow.com"
    assert data["orgName"] == "google.com"


def test_mimecast_gzip_body_with_trailing_bytes() -> None:
    data = parse("mimecast-weird-gzip.eml")
    assert data["orgName"] == "Mimecast"
    assert data["domain"] == "ab.id.au"
    assert data["recordCount"] == 1


def test_twilight_eml() -> None:
    data = parse("twilight.eml")
    assert data["orgName"] == "google.com"
    assert data["recordCount"] == 1


def test_zip_with_report_id_before_org_name_and_crlf() -> None:
    data = parse("estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip")
    assert data["orgName"] == "XYZ Corporation"
    assert data["reportId"]


def test_fastmail_gzip() -> None:
    data = parse("fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz")
    assert data["orgName"] == "FastMail Pty Ltd"
    assert data["dateRange"]["begin"] == "2018-01-16T00:00:00Z"


def test_empty_reason_and_envelope_to() -> None:
    rec = parse("empty_reason.xml")["records"][0]
    assert rec["reasons"] == [{"type": None, "comment": None}]
    assert rec["envelopeTo"] == "example.net"
    assert rec["envelopeFrom"] == "example.edu"
    assert rec["authResults"]["dkim"][0]["humanResult"] == "2048-bit key"
    assert rec["dkimAligned"] is True and rec["spfAligned"] is False


def test_stray_text_and_empty_auth_results() -> None:
    data = parse("example.net!example.com!1529366400!1529452799.xml")
    assert data["policyPublished"]["sp"] == "none"
    assert data["policyPublished"]["fo"] == "0"
    rec = data["records"][0]
    assert rec["authResults"] == {"dkim": [], "spf": []}
    assert rec["dmarcPass"] is False


def test_capitalised_results_are_lower_cased() -> None:
    data = parse("report_with_upper_cased_pass.xml")
    assert data["orgName"] == "example.com"
    assert data["policyPublished"]["sp"] is None
    rec = data["records"][0]
    assert (rec["disposition"], rec["dkim"], rec["spf"]) == ("none", "pass", "pass")
    assert rec["authResults"]["dkim"][0]["result"] == "pass"
    assert rec["dmarcPass"] is True


def test_rfc9990_fields_without_namespace() -> None:
    data = parse("rfc9990-example.net!example.com!1700000000!1700086399.xml")
    policy = data["policyPublished"]
    assert (policy["adkim"], policy["aspf"], policy["np"], policy["testing"],
            policy["discoveryMethod"]) == ("s", "s", "reject", "y", "treewalk")
    assert data["schemaVersion"] == "2.0"
    assert data["messageCount"] == 7
    assert data["dmarcPassCount"] == 5
    spoof = data["records"][1]
    assert spoof["disposition"] == "reject"
    assert spoof["reasons"] == [{"type": "other", "comment": "sender not authorized"}]
    assert spoof["dmarcPass"] is False


def test_rfc9990_sample_namespaced() -> None:
    data = parse("rfc9990-sample.xml")
    assert data["generator"] == "Example DMARC Aggregate Reporter v1.2"
    assert data["dateRange"]["begin"] == "1979-08-07T00:00:00Z"
    assert data["policyPublished"]["adkim"] == "r"
    assert data["policyPublished"]["testing"] == "n"
    rec = data["records"][0]
    assert rec["disposition"] == "pass"
    assert rec["count"] == 123
    assert rec["dkimAligned"] is True


def test_zoho_alignment_is_recomputed_not_copied() -> None:
    data = parse("zoho.com!example.com!1581753600!1581840000.xml")
    assert data["recordCount"] == 8
    first = data["records"][0]
    # Zoho says dkim=fail in policy_evaluated, but reports a passing example.com signature.
    assert first["dkim"] == "fail"
    assert first["dkimAligned"] is True
    assert first["authResults"]["spf"][0]["scope"] == "mfrom"


def test_outlook_namespace_attributes() -> None:
    rec = parse("protection.outlook.com!example.com!1711756800!1711843200.xml")["records"][0]
    assert rec["envelopeTo"] == "hotmail.com"
    assert rec["authResults"]["spf"][0]["result"] == "fail"


def test_old_draft_with_comment_before_root() -> None:
    rec = parse("old_draft_from_wiki.xml")["records"][0]
    assert rec["authResults"]["dkim"][0]["humanResult"] is None
    assert rec["spfAligned"] is True


def test_usssa_empty_envelope_from() -> None:
    data = parse("usssa.com!example.com!1538784000!1538870399.xml")
    assert [r["envelopeFrom"] for r in data["records"]] == [None, None]


def test_tab_indentation() -> None:
    rec = parse("addisonfoods.com!example.com!1536105600!1536191999.xml")["records"][0]
    assert rec["envelopeFrom"] == "example.com"
    assert rec["authResults"]["dkim"][0]["domain"] == "toptierhighticket.club"
    assert rec["dkimAligned"] is False


def test_ikea_unclosed_schema_wrapper_is_recovered() -> None:
    data = parse("ikea.com!example.de!1538690400!1538776800.xml")
    assert data["domain"] == "example.de"
    assert "wrapped in <schema>" in data["warnings"][0]
    assert data["records"][0]["authResults"]["spf"][0]["scope"] == "helo"


def test_invalid_utf8_is_repaired() -> None:
    data = parse("invalid_utf_8.xml")
    assert data["records"][0]["headerFrom"] == "bad_byte\ufffd"
    assert "Invalid UTF-8" in data["warnings"][0]


def test_invalid_xml_is_recovered_with_a_warning() -> None:
    data = parse("invalid_xml.xml")
    assert data["orgName"] == "veeam.com"
    assert data["reportId"] == "sonexushealth.com:1530233361"
    assert data["recordCount"] == 1
    assert "line 5" in data["warnings"][0] and "recovery mode" in data["warnings"][0]


def test_recovery_needs_a_rereadable_source() -> None:
    class OneShot:
        def __init__(self, data: bytes) -> None:
            self._data = data

        def read(self, size: int = -1) -> bytes:
            out, self._data = self._data[:size], self._data[size:]
            return out

        def seekable(self) -> bool:
            return False

    data = (AGGREGATE / "invalid_xml.xml").read_bytes()
    with pytest.raises(InvalidReport, match=r"malformed at line 5"):
        parse_report(OneShot(data))  # type: ignore[arg-type]


def test_path_and_bytes_and_stream_sources_agree(tmp_path: Path) -> None:
    path = AGGREGATE / "nice-input.xml.gz"
    with path.open("rb") as handle:
        from_stream = to_api(parse_report(handle))
    assert to_api(parse_report(path.read_bytes())) == from_stream == parse("nice-input.xml.gz")
