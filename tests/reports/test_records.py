"""Record normalisation: DMARCbis elements, quirks, bad records, the API shape."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from sentinel.reports import parse_report, to_api

from .support import AGGREGATE, FILES

# The report object is specified once, in openapi.yaml's components.
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_dmarcbis_namespaced_report() -> None:
    data = to_api(parse_report(FILES / "dmarcbis-namespaced.xml"))
    assert data["generator"] == "BisReporter DMARC 3.1"
    assert data["schemaVersion"] == "1.0"
    assert data["reporterErrors"] == ['unknown tag "rf" in DMARC record']
    assert data["domain"] == "example.com"
    assert data["policyPublished"] == {
        "domain": "example.com", "adkim": "s", "aspf": "r", "p": "reject", "sp": "quarantine",
        "np": "reject", "pct": None, "fo": "1", "testing": "n", "discoveryMethod": "treewalk",
    }
    assert data["extensions"] == [
        "{https://mailsentinel.example/dmarc-ext/1}arc_policy",
        "{https://mailsentinel.example/dmarc-ext/1}arc_result",
    ]
    first, second = data["records"]
    assert first["sourceIp"] == "2001:db8::25"
    assert first["disposition"] == "pass"
    assert first["envelopeTo"] == "example.net"
    assert first["authResults"]["spf"][0]["humanResult"].startswith("sender authorised")
    # adkim=s: d=mail.example.com does not align with example.com; aspf=r: SPF does.
    assert (first["dkimAligned"], first["spfAligned"], first["dmarcPass"]) == (False, True, True)
    assert second["reasons"] == [{"type": "local_policy", "comment": "arc chain not trusted"}]
    assert (second["dkimAligned"], second["spfAligned"], second["dmarcPass"]) == (
        False, False, False)
    assert (data["messageCount"], data["dmarcPassCount"]) == (43, 40)


def test_quirks_bom_whitespace_capitals_and_empty_optionals() -> None:
    data = to_api(parse_report(FILES / "quirks-bom-capitals.xml"))
    assert data["orgName"] == "Odd Habits Mail"
    assert data["reportId"] == "odd-42"
    assert data["extraContactInfo"] is None
    assert data["schemaVersion"] is None
    policy = data["policyPublished"]
    assert (policy["adkim"], policy["aspf"], policy["p"], policy["sp"], policy["pct"],
            policy["fo"]) == ("r", "s", "quarantine", None, 50, None)
    rec = data["records"][0]
    assert rec["sourceIp"] == "192.0.2.1"
    assert rec["count"] == 7
    assert (rec["disposition"], rec["dkim"], rec["spf"]) == ("quarantine", "fail", "pass")
    assert rec["headerFrom"] == "example.com"
    assert rec["envelopeFrom"] == "example.com"
    assert rec["envelopeTo"] is None
    assert rec["reasons"] == [{"type": None, "comment": None}]
    assert rec["authResults"] == {
        "dkim": [{"domain": "example.com", "selector": None, "result": "temperror",
                  "humanResult": None}],
        "spf": [{"domain": "example.com", "scope": "mfrom", "result": "pass",
                 "humanResult": None}],
    }
    assert (rec["dkimAligned"], rec["spfAligned"], rec["dmarcPass"]) == (False, True, True)


def test_one_bad_record_among_good_ones() -> None:
    report = parse_report(FILES / "one-bad-record.xml")
    assert [r.source_ip for r in report.records] == ["192.0.2.1", "192.0.2.5"]
    assert [r.index for r in report.records] == [0, 4]
    assert [(s.index, s.reason) for s in report.skipped] == [
        (1, "record at line 19: <count> 'abc' is not a whole number"),
        (2, "record at line 25: <source_ip> 'not-an-ip' is not an IP address"),
        (3, "record at line 31 has no <header_from>"),
    ]
    data = to_api(report)
    assert data["skipped"][0] == {"index": 1, "reason": report.skipped[0].reason}
    assert (data["recordCount"], data["messageCount"], data["dmarcPassCount"]) == (2, 8, 8)


@functools.cache  # parsing the spec costs more than the rest of a test; it does not change
def _validator() -> OAS30Validator:
    spec = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    return OAS30Validator({**schemas["Report"], "components": spec["components"]})


def test_report_schema_follows_the_house_rules() -> None:
    spec = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert spec["openapi"] == "3.0.3"
    names = ("Report", "DateRange", "PolicyPublished", "ReportRecord", "AuthResults", "DkimAuthResult",
             "SpfAuthResult", "OverrideReason", "SkippedRecord")
    for name in names:
        for prop in spec["components"]["schemas"][name].get("properties", {}).values():
            assert not isinstance(prop.get("type"), list)
    _validator().validate(spec["components"]["schemas"]["Report"]["example"])


@pytest.mark.parametrize("path", sorted(
    [p for p in AGGREGATE.iterdir() if p.name != "empty.xml"] + list(FILES.glob("[dqo]*.xml")),
    key=lambda p: p.name))
def test_to_api_matches_the_schema(path: Path) -> None:
    data: dict[str, Any] = to_api(parse_report(path))
    _validator().validate(data)
    assert "id" not in data
    stored = {**data, "id": "rpt_123"}
    _validator().validate(stored)
